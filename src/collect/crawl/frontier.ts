import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
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
  const rows = await db
    .insertInto('crawl_frontier')
    .values(urls.map((url) => ({ job_id: jobId, url, depth })))
    .onConflict((oc) => oc.columns(['job_id', 'url']).doNothing())
    .returning('id')
    .execute();
  return rows.length;
}

/**
 * Claims up to `n` ready URLs of a job, in frontier order: one UPDATE over a `FOR UPDATE SKIP LOCKED` sub-select, so
 * parallel workers (in any number of processes) never get the same row, and a claim is durable the moment it is
 * made. The scheduler hands them to its workers; what it still holds when it stops goes back with
 * `retryLater(…, false)`.
 */
export async function claimBatch(db: Kysely<Database>, jobId: string, workerId: string, leaseMs: number, n: number): Promise<FrontierEntry[]> {
  const r = await claimStatement(jobId, { workerId, leaseMs }, Math.max(1, Math.floor(n))).execute(db);
  return toEntries(r.rows);
}

/** The claim of up to `n` ready entries, returning them (a statement of its own, or a CTE of a group commit's). */
function claimStatement(jobId: string, claimer: { workerId: string; leaseMs: number }, n: number): RawBuilder<FrontierEntry> {
  return sql<FrontierEntry>`
    update crawl_frontier set state = 'claimed', claimed_by = ${claimer.workerId},
      lease_until = now() + (${claimer.leaseMs} * interval '1 millisecond'), attempts = attempts + 1
    where id in (
      select id from crawl_frontier
      where job_id = ${jobId} and state = 'queued' and not_before <= now()
      order by id limit ${n}
      for update skip locked)
    returning id, url, depth, attempts`;
}

const toEntries = (rows: readonly FrontierEntry[]): FrontierEntry[] => rows.map((row) => ({ ...row, id: Number(row.id) })).sort((a, b) => a.id - b.id);

/**
 * How many entries a job's frontier holds, for the max-pages limit, without a `count(*)` per page: the exact count
 * is read (in the caller's transaction) at the first use, every `REFRESH` uses and whenever the estimate leaves less
 * room than asked for; in between the crawl's own additions are counted. Additions in a transaction that rolls
 * back must be taken back (`add(-n)`). Other processes sharing the job are seen at the next exact read.
 */
export class FrontierSize {
  static readonly REFRESH = 64;
  #estimate: number | undefined;
  /** Uses (pages) since the last exact read. */
  #uses = 0;
  readonly #jobId: string;
  readonly #max: number;

  constructor(jobId: string, max: number) {
    this.#jobId = jobId;
    this.#max = max;
  }

