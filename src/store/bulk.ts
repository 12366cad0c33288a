/**
 * Set-based bulk insert: one array parameter per column, unnested by the server (`insert … select … from
 * unnest($1::int[], $2::text[], …)`), instead of one parameter per value. A 20,000-row batch is one statement of a
 * handful of parameters, so neither the client (query building, binding) nor the server (parsing a statement of
 * 30,000 placeholders) pays per value; the same on PostgreSQL and PGlite.
 */
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

export type BulkType = 'int' | 'bigint' | 'text' | 'numeric' | 'timestamptz' | 'boolean' | 'jsonb' | 'text[]';
export type BulkValue = string | number | boolean | Date | null | undefined | readonly string[];

export interface BulkColumn {
  name: string;
  type: BulkType;
}

/** Rows per statement: arrays are one parameter each, so this bounds memory, not the parameter count. */
export const BULK_ROWS = 20_000;

/** PostgreSQL array literal of a text[] value (quoted elements, backslash-escaped). */
function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

function encode(v: BulkValue, type: BulkType): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v.toISOString();
  if (type === 'text[]') return arrayLiteral(v as readonly string[]);
  return v as string | number | boolean;
}

/**
 * Inserts `rows` (each an array in `columns` order) into `table`, `tail` appended (an ON CONFLICT and/or RETURNING
 * clause), in statements of at most BULK_ROWS rows; returns the RETURNING rows of all statements.
 */
export async function bulkInsert<R = never>(
  db: Kysely<Database> | Transaction<Database>,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly (readonly BulkValue[])[],
  tail: RawBuilder<unknown> = sql``,
): Promise<R[]> {
  const out: R[] = [];
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  // text[] travels as text (one array literal per row): unnest would flatten a two-dimensional array.
  const selects = sql.join(columns.map((c) => (c.type === 'text[]' ? sql`x.${sql.id(c.name)}::text[]` : sql`x.${sql.id(c.name)}`)));
  for (let start = 0; start < rows.length; start += BULK_ROWS) {
    const batch = rows.slice(start, start + BULK_ROWS);
    const params = columns.map((c, i) => {
      const values = batch.map((r) => encode(r[i], c.type));
      const arrayType = c.type === 'text[]' ? 'text' : c.type;
      return sql`${values}::${sql.raw(arrayType)}[]`;
    });
    const r = await sql<R>`insert into ${sql.table(table)} (${names}) select ${selects} from unnest(${sql.join(params)}) as x(${names}) ${tail}`.execute(db);
    out.push(...r.rows);
  }
  return out;
}
