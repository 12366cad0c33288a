import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { isJobKind } from './kinds.ts';
import { requeueJob, type PgJobQueue } from './queue.ts';
import { JobInputError, type JobContext, type JobHandler, type JobKind, type JobOutcome, type JobPayload, type JobProgress } from './types.ts';

/** Something to do when a worker is declared dead (e.g. put its crawl frontier claims back). */
export type DeadWorkerCleanup = (db: Kysely<Database>, workerId: string) => Promise<void>;

export interface WorkerOptions {
  queue: PgJobQueue;
  handlers: { [K in JobKind]?: JobHandler<K> };
  /** Queues to take jobs from (default: every kind there is a handler for). */
  queues?: JobKind[];
  /** Jobs run at once by this process (default 2). */
  concurrency?: number;
  /** How often an idle slot asks for work (default 1000 ms). */
  pollMs?: number;
  /** Liveness: heartbeat every `heartbeatMs` (default 2 s); a worker silent for `deadAfterMs` (default 30 s) is dead. */
  heartbeatMs?: number;
  deadAfterMs?: number;
  /** Run on each dead worker found (after its jobs are handed back). */
  onDeadWorker?: DeadWorkerCleanup;
  /** Called every tick (e.g. to resume crawls whose CAPTCHA was solved). */
  onTick?: (db: Kysely<Database>) => Promise<void>;
  /** How long `stop()` waits for running jobs to wind down before giving up on them (default 60 s). */
  stopTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface RunningWorker {
  readonly id: string;
  /** Jobs finished by this worker since it started (for tests and benchmarks). */
  readonly finished: number;
  /** Stops fetching, asks running jobs to stop resumably (they are handed back to the queue), deregisters. */
  stop(): Promise<void>;
}

interface Running {
  kind: JobKind;
  ac: AbortController;
  reason: 'pause' | 'cancel' | 'shutdown' | undefined;
  progress: JobProgress | undefined;
}

type BossJob = PgBoss.JobWithMetadata<{ jobId?: string }>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A worker process's job loop: `concurrency` slots fetch jobs from pg-boss, run their handler, and record the
 * outcome on the job row. A heartbeat keeps this worker alive in `job_workers`, carries progress, acts on pause and
 * cancel requests, and hands the jobs of workers that went silent (kill -9, lost machine) back to the queue.
 */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const { db, boss } = o.queue;
  const id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const queues = (o.queues ?? (Object.keys(o.handlers) as JobKind[])).filter((k) => o.handlers[k]);
  const concurrency = Math.max(1, o.concurrency ?? 2);
  const pollMs = o.pollMs ?? 1000;
  const heartbeatMs = o.heartbeatMs ?? 2000;
  const deadAfterMs = o.deadAfterMs ?? 30_000;
  const log = o.log ?? (() => undefined);
  const running = new Map<string, Running>();
  let stopping = false;
  let finished = 0;

  await db.insertInto('job_workers').values({ id, host: hostname(), pid: process.pid, queues }).execute();

  async function finish(jobId: string, set: { state: 'completed' | 'failed' | 'cancelled' | 'paused' | 'retrying'; result?: unknown; error?: string | null }) {
    const r = running.get(jobId);
    const done = set.state === 'completed' || set.state === 'failed' || set.state === 'cancelled';
    await db
      .updateTable('jobs')
      .set({
        state: set.state,
        control: null,
        updated_at: new Date(),
        ...(set.result !== undefined ? { result: JSON.stringify(set.result) } : {}),
        ...(set.error !== undefined ? { error: set.error } : {}),
        ...(r?.progress ? { progress: JSON.stringify(r.progress) } : {}),
        ...(done ? { finished_at: new Date() } : {}),
      })
      .where('id', '=', jobId)
      .execute();
  }

  async function runJob(kind: JobKind, job: BossJob): Promise<void> {
    const jobId = job.data?.jobId;
    const row = jobId
      ? await db
          .updateTable('jobs')
          .set((eb) => ({ state: 'running', worker_id: id, attempts: eb('attempts', '+', 1), started_at: sql<Date>`coalesce(started_at, now())`, updated_at: new Date() }))
          .where('id', '=', jobId)
          .where('boss_id', '=', job.id)
          .where('state', 'in', ['queued', 'retrying', 'running'])
          .returningAll()
          .executeTakeFirst()
      : undefined;
    if (!row) {
      // Cancelled, paused or superseded while it waited: nothing to run.
      await boss.complete(kind, job.id, { skipped: true });
      return;
    }
    const handler = o.handlers[kind] as JobHandler | undefined;
    const entry: Running = { kind, ac: new AbortController(), reason: undefined, progress: undefined };
    running.set(row.id, entry);
    const ctx: JobContext = {
      jobId: row.id,
      agencyId: row.agency_id,
      attempt: row.attempts,
      workerId: id,
      signal: entry.ac.signal,
      abortReason: () => entry.reason,
      progress: (p) => {
        entry.progress = p;
      },
      checkpoint: row.checkpoint,
      saveCheckpoint: async (c) => {
        ctx.checkpoint = { ...ctx.checkpoint, ...c };
        await db.updateTable('jobs').set({ checkpoint: JSON.stringify(ctx.checkpoint), updated_at: new Date() }).where('id', '=', row.id).execute();
      },
    };
    log(`job ${row.id} (${kind}) attempt ${row.attempts} started`);
    try {
      if (!handler) throw new Error(`this worker has no handler for ${kind} jobs`);
      const outcome: JobOutcome = await handler(row.payload as JobPayload, ctx);
      if (entry.reason === 'cancel') await finish(row.id, { state: 'cancelled', result: outcome.result, error: 'cancelled' });
      else if (entry.reason === 'shutdown' && outcome.state !== 'completed') {
        // Handed back: another worker continues it (the handler left it resumable).
        await finish(row.id, { state: 'retrying', result: outcome.result });
        await requeueJob(db, boss, row.id, ['retrying']);
      } else if (outcome.state === 'paused') await finish(row.id, { state: 'paused', result: outcome.result, error: outcome.reason });
      else await finish(row.id, { state: 'completed', result: outcome.result ?? null, error: null });
      await boss.complete(kind, job.id, { state: 'done' });
      log(`job ${row.id} (${kind}) ${outcome.state}`);
    } catch (err) {
      const message = (err as Error)?.message ?? String(err);
      if (entry.reason === 'cancel') {
        await finish(row.id, { state: 'cancelled', error: `cancelled (${message})` });
        await boss.complete(kind, job.id, { state: 'cancelled' });
      } else {
        // A refused input (a hostile or malformed archive) would be refused again: no retry.
        const retry = !(err instanceof JobInputError) && job.retryCount < job.retryLimit;
        if (retry) await boss.fail(kind, job.id, { message: message.slice(0, 2000) });
        else await boss.complete(kind, job.id, { state: 'failed', error: message.slice(0, 2000) });
        await finish(row.id, { state: retry ? 'retrying' : 'failed', error: message.slice(0, 2000) });
        log(`job ${row.id} (${kind}) failed${retry ? ', will be retried' : ''}: ${message}`);
      }
    } finally {
      running.delete(row.id);
      finished++;
    }
  }

