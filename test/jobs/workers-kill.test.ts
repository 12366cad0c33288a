import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { startSim, type SimHandle } from '../../src/sim/index.ts';
import { runCrawl } from '../../src/collect/index.ts';
import { PgJobQueue } from '../../src/jobs/index.ts';
import { configureSimMarkets, simHuman } from '../collect/helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

const ROOT = path.resolve(import.meta.dirname, '../..');
if (testEngine !== 'postgres') console.warn('SKIPPED test/jobs/workers-kill.test.ts: several worker processes need a PostgreSQL server (set DATABASE_URL); PGlite is one process (test/jobs/queue.test.ts covers it)');

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Child {
  proc: ChildProcess;
  stderr: string;
  exited: Promise<number | string>;
}

/**
 * Three `darkpatrol worker` processes on loopback against one PostgreSQL, crawling the sim's markets as queued
 * jobs; one is killed with SIGKILL in the middle of a crawl. Its job must be found (heartbeat), handed back, and
 * finished by another worker from the same frontier: no page lost, none captured twice, one custody chain that
 * `evidence verify` accepts, and no WARC file written by two processes.
 */
describe.skipIf(testEngine !== 'postgres')('3 worker processes on PostgreSQL, one killed with SIGKILL mid-crawl', () => {
  let store: TestStore;
  let sim: SimHandle;
  let queue: PgJobQueue;
  let dir: string;
  let agencyId: number;
  let slugs: string[] = [];
  const children: Child[] = [];
  const warc = () => path.join(dir, 'warc');

  function startWorker(): Child {
    const proc = spawn(process.execPath, ['bin/darkpatrol.js', '--database-url', store.databaseUrl!, 'worker', '--queues', 'crawl', '--concurrency', '1', '--proxy', sim.proxy.url, '--evidence-dir', warc(), '--poll-ms', '200', '--heartbeat-ms', '500', '--dead-after-ms', '4000'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const c: Child = { proc, stderr: '', exited: new Promise((resolve) => proc.on('exit', (code, signal) => resolve(signal ?? code ?? -1))) };
    proc.stderr!.on('data', (b: Buffer) => { c.stderr += b.toString(); });
    children.push(c);
    return c;
  }

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-workers-'));
    sim = await startSim({ seed: 'workers-test', scale: 'tiny', faults: false, rateLimit: false, portBase: 0, startDay: 40 });
    slugs = sim.markets.filter((m) => sim.marketState(m.slug) === 'up').map((m) => m.slug).slice(0, 3);
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    // A polite delay makes each crawl last long enough to be killed in the middle.
    await configureSimMarkets(store.db, sim, agencyId, { delayMs: 60, concurrency: 2 });
    // The workers start (and load) while the accounts log in; they find no job until the crawls are queued.
    for (let i = 0; i < 3; i++) startWorker();
    // Log each undercover account in first (a human solves the CAPTCHA); the workers reuse the sessions.
    for (const slug of slugs) {
      await runCrawl({ db: store.db, evidenceDir: warc(), proxy: sim.proxy.url, market: slug, agencyId, maxPages: 1, captcha: { onParked: simHuman(store.db, sim, slug), pollMs: 10 } });
    }
    queue = await PgJobQueue.open(store.db);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await queue?.close();
    await sim?.stop();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands the killed worker\'s crawl to another worker: nothing lost, nothing captured twice, evidence verifies', async () => {
    expect(slugs.length).toBeGreaterThanOrEqual(2);
    const jobs: { id: string }[] = [];
    for (const slug of slugs) jobs.push(await queue.enqueue('crawl', { market: slug }, { agencyId, requestedBy: 'test' }));
    // Wait for a crawl in full swing (some pages preserved, still running), then kill its worker without warning.
    const victim = await until(async () => {
      const r = await sql<{ id: string; worker_id: string; pid: number; crawl_job: string; n: string }>`
        select j.id, j.worker_id, w.pid, j.checkpoint->>'crawlJobId' as crawl_job,
               (select count(*) from captures c where c.job_id::text = j.checkpoint->>'crawlJobId') as n
        from jobs j join job_workers w on w.id = j.worker_id
        where j.state = 'running' and j.checkpoint ? 'crawlJobId'`.execute(store.db);
      return r.rows.find((x) => Number(x.n) >= 4);
    }, 'a running crawl with pages preserved', 90_000);
    const child = children.find((c) => c.proc.pid === victim.pid);
    expect(child, `worker pid ${victim.pid} is one of ours`).toBeDefined();
    child!.proc.kill('SIGKILL');
    expect(await child!.exited).toBe('SIGKILL');

    // Every job ends completed, the victim's by another worker after its heartbeat went silent.
    await until(async () => {
      const rows = await store.db.selectFrom('jobs').select('state').where('id', 'in', jobs.map((j) => j.id)).execute();
      const bad = rows.find((r) => r.state === 'failed' || r.state === 'cancelled');
      if (bad) throw new Error(`a job ended ${bad.state}: ${children.map((c) => c.stderr).join('\n')}`);
      return rows.every((r) => r.state === 'completed');
    }, 'every crawl job completed', 150_000);
    const handed = await store.db.selectFrom('jobs').selectAll().where('id', '=', victim.id).executeTakeFirstOrThrow();
    expect(handed.attempts).toBeGreaterThanOrEqual(2);
    expect(handed.worker_id).not.toBe(victim.worker_id);
    expect((handed.checkpoint as { crawlJobId?: string }).crawlJobId).toBe(victim.crawl_job);
    const dead = await store.db.selectFrom('job_workers').select(['stopped_at', 'stop_reason']).where('id', '=', victim.worker_id).executeTakeFirstOrThrow();
    expect(dead.stop_reason).toMatch(/^lost: no heartbeat/);

    for (const j of jobs) {
      const crawlJobId = ((await queue.get(j.id))!.result as { jobId: string }).jobId;
      // Nothing lost: every URL the crawl found was captured; nothing twice: one good capture per URL.
      const frontier = await store.db.selectFrom('crawl_frontier').select(['url', 'state', 'capture_id']).where('job_id', '=', crawlJobId).execute();
      expect(frontier.length).toBeGreaterThan(3);
      expect(frontier.filter((f) => f.state !== 'done' || f.capture_id === null)).toEqual([]);
      const dupes = await store.db
        .selectFrom('captures')
        .select(['url', (eb) => eb.fn.countAll<number>().as('n')])
        .where('job_id', '=', crawlJobId)
        .where('http_status', '=', 200)
        .groupBy('url')
        .having((eb) => eb.fn.countAll(), '>', 1)
        .execute();
      expect(dupes.filter((d) => !/\/login/.test(d.url))).toEqual([]);
    }

    // WARC files are never shared: every file's records come from one process (its pid is in the file name).
    const files = await sql<{ warc_file: string; jobs: string }>`select warc_file, count(distinct job_id) as jobs from evidence_log group by warc_file`.execute(store.db);
    const pids = new Set([process.pid, ...children.map((c) => c.proc.pid)]);
    for (const f of files.rows) {
      expect(Number(f.jobs), f.warc_file).toBe(1);
      const pid = Number(/-(\d+)-\d{5}-[0-9a-f]{6}\.warc\.gz$/.exec(f.warc_file)?.[1]);
      expect(pids.has(pid), f.warc_file).toBe(true);
    }
    const writers = new Set(files.rows.map((f) => /-(\d+)-\d{5}-[0-9a-f]{6}\.warc\.gz$/.exec(f.warc_file)?.[1]));
    expect(writers.size).toBeGreaterThanOrEqual(3); // this process (log-ins) and at least two workers

    // One custody chain across all workers, accepted by `darkpatrol evidence verify` (exit 0).
    const verify = spawn(process.execPath, ['bin/darkpatrol.js', '--database-url', store.databaseUrl!, 'evidence', 'verify', '--evidence-dir', warc(), '--json'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    verify.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    const code = await new Promise<number | null>((resolve) => verify.on('exit', (c) => resolve(c)));
    expect(code, out).toBe(0);
    const report = JSON.parse(out) as { problems: { severity: string; kind: string }[]; records?: number };
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);

    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGTERM');
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes.filter((c) => c !== 'SIGKILL')).toEqual([0, 0]);
  }, 300_000);
});
