import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, JobsTable } from '../store/index.ts';
import { bossDb, startBoss } from './boss.ts';
import { DEFAULT_RETRY_LIMIT, JOB_PAYLOADS, isJobKind } from './kinds.ts';
import type { EnqueueOptions, JobKind, JobListFilter, JobPayload, JobProgress, JobQueue, JobState, JobStatus, WorkerStatus } from './types.ts';

export class JobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobError';
  }
}

export function toStatus(r: Selectable<JobsTable>): JobStatus {
  if (!isJobKind(r.kind)) throw new JobError(`job ${r.id} has an unknown kind ${JSON.stringify(r.kind)}`);
  return {
    id: r.id,
    kind: r.kind,
    agencyId: r.agency_id,
    requestedBy: r.requested_by,
    payload: r.payload as JobPayload,
    state: r.state,
    progress: r.progress as unknown as JobProgress,
    result: r.result ?? null,
    error: r.error,
    attempts: r.attempts,
    workerId: r.worker_id,
    control: r.control,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
  };
}

/** Sends the row's pg-boss job in the caller's transaction, so a row is never queued without its delivery. */
async function send(boss: PgBoss, trx: Transaction<Database>, row: { id: string; kind: JobKind; retry_limit: number }, startAfter?: Date): Promise<void> {
  const bossId = await boss.send(row.kind, { jobId: row.id }, { retryLimit: row.retry_limit, ...(startAfter ? { startAfter } : {}), db: bossDb(trx) });
  if (!bossId) throw new JobError(`the queue refused job ${row.id}`);
  await trx.updateTable('jobs').set({ boss_id: bossId, updated_at: new Date() }).where('id', '=', row.id).execute();
}

/**
 * Puts a job row back on its queue (resume, hand-back on shutdown, a solved CAPTCHA) in one transaction, only if
 * it is still in one of the `from` states (two workers never queue it twice). Returns whether it was queued.
 */
export async function requeueJob(db: Kysely<Database>, boss: PgBoss, id: string, from: readonly JobState[]): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('jobs')
      .set({ state: 'queued', control: null, updated_at: new Date() })
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .returning(['id', 'kind', 'retry_limit'])
      .executeTakeFirst();
    if (!row) return false;
    if (!isJobKind(row.kind)) throw new JobError(`job ${id} has an unknown kind`);
    await send(boss, trx, { id: row.id, kind: row.kind, retry_limit: row.retry_limit });
    return true;
  });
}

/** The job queue on the store: job rows for people, pg-boss for delivery. See docs/collect.md "Jobs and workers". */
export class PgJobQueue implements JobQueue {
  readonly db: Kysely<Database>;
  readonly boss: PgBoss;

  private constructor(db: Kysely<Database>, boss: PgBoss) {
    this.db = db;
    this.boss = boss;
  }

  static async open(db: Kysely<Database>): Promise<PgJobQueue> {
    return new PgJobQueue(db, await startBoss(db));
  }

