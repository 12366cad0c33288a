import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createApiToken, type App } from '../../src/server/index.ts';
import { API_TYPES_FILE, generateApiTypes } from '../../src/server/openapi-codegen.ts';
import { createApiClient } from '../../web/src/api-client.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { seed, type Seeded } from './seed.ts';

type Op = { operationId?: string; security?: unknown[]; responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>; requestBody?: unknown };
let store: TestStore;
let app: App;
let s: Seeded;
let doc: { servers?: { url: string }[]; paths: Record<string, Record<string, Op>> };

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));

describe('the OpenAPI document', () => {
  it('passes the Redocly linter (recommended-strict: every warning an error) with no problem', async () => {
    const config = await createConfig({ extends: ['recommended-strict'] });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
    expect(problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`)).toEqual([]);
  });

  it('names every operation, states its security, and documents its error answers with their schema', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const ops = operations();
    expect(ops.length).toBeGreaterThan(70);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of ops) {
      const where = `${method} ${path}`;
      expect(op.operationId, where).toMatch(/^[a-z]+[A-Za-z0-9]*$/);
      expect(Array.isArray(op.security), where).toBe(true);
      const codes = Object.keys(op.responses);
      const isPublic = op.security!.length === 0;
      const want = ['400', '404', '429', ...(isPublic ? [] : ['401', '403']), ...(['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) ? ['409', '413', '422'] : [])];
      if (path.startsWith('/api/federation/inbound/')) want.push('401');
      for (const c of want) {
        expect(codes, `${where} documents ${c}`).toContain(c);
        expect(op.responses[c]!.content?.['application/json']?.schema?.$ref, `${where} ${c}`).toBe('#/components/schemas/ApiError');
      }
      expect(codes.some((c) => /^2\d\d$/.test(c)), `${where} has a 2xx answer`).toBe(true);
    }
    const login = doc.paths['/api/auth/login']!.post!;
    expect(login.security).toEqual([]);
    expect(doc.paths['/api/feed/postal']!.get!.security).toEqual([{ token: [] }]);
    expect(doc.paths['/api/vendors/{id}']!.get!.security).toEqual([{ session: [] }, { token: [] }]);
  });

  it('generates the console\'s typed client: the committed types are what the live document generates (run `npm run api:types` after changing a route)', async () => {
    const fresh = await generateApiTypes(doc as unknown as Record<string, unknown>);
    expect(readFileSync(API_TYPES_FILE, 'utf8') === fresh, 'web/src/api-schema.gen.ts is stale: run npm run api:types').toBe(true);
  });

  it('the typed client talks to the running server', async () => {
    const token = (await createApiToken(store.db, { agencyId: s.agencyIds['NL-POL'], name: 'typed', role: 'analyst', scopes: ['self', 'intel:read'] })).token;
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const client = createApiClient({ baseUrl: base, headers: { authorization: `Bearer ${token}` } });
    const me = await client.GET('/api/auth/me');
    expect(me.response.status).toBe(200);
    expect(JSON.stringify(me.data)).toContain('typed');
    const missing = await client.GET('/api/vendors/{id}', { params: { path: { id: 999_999 } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error).toMatchObject({ error: 'not_found' });
  });
});
