import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { once } from 'node:events';
import { ed25519 } from '@noble/curves/ed25519.js';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { freePort, startSim, startSimTor, torAvailable, watchTorStreams, type SimHandle, type StreamWatch, type TorNetwork } from '../../src/sim/index.ts';
import { configureMarketCrawl, runCrawl, type CrawlSummary } from '../../src/collect/index.ts';
import { verifyEvidence } from '../../src/evidence/index.ts';
import { onionFromPublicKey } from '../../src/domain/onion.ts';
import { configureSimMarkets, simHuman } from './helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

const HAVE_TOR = torAvailable();
if (!HAVE_TOR) console.warn('SKIPPED test/collect/crawl-tor.test.ts: tor and tor-gencert are not installed (Debian package "tor")');

/**
 * The sim's markets as real v3 onion services on a private Tor network (1 directory authority + 3 relays + 1
 * client/onion-service process on loopback), crawled through Tor's SocksPort. Bounded: the network must be up within
 * 150 s and each crawl stops after a few pages.
 */
describe.skipIf(!HAVE_TOR)('crawling the sim over a private Tor network', () => {
  let store: TestStore;
  let sim: SimHandle;
  let tor: TorNetwork;
  let watch: StreamWatch;
  let dir: string;
  let agencyId: number;
  let slugs: string[] = [];
  const summaries: CrawlSummary[] = [];
  const MAX_PAGES = 10;
  let taken: net.Server;
  const torLog: string[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-crawl-tor-'));
    sim = await startSim({ seed: 'tor-test', scale: 'tiny', faults: false, rateLimit: false, portBase: 0, startDay: 30 });
    slugs = sim.markets.filter((m) => sim.marketState(m.slug) === 'up').slice(0, 2).map((m) => m.slug);
    expect(slugs.length).toBe(2);
    // The first port handed out is already taken: the authority cannot bind it, and the network starts again.
    taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    let handedOut = 0;
    const choosePort = async () => (handedOut++ === 0 ? (taken.address() as net.AddressInfo).port : await freePort());
    tor = await startSimTor(sim, { dir: path.join(dir, 'tor'), markets: slugs, bootstrapTimeoutMs: 150_000, choosePort, log: (l) => torLog.push(l) });
    watch = await watchTorStreams(tor.controlPort, tor.controlCookiePath);
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test police', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    await configureSimMarkets(store.db, sim, agencyId, { concurrency: 2 });
    // Both markets at once, each under its own isolation username, through the one Tor client.
    summaries.push(
      ...(await Promise.all(
        slugs.map((slug) =>
          runCrawl({
            db: store.db,
            evidenceDir: path.join(dir, 'warc'),
            proxy: tor.socksUrl('darkpatrol', 'any'),
            market: slug,
            agencyId,
            maxPages: MAX_PAGES,
            retry: { baseMs: 200, maxMs: 2000 },
            captcha: { onParked: simHuman(store.db, sim, slug), pollMs: 20 },
          }),
        ),
      )),
    );
  }, 240_000);

  afterAll(async () => {
    taken?.close();
    watch?.close();
    await tor?.stop();
    await sim?.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts again with other ports when a chosen port was taken before tor bound it', () => {
    expect(torLog.some((l) => /auth0 exited with code 1[\s\S]*Address already in use[\s\S]*starting the network again/.test(l))).toBe(true);
  });

  it('publishes each market under the onion address the sim derives for it', () => {
    for (const slug of slugs) expect(tor.onions[slug]).toBe(sim.markets.find((m) => m.slug === slug)!.onion);
    expect(tor.processes.map((p) => p.role).sort()).toEqual(['authority', 'client', 'relay', 'relay', 'relay']);
  });

  it('crawls both markets through real Tor circuits: login through the CAPTCHA hand-off, pages preserved, market up', async () => {
    for (const [i, s] of summaries.entries()) {
      expect(s.outcome, JSON.stringify(s)).toBe('done');
      expect(s.logins, JSON.stringify(s)).toBeGreaterThanOrEqual(1);
      expect(s.pages).toBeGreaterThanOrEqual(3);
      const onion = tor.onions[slugs[i]!]!;
      const captures = await store.db.selectFrom('captures').select(['url', 'http_status']).where('job_id', '=', s.jobId).execute();
      expect(captures.length).toBeGreaterThanOrEqual(s.pages);
      expect(captures.every((c) => new URL(c.url).hostname === onion)).toBe(true);
      expect(captures.filter((c) => c.http_status === 200).length).toBeGreaterThanOrEqual(3);
      const up = await store.db
        .selectFrom('market_events')
        .innerJoin('markets', 'markets.id', 'market_events.market_id')
        .select('market_events.kind')
        .where('markets.slug', '=', slugs[i]!)
        .where('markets.agency_id', '=', agencyId)
        .execute();
      expect(up.map((e) => e.kind)).toContain('up');
    }
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('isolates the markets: each isolation username travels on its own circuits, to its own onion only', () => {
    const ok = watch.events.filter((e) => e.status === 'SUCCEEDED' && e.socksUsername?.startsWith('dp-'));
    expect(ok.length).toBeGreaterThanOrEqual(summaries.reduce((n, s) => n + s.pages, 0));
    const circuits = new Map<string, Set<string>>();
    for (const e of ok) {
      const slug = slugs.find((s) => e.socksUsername!.startsWith(`dp-${s}-`));
      expect(slug, e.socksUsername).toBeDefined();
      expect(e.target).toBe(`${tor.onions[slug!]}:80`);
      circuits.set(e.socksUsername!, (circuits.get(e.socksUsername!) ?? new Set()).add(e.circuitId));
    }
    expect(circuits.size).toBe(2);
    const [a, b] = [...circuits.values()];
    expect([...a!].filter((c) => b!.has(c))).toEqual([]);
  });

  it("reports Tor's own reason when an onion has no service: descriptor not found (extended error 0xF0), market down", async () => {
    const ghost = onionFromPublicKey(ed25519.getPublicKey(new Uint8Array(32).fill(42)));
    await configureMarketCrawl(store.db, { agencyId, slug: 'ghost', startUrls: [`http://${ghost}/`], delayMs: 0 });
    const s = await runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc'), proxy: tor.socksUrl('darkpatrol'), market: 'ghost', agencyId, timeoutMs: 60_000 });
    expect(s.outcome).toBe('down');
    expect(s.pages).toBe(0);
    expect(s.lastErrors.unreachable).toMatch(/0xf0.*descriptor not found/);
  }, 90_000);
});
