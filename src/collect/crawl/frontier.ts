import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type QueryCreator, type Transaction } from 'kysely';
import type { Database } from '../../store/index.ts';

export interface FrontierEntry {
  id: number;
  url: string;
  depth: number;
  attempts: number;
}

/** A worker id that names the host and process, so a resuming crawler can tell dead workers' claims. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

function isAliveHere(workerId: string): boolean {
  const [host, pidText] = workerId.split(':');
  if (host !== hostname()) return true; // another machine: rely on the lease
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Adds URLs (ignoring ones the job already has). Returns how many were new. */
export async function enqueue(db: Kysely<Database> | Transaction<Database>, jobId: string, urls: readonly string[], depth: number): Promise<number> {
  if (urls.length === 0) return 0;
  return (await insertUrls(db, jobId, urls, depth).execute()).length;
}

/** The insert of `enqueue`, on `qc` (the store, or a statement's WITH clause). */
function insertUrls(qc: QueryCreator<Database>, jobId: string, urls: readonly string[], depth: number) {
  return qc
    .insertInto('crawl_frontier')
    .values(urls.map((url) => ({ job_id: jobId, url, depth })))
    .onConflict((oc) => oc.columns(['job_id', 'url']).doNothing())
    .returning('id');
}

/**
 * Claims up to `n` ready URLs of a job, in frontier order: one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select, so
 * parallel workers (in any number of processes) never get the same row, and a claim is durable the moment it is
 * made. The scheduler hands them to its workers; what it still holds when it stops goes back with
 * `retryLater(…, false)`.
 */
export async function claimBatch(db: Kysely<Database>, jobId: string, workerId: string, leaseMs: number, n: number): Promise<FrontierEntry[]> {
  const r = await sql<FrontierEntry>`
    update crawl_frontier set state = 'claimed', claimed_by = ${workerId},
      lease_until = now() + (${leaseMs} * interval '1 millisecond'), attempts = attempts + 1
    where id in (
      select id from crawl_frontier
      where job_id = ${jobId} and state = 'queued' and not_before <= now()
      order by id limit ${Math.max(1, Math.floor(n))}
      for update skip locked)
    returning id, url, depth, attempts`.execute(db);
  return r.rows.map((row) => ({ ...row, id: Number(row.id) })).sort((a, b) => a.id - b.id);
}

/**
 * How many entries a job's frontier holds, for the max-pages limit, without a `count(*)` per page: the exact count
 * is read (in the caller's transaction) at the first use, every `REFRESH` uses and whenever the estimate leaves less
 * room than asked for; in between the crawl's own additions are counted. Additions in a transaction that rolls
 * back must be taken back (`add(-n)`). Other processes sharing the job are seen at the next exact read.
 */
export class FrontierSize {
  static readonly REFRESH = 64;
  #estimate: number | undefined;
  #uses = 0;
  readonly #jobId: string;
  readonly #max: number;

  constructor(jobId: string, max: number) {
    this.#jobId = jobId;
    this.#max = max;
  }

