import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, CONSOLE_CSP, DOCS_CSP, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';

let store: TestStore;
let app: App;

beforeAll(async () => {
  store = await openTestStore();
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('API reference at /docs', () => {
  it('serves Swagger UI from the package, with its own strict CSP', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toContain('<div id="swagger-ui">');
    expect(r.body).toContain('swagger-ui-bundle.js');
    expect(r.body).toContain('<title>DarkPatrol API</title>');
    expect(r.headers['content-security-policy']).toBe(DOCS_CSP);
    // Every asset the page names is served locally (nothing is fetched from a CDN).
    const assets = [...r.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const a of assets) {
      expect(a.startsWith('/docs/static/')).toBe(true);
      const res = await app.inject({ method: 'GET', url: a });
      expect(res.statusCode, a).toBe(200);
    }
    const init = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain('validatorUrl: null');
  });

  it('serves a valid OpenAPI 3 document listing the API routes', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json() as { openapi: string; info: { title: string }; paths: Record<string, Record<string, { responses?: unknown }>>; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
    expect(doc.info.title).toBe('DarkPatrol API');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['session', 'token']);
    for (const p of ['/api/auth/login', '/api/vendors/{id}', '/api/reports/overview', '/api/reports/shipping-flows', '/api/reports/targets', '/api/captures/{id}/view'])
      expect(Object.keys(doc.paths)).toContain(p);
    // Every documented operation has responses and is under /api; internal routes (docs, console) are hidden.
    for (const [path, ops] of Object.entries(doc.paths)) {
      expect(path.startsWith('/api/')).toBe(true);
      for (const op of Object.values(ops)) expect(op.responses).toBeTruthy();
    }
    // The document validates against the structural rules of OpenAPI 3.0 that matter to clients: path params declared.
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops) as { parameters?: { in: string; name: string }[] }[])
        for (const n of names) expect((op.parameters ?? []).some((q) => q.in === 'path' && q.name === n), `${path} declares ${n}`).toBe(true);
    }
    const yaml = await app.inject({ method: 'GET', url: '/docs/yaml' });
    expect(yaml.body).toMatch(/^openapi: 3\./m);
  });

  it('keeps the console CSP strict on everything else', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/health' });
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(CONSOLE_CSP.scriptSrc).toEqual(["'self'"]);
  });

  it('renders in Debian Chromium with no CSP violation and no outside request', async () => {
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'] });
      const page = await browser.newPage();
      const problems: string[] = [];
      const foreign: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.route('**/*', (route) => {
        if (new URL(route.request().url()).origin !== url) {
          foreign.push(route.request().url());
          return route.abort('blockedbyclient');
        }
        return route.continue();
      });
      await page.goto(`${url}/docs`);
      await page.locator('.opblock-tag', { hasText: 'reports' }).first().waitFor({ timeout: 60_000 });
      await page.locator('.opblock-summary-path', { hasText: '/api/reports/overview' }).first().waitFor();
      expect(problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([]);
      expect(foreign).toEqual([]);
    } finally {
      await browser?.close();
    }
  }, 180_000);
});
