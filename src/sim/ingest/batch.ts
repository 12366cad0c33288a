import type { Insertable, Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

/** PostgreSQL allows 65,535 bind parameters per statement; stay well below. */
const MAX_PARAMS = 30_000;

/** Rows per multi-row INSERT for a table with `columns` columns. */
export function batchSize(columns: number, cap = 2000): number {
  return Math.max(1, Math.min(cap, Math.floor(MAX_PARAMS / Math.max(1, columns))));
}

/** Multi-row inserts in batches; returns the generated ids in row order. */
export async function insertReturningIds<T extends keyof Database & string>(db: Kysely<Database>, table: T,
  rows: Insertable<Database[T]>[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const size = batchSize(Object.keys(rows[0] as object).length);
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += size) {
    const chunk = rows.slice(i, i + size);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const out = await (db as Kysely<any>).insertInto(table).values(chunk).returning('id').execute() as Array<{ id: number }>;
    if (out.length !== chunk.length) throw new Error(`insert into ${table} returned ${out.length} ids for ${chunk.length} rows`);
    for (const r of out) ids.push(r.id);
  }
  return ids;
}

/** Multi-row inserts in batches, without returning anything. */
export async function insertAll<T extends keyof Database & string>(db: Kysely<Database>, table: T,
  rows: Insertable<Database[T]>[], onConflictDoNothing = false): Promise<void> {
  if (rows.length === 0) return;
  const size = batchSize(Object.keys(rows[0] as object).length);
  for (let i = 0; i < rows.length; i += size) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let q = (db as Kysely<any>).insertInto(table).values(rows.slice(i, i + size));
    if (onConflictDoNothing) q = q.onConflict((oc) => oc.doNothing());
    await q.execute();
  }
}
