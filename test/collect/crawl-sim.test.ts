import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { startSim, type SimHandle } from '../../src/sim/index.ts';
import { runCrawl, listCaptchas, type CrawlSummary } from '../../src/collect/index.ts';
import { decodeContent, readHttpResponse, readRecordAt, verifyEvidence } from '../../src/evidence/index.ts';
import { warcCaptureBodies } from '../../src/server/captures/bodies.ts';
import { configureSimMarkets, simHuman } from './helpers.ts';
import { auditWarcFile } from '../helpers/warc-audit.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

describe('crawling the sim through its SOCKS5 proxy', () => {
  let store: TestStore;
  let sim: SimHandle;
  let dir: string;
  const summaries: CrawlSummary[] = [];

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-crawl-'));
    sim = await startSim({ seed: 'crawl-test', scale: 'tiny', faults: { scale: 1, maxDelayMs: 50 }, portBase: 0, startDay: 30 });
    const agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test police', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    await configureSimMarkets(store.db, sim, agencyId);
    for (const m of sim.markets) {
      summaries.push(
        await runCrawl({
          db: store.db,
          evidenceDir: path.join(dir, 'warc'),
          proxy: sim.proxy.url,
          market: m.slug,
          retry: { baseMs: 20, maxMs: 200 },
          captcha: { onParked: simHuman(store.db, sim, m.slug), pollMs: 10 },
        }),
      );
    }
  }, 600_000);

  afterAll(async () => {
    await sim?.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawls every online market to the end of its frontier, logging in through the CAPTCHA hand-off', async () => {
    for (const [i, s] of summaries.entries()) {
      const state = sim.marketState(sim.markets[i]!.slug);
      if (state === 'up') {
        expect(s.outcome, `${s.market}: ${JSON.stringify(s)}`).toBe('done');
        expect(s.pages, JSON.stringify(s)).toBeGreaterThanOrEqual(3);
        expect(s.logins).toBeGreaterThanOrEqual(1);
        expect(s.frontier.queued).toBe(0);
      }
    }
    expect(summaries.filter((s) => s.outcome === 'done').length).toBeGreaterThanOrEqual(2);
    expect(summaries.reduce((n, s) => n + s.pages, 0)).toBeGreaterThan(100);
    expect(await listCaptchas(store.db)).toEqual([]);
    const solved = await listCaptchas(store.db, { all: true });
    expect(solved.length).toBeGreaterThanOrEqual(summaries.filter((s) => s.logins > 0).length);
  });

  it('never fetched the same page into two captures and never left the market onion', async () => {
    const dupes = await store.db
      .selectFrom('captures')
      .select(['job_id', 'url', (eb) => eb.fn.countAll<number>().as('n')])
      .where('http_status', '=', 200)
      .groupBy(['job_id', 'url'])
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    // the login form is fetched once per login; everything else exactly once
    expect(dupes.filter((d) => !/login|signin|ucp\.php/.test(d.url))).toEqual([]);
    const onions = new Set(sim.markets.map((m) => m.onion));
    const urls = await store.db.selectFrom('crawl_frontier').select('url').execute();
    for (const u of urls) expect(onions.has(new URL(u.url).hostname)).toBe(true);
    for (const c of sim.proxyServer.connectionLog()) expect(onions.has(c.destination.replace(/:\d+$/, ''))).toBe(true);
  });

  it('isolates circuits: one distinct SOCKS username per market account', () => {
    const byUser = sim.proxyServer.connectionsByUsername();
    const used = summaries.filter((s) => s.requests > 0).map((s) => s.proxyUsername);
    expect(new Set(used).size).toBe(used.length);
    for (const u of used) expect(byUser.get(u) ?? 0).toBeGreaterThan(0);
    const total = [...byUser.values()].reduce((a, b) => a + b, 0);
    expect(used.reduce((a, u) => a + (byUser.get(u) ?? 0), 0)).toBe(total);
  });

  it('records lifecycle: markets seen up get an up event; down/seized markets get theirs', async () => {
    const events = await store.db.selectFrom('market_events as e').innerJoin('markets as m', 'm.id', 'e.market_id').select(['m.slug', 'e.kind']).execute();
    for (const s of summaries) {
      if (s.outcome === 'done') expect(events).toContainEqual({ slug: s.market, kind: 'up' });
      if (s.outcome === 'seized') expect(events).toContainEqual({ slug: s.market, kind: 'seized' });
      if (s.outcome === 'down') expect(events).toContainEqual({ slug: s.market, kind: 'down' });
    }
  });

  it('every request and response is evidence that verifies', async () => {
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const captures = await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(report.records).toBeGreaterThanOrEqual(Number(captures.n) * 3);
  });

  it('pages sent chunked and gzip-encoded are kept as received, and warcio.js agrees on every digest (payload: de-chunked entity body)', async () => {
    const files = readdirSync(path.join(dir, 'warc')).filter((f) => f.endsWith('.warc.gz'));
    let chunked = 0;
    let encoded = 0;
    for (const f of files) {
      const r = await auditWarcFile(path.join(dir, 'warc', f));
      expect(r.failures).toEqual([]);
      // DarkPatrol's own records use the WARC 1.1 payload form, never the chunked body as transferred.
      expect(r.transferredForm).toBe(0);
      chunked += r.chunked;
      encoded += r.encoded;
    }
    expect(chunked).toBeGreaterThan(0);
    expect(encoded).toBeGreaterThan(0);
    // The capture row and the log hold the WARC record's payload digest (not a digest of the decoded page).
    const mismatched = await store.db.selectFrom('captures as c').innerJoin('evidence_log as l', 'l.record_id', 'c.warc_record_id')
      .select(['c.url', 'c.payload_sha256', 'l.payload_sha256 as logged']).whereRef('c.payload_sha256', '<>', 'l.payload_sha256').execute();
    expect(mismatched).toEqual([]);
    // What extraction and the console viewer read back from a gzip-encoded, chunked record: the page itself.
    const caps = await store.db.selectFrom('captures').select(['id', 'warc_file', 'warc_offset', 'warc_length']).where('http_status', '=', 200).execute();
    const bodies = warcCaptureBodies(path.join(dir, 'warc'));
    let gzipped = 0;
    for (const c of caps) {
      const rec = readRecordAt(path.join(dir, 'warc', c.warc_file!), c.warc_offset!, c.warc_length!);
      const http = readHttpResponse(rec.block);
      if (http.header('Content-Encoding') !== 'gzip' || gzipped >= 20) continue;
      gzipped++;
      expect(decodeContent(http.payload, 'gzip').toString('utf8')).toContain('</html>');
      const shown = await bodies.read({ warc_file: c.warc_file, warc_offset: c.warc_offset, warc_length: c.warc_length } as Parameters<typeof bodies.read>[0]);
      expect(shown?.bytes.toString('utf8')).toContain('</html>');
    }
    expect(gzipped).toBeGreaterThan(0);
  });

  it('a seized market is detected from its banner', async () => {
    const seized = sim.world.markets.find((m) => m.closeDay !== undefined && (m as { closeReason?: string }).closeReason !== 'exit_scam');
    if (!seized) return;
    sim.setDay(Math.min(sim.lastDay, (seized.closeDay ?? 0) + 2));
    if (sim.marketState(seized.slug) !== 'seized') return;
    const s = await runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc'), proxy: sim.proxy.url, market: seized.slug, captcha: { onParked: simHuman(store.db, sim, seized.slug), pollMs: 10 } });
    expect(s.outcome).toBe('seized');
    const m = await store.db.selectFrom('markets').select('status').where('slug', '=', seized.slug).executeTakeFirstOrThrow();
    expect(m.status).toBe('seized');
  });
});
