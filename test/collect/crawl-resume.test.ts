import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { startSim, type SimHandle } from '../../src/sim/index.ts';
import { runCrawl } from '../../src/collect/index.ts';
import { verifyEvidence } from '../../src/evidence/index.ts';
import { configureSimMarkets, simHuman } from './helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

function warcBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + statSync(path.join(dir, f)).size, 0);
}

describe('a crawl killed with SIGKILL resumes with nothing lost and nothing captured twice', () => {
  let sim: SimHandle;
  let dir: string;
  let pgUrl: string | undefined;
  let testStore: TestStore | undefined;
  const open = async (): Promise<Store> => (pgUrl ? openStore({ databaseUrl: pgUrl, poolSize: 4 }) : openStore({ dataDir: path.join(dir, 'db') }));
  let slug = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dp-resume-'));
    sim = await startSim({ seed: 'resume-test', scale: 'tiny', faults: false, rateLimit: false, portBase: 0, startDay: 40 });
    slug = sim.markets.find((m) => m.design === 'table' && sim.marketState(m.slug) === 'up')?.slug ?? sim.markets[0]!.slug;
    if (testEngine === 'postgres') {
      testStore = await openTestStore();
      pgUrl = testStore.databaseUrl;
    }
    const store = await open();
    try {
      const agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
      await configureSimMarkets(store.db, sim, agencyId, { delayMs: 40, concurrency: 2 });
      // Log the undercover account in first (a human solves the CAPTCHA); the crawl process reuses the session.
      const warm = await runCrawl({ db: store.db, evidenceDir: path.join(dir, 'warc'), proxy: sim.proxy.url, market: slug, maxPages: 1, captcha: { onParked: simHuman(store.db, sim, slug), pollMs: 10 } });
      expect(warm.logins).toBe(1);
    } finally {
      await store.close();
    }
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    await testStore?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 mid-crawl, then resume the same job', async () => {
    const warc = path.join(dir, 'warc');
    const before = warcBytes(warc);
    const dbArgs = pgUrl ? ['--database-url', pgUrl] : ['--data-dir', path.join(dir, 'db')];
    const child = spawn(process.execPath, ['bin/darkpatrol.js', ...dbArgs, 'crawl', 'run', slug, '--proxy', sim.proxy.url, '--evidence-dir', warc, '--no-wait-captcha', '--json'], {
      cwd: path.resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ? -1 : code)));
    // Wait until the child has preserved a good number of pages, then kill it without warning.
    const deadline = Date.now() + 120_000;
    while (warcBytes(warc) - before < 300_000 && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGKILL');
    expect(await exited).toBe(-1);

    const store = await open();
    try {
      const job = await store.db.selectFrom('crawl_jobs').select(['id', 'status']).where('status', '=', 'running').orderBy('started_at', 'desc').executeTakeFirstOrThrow();
      const doneBefore = await store.db.selectFrom('crawl_frontier').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', job.id).where('state', '=', 'done').executeTakeFirstOrThrow();
      expect(Number(doneBefore.n)).toBeGreaterThan(5);

      const summary = await runCrawl({ db: store.db, evidenceDir: warc, proxy: sim.proxy.url, market: slug, jobId: job.id, captcha: { onParked: simHuman(store.db, sim, slug), pollMs: 10 } });
      expect(summary.outcome).toBe('done');
      expect(summary.frontier.queued).toBe(0);
      expect(summary.pages).toBeGreaterThan(0);
      // At most the pages in flight at the kill (two per worker: one being fetched, one being committed) are fetched
      // again; none is captured twice.
      expect(summary.requeuedOnResume).toBeLessThanOrEqual(4);
      const dupes = await store.db
        .selectFrom('captures')
        .select(['url', (eb) => eb.fn.countAll<number>().as('n')])
        .where('job_id', '=', job.id)
        .where('http_status', '=', 200)
        .groupBy('url')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute();
      expect(dupes.filter((d) => !/\/login/.test(d.url))).toEqual([]);
      const frontier = await store.db.selectFrom('crawl_frontier').select(['state', 'capture_id']).where('job_id', '=', job.id).execute();
      expect(frontier.every((f) => f.state === 'done' && f.capture_id !== null)).toBe(true);
      const report = await verifyEvidence(store.db, { dir: warc });
      expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    } finally {
      await store.close();
    }
  }, 300_000);
});
