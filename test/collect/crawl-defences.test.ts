// The crawler against a sim market with every defence on: an anti-DDoS front (queue, CAPTCHA hand-off played by the
// test as the human), PGP two-factor answered with the undercover account's key from the vault, a signed mirror list
// of rotating onions, two phishing clones the analyst was given as "mirrors", and forced logouts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUndercoverAccount, configureMarketCrawl, listCaptchas, runCrawl, scanDefences, Vault, type CrawlSummary } from '../../src/collect/index.ts';
import { generateWorld, isOnline, marketState, serveWorld, type ServedMarket, type SimServing } from '../../src/sim/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { simHuman } from './helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

const START = 30;
const ROTATE = 10;

describe('crawling a market that defends itself', () => {
  let store: TestStore;
  let sim: SimServing;
  let dir: string;
  let m: ServedMarket;
  let vault: Vault;
  let first: CrawlSummary;
  const crawl = (maxPages: number) => runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc'), proxy: sim.proxy.url, market: m.slug, vault, maxPages, retry: { baseMs: 20, maxMs: 200 }, captcha: { onParked: simHuman(store.db, sim as never, m.slug), pollMs: 10 } });

  beforeAll(async () => {
    const world = generateWorld({ seed: 'crawl-defences', scale: 'tiny' });
    const target = world.markets.find((x) => isOnline(marketState(x, START)) && isOnline(marketState(x, START + ROTATE)));
    if (!target) throw new Error('no market up on both days');
    sim = await serveWorld(world, {
      faults: false,
      rateLimit: false,
      startDay: START,
      defences: { [target.slug]: { antiDdos: { queueSeconds: 1 }, twoFactor: true, mirrors: { live: 2, rotateEveryDays: ROTATE }, phishingClones: { count: 2 }, forcedLogout: { everyRequests: 15 } } },
    });
    m = sim.markets.find((x) => x.slug === target.slug)!;
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-crawl-defences-'));
    const db = store.db;
    const agencyId = (await db.insertInto('agencies').values({ code: 'NLPOL', name: 'NL police', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const caseId = (await db.insertInto('cases').values({ agency_id: agencyId, reference: 'NL-2026-21', title: 't', contact_point: 'c' }).returning('id').executeTakeFirstOrThrow()).id;
    const d = m.defences!;
    // The analyst configures the market's onion, the key it publishes, and two "mirrors" copied from a forum (the clones).
    const marketId = await configureMarketCrawl(db, {
      agencyId, slug: m.slug, name: m.name, startUrls: [m.url], mirrors: d.phishingClones.map((c) => c.onion),
      loginPath: m.loginPath, loginFields: m.loginFields, delayMs: 0, concurrency: 3, mirrorsPath: d.mirrorsPath,
      signingKey: { armored: d.signingKey, pinnedBy: 'test:analyst' },
    });
    vault = await Vault.unlock(db, 'test vault passphrase', { scryptN: 2 ** 14 });
    const cred = m.credentials[0]!;
    await addUndercoverAccount(db, vault, { agencyId, marketId, username: cred.username, secrets: { password: cred.password, pgpPrivateKey: cred.pgpPrivateKey }, caseId, authorisedBy: 'test prosecutor', actor: 'test' });
    first = await crawl(60);
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('waits through the queue, hands the front CAPTCHA to the human, answers two-factor, and completes', async () => {
    expect(first.outcome, JSON.stringify(first)).toBe('done');
    expect(first.pages).toBeGreaterThanOrEqual(20);
    expect(first.frontier.queued).toBe(0);
    expect(first.antiDdosPassed).toBeGreaterThanOrEqual(1);
    expect(first.errors['anti-ddos-queue']).toBeGreaterThanOrEqual(1);
    expect(sim.server(m.slug).front!.passed).toBeGreaterThanOrEqual(1);
    const kinds = (await listCaptchas(store.db, { all: true })).map((c) => c.kind);
    expect(kinds).toContain('anti-ddos');
    expect(kinds).toContain('login');
    expect(first.twoFactorAnswered).toBeGreaterThanOrEqual(1);
    const reasons = sim.server(m.slug).loginEvents().map((e) => e.reason);
    expect(reasons).toContain('two-factor-pending');
    expect(reasons.filter((r) => r === 'two-factor')).toEqual([]); // no wrong code was ever sent
  });

  it('logs in again after the market forces a logout', () => {
    expect(sim.server(m.slug).forcedLogouts).toBeGreaterThanOrEqual(1);
    expect(first.logins).toBe(sim.server(m.slug).forcedLogouts + 1);
  });

  it('never sends anything secret to a phishing clone, and records each clone with its evidence', async () => {
    for (const clone of sim.clones(m.slug)) {
      expect(clone.requestCount).toBeGreaterThan(0); // it was probed …
      expect(clone.captured()).toEqual([]); // … and got no cookie, password or code
    }
    const onions = await store.db.selectFrom('market_onions').select(['onion', 'status', 'detail']).execute();
    for (const c of m.defences!.phishingClones) expect(onions.find((o) => o.onion === c.onion)?.status).toBe('phishing');
    expect(onions.find((o) => o.onion === m.onion)?.status).toBe('listed');
    const events = await store.db.selectFrom('market_events').select(['kind', 'detail', 'capture_id']).where('kind', '=', 'phishing_clone').execute();
    expect(events).toHaveLength(2);
    for (const e of events) {
      const cap = await store.db.selectFrom('captures').select('url').where('id', '=', e.capture_id!).executeTakeFirstOrThrow();
      expect(m.defences!.phishingClones.map((c) => c.onion)).toContain(new URL(cap.url).host);
    }
    const resign = m.defences!.phishingClones.find((c) => c.kind === 'resign');
    if (resign) expect(events.find((e) => e.detail.startsWith(resign.onion))?.detail ?? '').toMatch(/signed by another key|front|not in its signed/);
    const urls = await store.db.selectFrom('crawl_frontier').select('url').execute();
    for (const u of urls) expect(sim.liveOnions(m.slug)).toContain(new URL(u.url).host);
  });

  it('follows the signed mirror list when the market rotates its onions', async () => {
    const before = sim.liveOnions(m.slug);
    sim.setDay(START + ROTATE);
    const after = sim.liveOnions(m.slug);
    expect(after).not.toContain(before[0]); // the configured onion is dead now
    const second = await crawl(25);
    expect(second.outcome, JSON.stringify(second)).toBe('done');
    expect(second.pages).toBeGreaterThan(5);
    const hosts = new Set((await store.db.selectFrom('captures').select('url').where('job_id', '=', second.jobId).execute()).map((c) => new URL(c.url).host));
    for (const h of hosts) expect(after).toContain(h);
    const events = await store.db.selectFrom('market_events').select(['kind', 'detail']).where('kind', 'in', ['mirror_added', 'mirror_removed']).execute();
    expect(events.filter((e) => e.kind === 'mirror_removed').map((e) => e.detail.split(' ')[0])).toEqual([before[0]]);
    expect(events.some((e) => e.kind === 'mirror_added' && e.detail.startsWith(after[1]!))).toBe(true);
    const lists = await store.db.selectFrom('mirror_lists').select(['onions', 'signer_fingerprint']).orderBy('signed_at').execute();
    expect(lists.map((l) => l.onions)).toEqual([before, after]);
    expect(lists[0]!.signer_fingerprint).toBe(m.defences!.signingFingerprint);
    for (const clone of sim.clones(m.slug)) expect(clone.captured()).toEqual([]);
  });

  it('recognises the real Dream anti-DDoS page and the sim\'s defence pages from their structure', async () => {
    const { readFileSync } = await import('node:fs');
    const dream = readFileSync(path.join(__dirname, '../fixtures/defences/dream-anti-ddos.html'));
    expect(scanDefences(dream, 'http://x.onion/').page).toMatchObject({ kind: 'anti-ddos-captcha', captchaField: 'captcha' });
    for (const f of ['dream-login-0.html', 'dream-login-1.html']) {
      const login = readFileSync(path.join(__dirname, '../fixtures/defences', f));
      expect(scanDefences(login, 'http://x.onion/').page).toBeUndefined();
    }
  });
});
