import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { checkCrawlRequest, configureMarketCrawl, CrawlConfigError, MAX_START_URLS, runCrawl } from '../../src/collect/index.ts';
import { JOB_PAYLOADS } from '../../src/jobs/index.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from '../server/helpers.ts';
import { seed, type Seeded } from '../server/seed.ts';

// Start URLs of one crawl (an analyst's vendor page) and the case it is for: checked against the market (its own
// hosts, not its login page) and the case (open, of the market's agency) by the library, the API and the CLI.
const ONION = `${'a'.repeat(56)}.onion`;
const MIRROR = `${'b'.repeat(56)}.onion`;
const OTHER = `${'c'.repeat(56)}.onion`;

let store: TestStore;
let s: Seeded;
let app: App;
let analyst: SessionHeaders;
let cases: { open: number; closed: number; foreign: number };

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const nl = s.agencyIds['NL-POL'];
  await configureMarketCrawl(store.db, { agencyId: nl, slug: 'seedmart', startUrls: [`http://${ONION}/`], mirrors: [MIRROR], loginPath: '/login' });
  const kase = (agencyId: number, reference: string, closed: boolean) =>
    store.db.insertInto('cases').values({ agency_id: agencyId, reference, title: reference, contact_point: 'desk', tlp: 'AMBER', ...(closed ? { closed_at: new Date() } : {}) }).returning('id').executeTakeFirstOrThrow().then((r) => r.id);
  cases = { open: await kase(nl, 'NL-OPEN-1', false), closed: await kase(nl, 'NL-CLOSED-1', true), foreign: await kase(s.agencyIds['DE-BKA'], 'BKA-1', false) };
  app = await buildServer({ store, webRoot: false, rateLimit: false, jobs: null });
  analyst = await loginCookie(app, s.username('NL-POL', 'analyst'));
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const check = (r: { startUrls?: string[]; caseId?: number; caseRef?: string; agencyId?: number }) => checkCrawlRequest(store.db, { market: 'seedmart', agencyId: r.agencyId ?? s.agencyIds['NL-POL'], ...r });

