import { sql, type Kysely } from 'kysely';
import { pgliteOf } from './open.ts';
import type { Database } from './schema.ts';

/** The tables the pipeline's bulk writers fill and the API searches (each has GIN search indexes). */
export const SEARCHED_TABLES = ['vendors', 'listings', 'feedback', 'selectors'] as const;

/**
 * After a bulk write on the embedded engine: VACUUM (ANALYZE) the searched tables, which is what PostgreSQL's
 * autovacuum does on a server within about a minute and which PGlite, with no background workers, never does.
 *
 * Why: a bulk insert leaves each GIN index's new entries in its pending list (`fastupdate`, up to 4 MB per index), and
 * every search through the index scans that list whole; the planner, costing it, even turns the vendor probe into a
 * sequential scan. Measured at AlphaBay scale on PGlite (docs/benchmarks.md, "the embedded engine vacuumed after bulk
 * writes"): vendor search 10 → 47 req/s, one box 8 → 26 req/s. ANALYZE also gives the planner the statistics a bulk
 * load otherwise leaves it without. On PostgreSQL this does nothing: autovacuum is the server's job.
 *
 * Must run outside a transaction (VACUUM cannot run in one). Returns whether it ran.
 */
export async function maintainAfterBulkWrite(db: Kysely<Database>): Promise<boolean> {
  if (!pgliteOf(db)) return false;
  await sql.raw(`vacuum (analyze) ${SEARCHED_TABLES.join(', ')}`).execute(db);
  return true;
}