  async enqueue<K extends JobKind>(kind: K, payload: JobPayload<K>, options: EnqueueOptions = {}): Promise<JobStatus<K>> {
    const parsed = JOB_PAYLOADS[kind].safeParse(payload);
    if (!parsed.success) throw new JobError(`invalid ${kind} job: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ')}`);
    const id = randomUUID();
    const retryLimit = options.retryLimit ?? DEFAULT_RETRY_LIMIT[kind];
    const row = await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('jobs')
        .values({ id, kind, agency_id: options.agencyId ?? null, requested_by: options.requestedBy ?? 'system', payload: JSON.stringify(parsed.data), retry_limit: retryLimit })
        .execute();
      await send(this.boss, trx, { id, kind, retry_limit: retryLimit }, options.startAfter);
      return trx.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    });
    return toStatus(row) as JobStatus<K>;
  }

  async get(id: string): Promise<JobStatus | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toStatus(row) : undefined;
  }

  async list(filter: JobListFilter = {}): Promise<JobStatus[]> {
    let q = this.db.selectFrom('jobs').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(Math.min(filter.limit ?? 100, 1000));
    if (filter.agencyId !== undefined) q = q.where('agency_id', '=', filter.agencyId);
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.states?.length) q = q.where('state', 'in', filter.states);
    if (filter.before) {
      const b = await this.get(filter.before);
      if (b) q = q.where((eb) => eb.or([eb('created_at', '<', b.createdAt), eb.and([eb('created_at', '=', b.createdAt), eb('id', '<', b.id)])]));
    }
    return (await q.execute()).map(toStatus);
  }

  async #must(id: string): Promise<JobStatus> {
    const j = await this.get(id);
    if (!j) throw new JobError(`no job ${id}`);
    return j;
  }

  async cancel(id: string, by: string): Promise<JobStatus> {
    const j = await this.#must(id);
    if (j.state === 'completed' || j.state === 'failed' || j.state === 'cancelled') throw new JobError(`job ${id} is ${j.state}`);
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('jobs').select(['state', 'boss_id', 'kind']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (row.state === 'running') {
        await trx.updateTable('jobs').set({ control: 'cancel', updated_at: new Date() }).where('id', '=', id).execute();
      } else {
        await trx.updateTable('jobs').set({ state: 'cancelled', control: null, error: `cancelled by ${by}`, finished_at: new Date(), updated_at: new Date() }).where('id', '=', id).execute();
        if (row.boss_id) await this.boss.cancel(row.kind, row.boss_id, { db: bossDb(trx) });
      }
    });
    return this.#must(id);
  }

  async pause(id: string, by: string): Promise<JobStatus> {
    const j = await this.#must(id);
    if (j.kind !== 'crawl') throw new JobError(`only crawl jobs can be paused (job ${id} is ${j.kind})`);
    if (j.state !== 'running' && j.state !== 'queued' && j.state !== 'retrying') throw new JobError(`job ${id} is ${j.state}`);
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('jobs').select(['state', 'boss_id', 'kind']).where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (row.state === 'running') {
        await trx.updateTable('jobs').set({ control: 'pause', updated_at: new Date() }).where('id', '=', id).execute();
      } else {
        await trx.updateTable('jobs').set({ state: 'paused', control: null, error: `paused by ${by}`, updated_at: new Date() }).where('id', '=', id).execute();
        if (row.boss_id) await this.boss.cancel(row.kind, row.boss_id, { db: bossDb(trx) });
      }
    });
    return this.#must(id);
  }

  async resume(id: string, by: string): Promise<JobStatus> {
    const j = await this.#must(id);
    if (j.state !== 'paused' && j.state !== 'failed') throw new JobError(`job ${id} is ${j.state}: only paused or failed jobs are resumed`);
    if (!(await requeueJob(this.db, this.boss, id, ['paused', 'failed']))) throw new JobError(`job ${id} changed state meanwhile`);
    await this.db.updateTable('jobs').set({ error: null, finished_at: null, progress: JSON.stringify({ ...j.progress, message: `resumed by ${by}` }) }).where('id', '=', id).execute();
    return this.#must(id);
  }

  async workers(): Promise<WorkerStatus[]> {
    const rows = await this.db.selectFrom('job_workers').selectAll().orderBy('started_at', 'desc').limit(200).execute();
    const running = await this.db.selectFrom('jobs').select(['id', 'worker_id']).where('state', '=', 'running').execute();
    return rows.map((w) => ({
      id: w.id,
      host: w.host,
      pid: w.pid,
      queues: w.queues.filter(isJobKind),
      startedAt: w.started_at,
      heartbeatAt: w.heartbeat_at,
      stoppedAt: w.stopped_at,
      running: running.filter((r) => r.worker_id === w.id).map((r) => r.id),
    }));
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, close: false, wait: true, timeout: 5000 });
  }
}

/** Counts by state (for the console's summary line and the CLI). */
export async function jobCounts(db: Kysely<Database>, agencyId?: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('jobs')
    .select(['state', sql<number>`count(*)::int`.as('n')])
    .$if(agencyId !== undefined, (q) => q.where('agency_id', '=', agencyId!))
    .groupBy('state')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
}