  async function slot(n: number): Promise<void> {
    let turn = n;
    while (!stopping) {
      let ran = false;
      for (let i = 0; i < queues.length && !stopping; i++) {
        const kind = queues[(turn + i) % queues.length]!;
        const [job] = (await boss.fetch<{ jobId?: string }>(kind, { includeMetadata: true, batchSize: 1 })) as BossJob[];
        if (!job) continue;
        turn++;
        ran = true;
        await runJob(kind, job).catch((err: unknown) => log(`job bookkeeping failed: ${(err as Error).message}`));
        break;
      }
      if (!ran) await sleep(pollMs);
    }
  }

  /** Hands a silent worker's running jobs back to pg-boss (retry or fail, by their limits). */
  async function reap(): Promise<void> {
    const dead = await db
      .updateTable('job_workers')
      .set({ stopped_at: new Date(), stop_reason: `lost: no heartbeat for ${Math.round(deadAfterMs / 1000)} s (found by ${id})` })
      .where('stopped_at', 'is', null)
      .where('id', '!=', id)
      .where(sql<boolean>`heartbeat_at < now() - (${deadAfterMs} * interval '1 millisecond')`)
      .returning('id')
      .execute();
    for (const w of dead) {
      const jobs = await db.selectFrom('jobs').select(['id', 'kind', 'boss_id']).where('worker_id', '=', w.id).where('state', '=', 'running').execute();
      for (const j of jobs) {
        if (!isJobKind(j.kind) || !j.boss_id) continue;
        await boss.fail(j.kind, j.boss_id, { message: `worker ${w.id} lost` });
        const after = await boss.getJobById(j.kind, j.boss_id);
        await db
          .updateTable('jobs')
          .set({ state: after?.state === 'retry' ? 'retrying' : 'failed', error: `worker ${w.id} lost`, updated_at: new Date() })
          .where('id', '=', j.id)
          .where('state', '=', 'running')
          .execute();
        log(`job ${j.id} of lost worker ${w.id} handed back (${after?.state ?? 'gone'})`);
      }
      await o.onDeadWorker?.(db, w.id);
    }
  }

  async function tick(): Promise<void> {
    await db.updateTable('job_workers').set({ heartbeat_at: new Date() }).where('id', '=', id).execute();
    if (running.size) {
      const rows = await db.selectFrom('jobs').select(['id', 'control']).where('id', 'in', [...running.keys()]).execute();
      for (const r of rows) {
        const e = running.get(r.id);
        if (!e) continue;
        if (r.control && !e.reason) {
          e.reason = r.control;
          e.ac.abort();
          log(`job ${r.id}: ${r.control} requested`);
        }
        if (e.progress) await db.updateTable('jobs').set({ progress: JSON.stringify(e.progress), updated_at: new Date() }).where('id', '=', r.id).execute();
      }
    }
    await reap();
    await o.onTick?.(db);
  }

  let ticking = false;
  const timer = setInterval(() => {
    if (ticking) return;
    ticking = true;
    tick()
      .catch((err: unknown) => log(`heartbeat failed: ${(err as Error).message}`))
      .finally(() => {
        ticking = false;
      });
  }, heartbeatMs);
  await tick();
  const slots = Array.from({ length: concurrency }, (_, n) => slot(n));
  log(`worker ${id} started: queues ${queues.join(', ')}, concurrency ${concurrency}`);

  return {
    id,
    get finished() {
      return finished;
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const e of running.values()) {
        e.reason ??= 'shutdown';
        e.ac.abort();
      }
      // The give-up timer is cleared once the slots are done: left pending, it would keep the process alive.
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(slots), new Promise<void>((resolve) => { giveUp = setTimeout(resolve, o.stopTimeoutMs ?? 60_000); })]);
      clearTimeout(giveUp);
      clearInterval(timer);
      while (ticking) await sleep(20);
      await db.updateTable('job_workers').set({ stopped_at: new Date(), stop_reason: 'stopped' }).where('id', '=', id).execute();
      log(`worker ${id} stopped`);
    },
  };
}