  /** Room left under the limit for `want` new entries. */
  async room(trx: Transaction<Database>, want: number): Promise<number> {
    this.#uses++;
    if (this.#estimate === undefined || this.#uses % FrontierSize.REFRESH === 0 || this.#max - this.#estimate < want) {
      const have = await trx.selectFrom('crawl_frontier').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', this.#jobId).executeTakeFirstOrThrow();
      this.#estimate = Number(have.n);
    }
    return Math.max(0, this.#max - this.#estimate);
  }

  add(n: number): void {
    if (this.#estimate !== undefined) this.#estimate += n;
  }
}

/**
 * Marks an entry fetched and captured (called inside the capture's transaction: exactly-once capture). `note`
 * says what was not done with it (e.g. links not followed), and it is never fetched again.
 */
export async function completeEntry(trx: Transaction<Database>, id: number, captureId: number | null, httpStatus: number | null, note: string | null = null): Promise<void> {
  await trx.updateTable('crawl_frontier').set({ state: 'done', capture_id: captureId, http_status: httpStatus, lease_until: null, error: note }).where('id', '=', id).execute();
}

/**
 * `completeEntry` and `enqueue` of the entry's links as one statement (the update in a data-modifying CTE, which
 * PostgreSQL always runs to completion, whether or not the insert adds rows). Returns how many links were new.
 */
export async function completeAndEnqueue(
  trx: Transaction<Database>,
  entry: { id: number; captureId: number | null; httpStatus: number | null; note: string | null },
  jobId: string,
  urls: readonly string[],
  depth: number,
): Promise<number> {
  if (urls.length === 0) {
    await completeEntry(trx, entry.id, entry.captureId, entry.httpStatus, entry.note);
    return 0;
  }
  const withDone = trx.with('done', (qb) =>
    qb
      .updateTable('crawl_frontier')
      .set({ state: 'done', capture_id: entry.captureId, http_status: entry.httpStatus, lease_until: null, error: entry.note })
      .where('id', '=', entry.id)
      .returning('id'),
  );
  // The WITH clause only adds `done`, which the insert does not name: its creator serves as the store's.
  return (await insertUrls(withDone as unknown as QueryCreator<Database>, jobId, urls, depth).execute()).length;
}

/** Puts an entry back for a later attempt. `countAttempt: false` undoes the claim's attempt (e.g. after a re-login). */
export async function retryLater(db: Kysely<Database>, id: number, delayMs: number, error: string | null, countAttempt = true): Promise<void> {
  await db
    .updateTable('crawl_frontier')
    .set((eb) => ({
      state: 'queued',
      claimed_by: null,
      lease_until: null,
      error,
      not_before: sql<Date>`now() + (${Math.max(0, Math.round(delayMs))} * interval '1 millisecond')`,
      attempts: countAttempt ? eb.ref('attempts') : sql<number>`greatest(attempts - 1, 0)`,
    }))
    .where('id', '=', id)
    .execute();
}

export async function failEntry(db: Kysely<Database>, id: number, error: string, httpStatus: number | null = null): Promise<void> {
  await db.updateTable('crawl_frontier').set({ state: 'failed', error, http_status: httpStatus, lease_until: null }).where('id', '=', id).execute();
}

/** Returns claims of dead workers (this host) and of expired leases to the queue. Returns how many. */
export async function requeueOrphans(db: Kysely<Database>, jobId: string): Promise<number> {
  const claimed = await db
    .selectFrom('crawl_frontier')
    .select(['id', 'claimed_by'])
    .select(sql<boolean>`lease_until < now()`.as('expired'))
    .where('job_id', '=', jobId)
    .where('state', '=', 'claimed')
    .execute();
  const orphans = claimed.filter((c) => c.expired || !c.claimed_by || !isAliveHere(c.claimed_by)).map((c) => c.id);
  if (orphans.length === 0) return 0;
  await db
    .updateTable('crawl_frontier')
    .set((eb) => ({ state: 'queued', claimed_by: null, lease_until: null, attempts: sql<number>`greatest(${eb.ref('attempts')} - 1, 0)` }))
    .where('id', 'in', orphans)
    .execute();
  return orphans.length;
}

/** Returns every claim of one worker (declared dead by the job system) to the queue. Returns how many. */
export async function releaseClaims(db: Kysely<Database>, workerId: string): Promise<number> {
  const rows = await db
    .updateTable('crawl_frontier')
    .set((eb) => ({ state: 'queued', claimed_by: null, lease_until: null, attempts: sql<number>`greatest(${eb.ref('attempts')} - 1, 0)` }))
    .where('state', '=', 'claimed')
    .where('claimed_by', '=', workerId)
    .returning('id')
    .execute();
  return rows.length;
}

export interface FrontierCounts {
  queued: number;
  claimed: number;
  done: number;
  failed: number;
  total: number;
}

export async function frontierCounts(db: Kysely<Database>, jobId: string): Promise<FrontierCounts> {
  const rows = await db
    .selectFrom('crawl_frontier')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .where('job_id', '=', jobId)
    .groupBy('state')
    .execute();
  const c: FrontierCounts = { queued: 0, claimed: 0, done: 0, failed: 0, total: 0 };
  for (const r of rows) {
    c[r.state] = Number(r.n);
    c.total += Number(r.n);
  }
  return c;
}

/** When the next queued entry becomes ready (for idle workers to sleep until then). */
export async function nextReadyIn(db: Kysely<Database>, jobId: string): Promise<number | undefined> {
  const r = await sql<{ ms: number | null }>`
    select (extract(epoch from (min(not_before) - now())) * 1000)::float8 as ms
    from crawl_frontier where job_id = ${jobId} and state = 'queued'`.execute(db);
  const ms = r.rows[0]?.ms;
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms));
}
