import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

const MARKET_COUNTS_LOCK_KEY = 7_304_221_005;

/**
 * Recounts vendors, listings and feedback per market (migration 0501: `market_counts`, grouped by the owner agency
 * and TLP of the counted rows so readers can still apply the access rule to the sums). One transaction: readers see
 * the old counts until the new ones commit. Concurrent refreshes wait for each other. Returns when counts are as of.
 *
 * Call it after a pipeline stage has written rows (ingest, extraction, import); the API also calls it when the
 * counts are older than a minute.
 */
export async function refreshMarketCounts(db: Kysely<Database>): Promise<Date> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MARKET_COUNTS_LOCK_KEY})`.execute(trx);
    await sql`delete from market_counts`.execute(trx);
    await sql`insert into market_counts (market_id, agency_id, tlp, vendors, listings, feedback)
      select market_id, agency_id, tlp, sum(v), sum(l), sum(f) from (
        select market_id, agency_id, tlp, count(*) as v, 0 as l, 0 as f from vendors group by 1, 2, 3
        union all select market_id, agency_id, tlp, 0, count(*), 0 from listings group by 1, 2, 3
        union all select market_id, agency_id, tlp, 0, 0, count(*) from feedback group by 1, 2, 3
      ) c group by 1, 2, 3`.execute(trx);
    const r = await sql<{ refreshed_at: Date }>`insert into market_counts_state (one, refreshed_at) values (true, now())
      on conflict (one) do update set refreshed_at = excluded.refreshed_at returning refreshed_at`.execute(trx);
    return r.rows[0]!.refreshed_at;
  });
}

/** When the materialised counts were last refreshed, or null if never. */
export async function marketCountsAge(db: Kysely<Database>): Promise<Date | null> {
  const r = await sql<{ refreshed_at: Date }>`select refreshed_at from market_counts_state`.execute(db);
  return r.rows[0]?.refreshed_at ?? null;
}