  /** Room left under the limit for `want` new entries (of `pages` pages: a group commit's pages ask once). */
  async room(trx: Transaction<Database>, want: number, pages = 1): Promise<number> {
    this.#uses += pages;
    if (this.#estimate === undefined || this.#uses >= FrontierSize.REFRESH || this.#max - this.#estimate < want) {
      const have = await trx.selectFrom('crawl_frontier').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', this.#jobId).executeTakeFirstOrThrow();
      this.#estimate = Number(have.n);
      this.#uses = 0;
    }
    return Math.max(0, this.#max - this.#estimate);
  }

  add(n: number): void {
    if (this.#estimate !== undefined) this.#estimate += n;
  }
}

/** A captured page's frontier work: its entry done, its links (in scope, under max-depth) queued at `depth`. */
export interface PageCompletion {
  id: number;
  httpStatus: number | null;
  note: string | null;
  links: readonly string[];
  depth: number;
}

/**
 * Entries claimed in a group commit's transaction for the workers whose pages it commits (each of them asks for its
 * next entry once its page has committed), so they need no claim statement of their own: on the embedded engine's
 * one session, a claim would wait behind the group transactions.
 */
export interface ClaimsInCommit {
  workerId: string;
  leaseMs: number;
  /** How many entries to claim for a group of `pages` pages (0 once the crawl stops). */
  want(pages: number): number;
  /** The entries claimed, once their transaction committed. */
  take(entries: FrontierEntry[]): void;
}

/** What a group's frontier work did: links added (taken back from the frontier size if it rolls back), entries claimed. */
export interface GroupFrontierResult {
  added: number;
  claimed: FrontierEntry[];
}

/**
 * The frontier work of a group commit's pages, in its transaction (`GroupWork` of the evidence recorder): every
 * page's entry marked done, every page's new links queued and, while a scheduler hands them out (`claims`), as
 * many ready entries claimed as the group has pages, as one statement for the whole group. The result is what page
 * after page would give: links in the order of the pages and of each page's links, a link several pages found
 * queued once at the first page's depth, links the job already has ignored. When the max-pages limit leaves less
 * room than the group's links, the pages go one by one as before (each page's links cut to the room left; nothing
 * claimed).
 */
export class FrontierCompletions {
  readonly #jobId: string;
  readonly #size: FrontierSize;
  /** Set by the scheduler while it runs. */
  claims: ClaimsInCommit | undefined;

  constructor(jobId: string, size: FrontierSize) {
    this.#jobId = jobId;
    this.#size = size;
  }

  async run(trx: Transaction<Database>, items: ReadonlyArray<{ item: PageCompletion; captureId: number }>): Promise<GroupFrontierResult> {
    const want = items.reduce((n, { item }) => n + item.links.length, 0);
    const result: GroupFrontierResult = { added: 0, claimed: [] };
    try {
      if (want === 0 || (await this.#size.room(trx, want, items.length)) >= want) {
        const claims = this.claims;
        const r = await completeGroup(trx, this.#jobId, items, claims && { ...claims, n: claims.want(items.length) });
        this.#size.add(r.added);
        return r;
      }
      for (const { item, captureId } of items) {
        const room = item.links.length ? await this.#size.room(trx, item.links.length) : 0;
        const { added } = await completeGroup(trx, this.#jobId, [{ item: { ...item, links: item.links.slice(0, room) }, captureId }]);
        this.#size.add(added);
        result.added += added;
      }
      return result;
    } catch (err) {
      this.#size.add(-result.added);
      throw err;
    }
  }

  rolledBack(result: GroupFrontierResult): void {
    this.#size.add(-result.added);
  }

  committed(result: GroupFrontierResult): void {
    if (result.claimed.length) this.claims?.take(result.claimed);
  }
}

/**
 * Pages' completion, their links' enqueue and the claim of `claim.n` ready entries as one statement (the update
 * and the claim in data-modifying CTEs, which PostgreSQL always runs to completion; all parts see the statement's
 * snapshot, so the claim does not see the links this statement queues). Returns how many links were new and what
 * was claimed.
 */
async function completeGroup(
  trx: Transaction<Database>,
  jobId: string,
  items: ReadonlyArray<{ item: PageCompletion; captureId: number }>,
  claim?: { workerId: string; leaseMs: number; n: number },
): Promise<GroupFrontierResult> {
  const seen = new Set<string>();
  const urls: string[] = [];
  const depths: number[] = [];
  for (const { item } of items) {
    for (const url of item.links) {
      if (seen.has(url)) continue;
      seen.add(url);
      urls.push(url);
      depths.push(item.depth);
    }
  }
  const n = claim?.n ?? 0;
  const r = await sql<FrontierEntry & { added: number }>`
    with done as (
      update crawl_frontier f set state = 'done', capture_id = v.capture_id, http_status = v.http_status, lease_until = null, error = v.note
      from unnest(${items.map((i) => i.item.id)}::int8[], ${items.map((i) => i.captureId)}::int4[], ${items.map((i) => i.item.httpStatus)}::int4[], ${items.map((i) => i.item.note)}::text[])
        as v(id, capture_id, http_status, note)
      where f.id = v.id
      returning f.id),
    ins as (
      insert into crawl_frontier (job_id, url, depth)
      select ${jobId}, u.url, u.depth from unnest(${urls}::text[], ${depths}::int4[]) with ordinality as u(url, depth, ord)
      order by u.ord
      on conflict (job_id, url) do nothing
      returning id),
    claimed as (${claim && n > 0 ? claimStatement(jobId, claim, n) : sql`select null::int8 as id, null::text as url, null::int4 as depth, null::int4 as attempts where false`})
    select c.id, c.url, c.depth, c.attempts, a.added from (select count(*)::int4 as added from ins) a left join claimed c on true`.execute(trx);
  return { added: Number(r.rows[0]?.added ?? 0), claimed: toEntries(r.rows.filter((row) => row.id !== null)) };
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
