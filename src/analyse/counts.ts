import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';

/** The overview's basic counts. */
export interface BasicCounts {
  markets: number;
  vendors: number;
  listings: number;
  feedback: number;
  identities: number;
  proposed_links: number;
}

/**
 * The overview's counts over the tables as `db` sees them: the console runs it on the caller's visible rows
 * (server withVisibleRows), the CLI (`report counts`) on the whole store — one query for both.
 */
export async function basicCounts(db: Kysely<Database>): Promise<BasicCounts> {
  const r = await sql<BasicCounts>`select
    (select count(*)::int from markets) as markets,
    (select count(*)::int from vendors) as vendors,
    (select count(*)::int from listings) as listings,
    (select count(*)::int from feedback) as feedback,
    (select count(*)::int from identities) as identities,
    (select count(*)::int from links where status = 'proposed') as proposed_links`.execute(db);
  return r.rows[0]!;
}
