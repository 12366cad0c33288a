/**
 * Worker scaling: crawl jobs (one per sim market) run by 1, 2 and 4 `darkpatrol worker` processes against one
 * PostgreSQL, through the sim's SOCKS5 proxy (faults and rate limits off). Timed from the moment the jobs are
 * queued (all workers already registered) to the last job completed; pages/s counts frontier entries done,
 * captures/s every capture row (redirects and login pages included).
 *
 *   PG_BENCH_URL=postgres://darkpatrol:darkpatrol@127.0.0.1:5432/postgres npx tsx bench/workers.bench.ts [--workers 1,2,4] [--scale tiny]
 * Prints one JSON document as its last line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { createScratchDatabase, openStore } from '../src/store/index.ts';
import { startSim, type ScalePreset } from '../src/sim/index.ts';
import { configureMarketCrawl, runCrawl, solveCaptcha } from '../src/collect/index.ts';
import { PgJobQueue } from '../src/jobs/index.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? def) : def;
};
const adminUrl = process.env.PG_BENCH_URL;
if (!adminUrl) throw new Error('set PG_BENCH_URL to a PostgreSQL server (several worker processes need one)');
const counts = arg('workers', '1,2,4').split(',').map(Number);
const scale = arg('scale', 'tiny') as ScalePreset;
const ROOT = path.resolve(import.meta.dirname, '..');
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sim = await startSim({ seed: 'bench-workers', scale, faults: false, rateLimit: false, portBase: 0, startDay: 40 });
const slugs = sim.markets.filter((m) => sim.marketState(m.slug) === 'up').map((m) => m.slug);
const results = [];
try {
  for (const n of counts) {
    const work = mkdtempSync(path.join(tmpdir(), 'dp-bench-workers-'));
    const scratch = await createScratchDatabase(adminUrl, 'dp_bench');
    const store = await openStore({ databaseUrl: scratch.url, poolSize: 4 });
    const evidenceDir = path.join(work, 'warc');
    const children: ChildProcess[] = [];
    const stderr = new Map<ChildProcess, string>();
    try {
      const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Bench', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
      for (const m of sim.markets.filter((x) => slugs.includes(x.slug))) {
        await configureMarketCrawl(store.db, { agencyId, slug: m.slug, startUrls: [m.url], loginPath: m.loginPath, loginFields: m.loginFields, delayMs: 0, concurrency: 2, accounts: m.credentials.slice(0, 1) });
        // Log in first (the bench plays the human at the CAPTCHA); the workers reuse the session.
        await runCrawl({ db: store.db, evidenceDir, proxy: sim.proxy.url, market: m.slug, agencyId, maxPages: 1, captcha: { pollMs: 10, onParked: async ({ id, imageUrl }) => solveCaptcha(store.db, id, sim.peekCaptchaAnswer(m.slug, /\/captcha\/([0-9a-f]+)\.png/.exec(imageUrl)?.[1] ?? '') ?? '', 'bench') } });
      }
      for (let i = 0; i < n; i++) {
        const c = spawn(process.execPath, ['bin/darkpatrol.js', '--database-url', scratch.url, 'worker', '--queues', 'crawl', '--concurrency', '1', '--proxy', sim.proxy.url, '--evidence-dir', evidenceDir, '--poll-ms', '100'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
        stderr.set(c, '');
        c.stderr!.on('data', (b: Buffer) => stderr.set(c, (stderr.get(c) + b.toString()).slice(-4000)));
        children.push(c);
      }
      // A worker that dies while starting would otherwise leave this loop waiting for it forever.
      while (Number((await sql<{ n: string }>`select count(*) as n from job_workers where stopped_at is null`.execute(store.db)).rows[0]!.n) < n) {
        const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
        if (dead) throw new Error(`a worker exited while starting (${dead.exitCode ?? dead.signalCode}): ${stderr.get(dead)}`);
        await sleep(200);
      }
      const before = Number((await sql<{ n: string }>`select count(*) as n from captures`.execute(store.db)).rows[0]!.n);
      const queue = await PgJobQueue.open(store.db);
      const t0 = performance.now();
      const ids = [];
      for (const slug of slugs) ids.push((await queue.enqueue('crawl', { market: slug }, { agencyId })).id);
      for (;;) {
        const rows = await store.db.selectFrom('jobs').select('state').where('id', 'in', ids).execute();
        if (rows.some((r) => r.state === 'failed')) throw new Error('a crawl job failed');
        if (rows.every((r) => r.state === 'completed')) break;
        await sleep(100);
      }
      const secs = (performance.now() - t0) / 1000;
      await queue.close();
      const captures = Number((await sql<{ n: string }>`select count(*) as n from captures`.execute(store.db)).rows[0]!.n) - before;
      const pages = Number((await sql<{ n: string }>`select count(*) as n from crawl_frontier f join crawl_jobs c on c.id = f.job_id where f.state = 'done' and f.job_id::text in (select checkpoint->>'crawlJobId' from jobs)`.execute(store.db)).rows[0]!.n);
      results.push({ workers: n, jobs: ids.length, seconds: round(secs, 2), pages, captures, pagesPerSecond: round(pages / secs), capturesPerSecond: round(captures / secs) });
      process.stderr.write(`${JSON.stringify(results.at(-1))}\n`);
    } finally {
      const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
      const exited = alive.map((c) => new Promise((r) => c.once('exit', r)));
      for (const c of alive) c.kill('SIGTERM');
      await Promise.all(exited);
      await store.close();
      await scratch.drop();
      rmSync(work, { recursive: true, force: true });
    }
  }
} finally {
  await sim.stop();
}
console.log(JSON.stringify({ bench: 'workers', scale, markets: slugs.length, results }));