describe(`crawl start URLs and case (${testEngine})`, () => {
  it('accepts pages on the market\'s onion and its mirrors, without fragments or duplicates', async () => {
    const r = await check({ startUrls: [`http://${ONION}/u/vendor%20one#reviews`, `http://${MIRROR}/listing/7`, `http://${ONION}/u/vendor%20one`] });
    expect(r.startUrls).toEqual([`http://${ONION}/u/vendor%20one`, `http://${MIRROR}/listing/7`]);
    expect(r.caseId).toBeUndefined();
    expect((await check({})).startUrls).toBeUndefined();
  });

  it('refuses any other host, scheme, the login page, skipped URLs, credentials and too many URLs, naming the URL', async () => {
    const refused: Array<[string[], RegExp]> = [
      [['https://example.com/vendor'], /example\.com is not a host of market seedmart/],
      [[`http://${OTHER}/u/x`], new RegExp(`${OTHER} is not a host of market seedmart`)],
      [[`http://${ONION}:8080/u/x`], /:8080 is not a host of market seedmart/],
      [['http://127.0.0.1/u/x'], /127\.0\.0\.1 is not a host/],
      [[`ftp://${ONION}/x`], /must be http\(s\)/],
      [[`http://user:pw@${ONION}/x`], /must not carry credentials/],
      [[`http://${ONION}/login`], /login page or matches its skip patterns/],
      [[`http://${ONION}/logout`], /login page or matches its skip patterns/],
      [['not a url'], /"not a url" is not a URL/],
      [[], /at least one start URL/],
      [Array.from({ length: MAX_START_URLS + 1 }, (_, i) => `http://${ONION}/p/${i}`), new RegExp(`at most ${MAX_START_URLS} start URLs`)],
    ];
    for (const [urls, message] of refused) {
      const err = await check({ startUrls: urls }).catch((e: unknown) => e);
      expect(err, urls.join(' ')).toBeInstanceOf(CrawlConfigError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('ties a crawl only to an open case of the market\'s agency (by id or reference)', async () => {
    expect((await check({ caseId: cases.open })).caseId).toBe(cases.open);
    expect((await check({ caseRef: 'NL-OPEN-1' })).caseId).toBe(cases.open);
    await expect(check({ caseId: cases.closed })).rejects.toThrow(/NL-CLOSED-1\) is closed/);
    await expect(check({ caseRef: 'NL-CLOSED-1' })).rejects.toThrow(/is closed/);
    // Another agency's case reads like a missing one.
    await expect(check({ caseId: cases.foreign })).rejects.toThrow(`no case ${cases.foreign} in the agency of market seedmart`);
    await expect(check({ caseRef: 'BKA-1' })).rejects.toThrow(/no case "BKA-1" in the agency/);
    await expect(check({ caseId: cases.open, caseRef: 'NL-OPEN-1' })).rejects.toThrow(/by id or by reference, not both/);
    // DE-BKA cannot crawl NL-POL's market at all.
    await expect(check({ agencyId: s.agencyIds['DE-BKA'], startUrls: [`http://${ONION}/`] })).rejects.toThrow(/no crawl configuration/);
  });

  it('runCrawl refuses a bad start URL or case before any crawl job or request exists', async () => {
    const base = { db: store.db, evidenceDir: mkdtempSync(join(tmpdir(), 'dp-seeds-')), proxy: 'socks5h://127.0.0.1:9', market: 'seedmart', agencyId: s.agencyIds['NL-POL'] };
    await expect(runCrawl({ ...base, startUrls: ['https://example.com/'] })).rejects.toThrow(CrawlConfigError);
    await expect(runCrawl({ ...base, caseId: cases.closed })).rejects.toThrow(/is closed/);
    const jobs = await store.db.selectFrom('crawl_jobs').select('id').execute();
    expect(jobs).toEqual([]);
  });

  it('the crawl job payload takes start URLs and a case reference; the API refuses a bad one with 400 before queueing', async () => {
    expect(JOB_PAYLOADS.crawl.safeParse({ market: 'seedmart', startUrls: [`http://${ONION}/u/x`], caseRef: 'NL-OPEN-1' }).success).toBe(true);
    expect(JOB_PAYLOADS.crawl.safeParse({ market: 'seedmart', caseId: 1, caseRef: 'NL-OPEN-1' }).success).toBe(false);
    expect(JOB_PAYLOADS.crawl.safeParse({ market: 'seedmart', startUrls: [] }).success).toBe(false);
    const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/jobs', headers: analyst, payload: { kind: 'crawl', payload } });
    const bad = await post({ market: 'seedmart', startUrls: ['https://example.com/x'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('example.com is not a host of market seedmart');
    expect((await post({ market: 'seedmart', caseRef: 'NL-CLOSED-1' })).body).toContain('is closed');
    // A good request passes the check and reaches the queue (this server runs none: 503).
    const good = await post({ market: 'seedmart', startUrls: [`http://${ONION}/u/x`], caseRef: 'NL-OPEN-1' });
    expect(good.statusCode, good.body).toBe(503);
  });

  it('`crawl run --start-url` refuses a URL off the market with exit code 2 and the reason', async () => {
    const target = store.databaseUrl ? ['--database-url', store.databaseUrl] : ['--data-dir', join(mkdtempSync(join(tmpdir(), 'dp-seeds-cli-')), 'db')];
    let err = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((x) => ((err += String(x)), true));
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      if (!store.databaseUrl) {
        expect(await main(['node', 'darkpatrol', ...target, 'agency', 'add', '--code', 'NL-POL', '--name', 'NL', '--country', 'NL'])).toBe(0);
        expect(await main(['node', 'darkpatrol', ...target, 'crawl', 'add', 'seedmart', '--agency', 'NL-POL', '--url', `http://${ONION}/`, '--mirrors-path', '/mirrors'])).toBe(0);
      }
      const run = (...extra: string[]) => main(['node', 'darkpatrol', ...target, 'crawl', 'run', 'seedmart', '--agency', 'NL-POL', '--proxy', 'socks5h://127.0.0.1:9', ...extra]);
      expect(await run('--start-url', `http://${ONION}/u/x`, '--start-url', `http://${OTHER}/u/y`)).toBe(2);
      expect(err).toContain(`refusing start URL http://${OTHER}/u/y`);
      expect(err).not.toMatch(/at .*\.ts:\d+/);
      expect(await run('--job', '00000000-0000-4000-8000-000000000000', '--start-url', `http://${ONION}/u/x`)).toBe(2);
      expect(err).toContain('a resumed job (--job) continues its own frontier');
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
  }, 180_000);
});
