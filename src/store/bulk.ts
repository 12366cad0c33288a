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

/** One single-column foreign key of a table: `column` references `parent(key)`. */
interface ForeignKey {
  column: string;
  parent: string;
  key: string;
  keyType: string;
  /** The column has a default, so a row that does not set it may still reference a parent. */
  hasDefault: boolean;
}
interface TableKeys {
  keys: ForeignKey[];
  /** A multi-column foreign key: not checked set-based, the table keeps its per-row checks. */
  composite: boolean;
}
const tableKeys = new Map<string, TableKeys>();

async function foreignKeysOf(db: Kysely<Database> | Transaction<Database>, table: string): Promise<TableKeys> {
  const cached = tableKeys.get(table);
  if (cached) return cached;
  const rows = (await sql<{ column: string; parent: string; key: string; key_type: string; has_default: boolean; n: number }>`
    select a.attname as column, pc.relname as parent, pa.attname as key, format_type(pa.atttypid, pa.atttypmod) as key_type,
           a.atthasdef as has_default, cardinality(c.conkey) as n
    from pg_constraint c
    join pg_class pc on pc.oid = c.confrelid
    join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
    where c.contype = 'f' and c.conrelid = to_regclass(${table})`.execute(db)).rows;
  const out = { keys: rows.map((r) => ({ column: r.column, parent: r.parent, key: r.key, keyType: r.key_type, hasDefault: r.has_default })), composite: rows.some((r) => Number(r.n) !== 1) };
  tableKeys.set(table, out);
  return out;
}

/**
 * Whether this session may check a batch's foreign keys set-based (bulkInsert's `batchedReferences`): it must be
 * allowed to set session_replication_role (a superuser: PGlite's always is). Otherwise inserts keep the per-row checks.
 */
export async function canBatchReferenceChecks(db: Kysely<Database> | Transaction<Database>): Promise<boolean> {
  return (await sql<{ ok: boolean }>`select current_setting('is_superuser') = 'on' as ok`.execute(db)).rows[0]?.ok === true;
}

export interface BulkOptions {
  /**
   * Check the table's foreign keys once per batch instead of once per row (set `canBatchReferenceChecks` first; only
   * inside a transaction). PostgreSQL checks each foreign key of each inserted row with its own
   * `SELECT … FOR KEY SHARE` (an after-row trigger), which dominates a bulk load whose rows all point at the same
   * few parents. Here each key's distinct values of the batch are locked and counted by one
   * `SELECT … WHERE key = ANY($1) FOR KEY SHARE` — the same lock and the same existence check — and the insert itself
   * runs with `session_replication_role = replica`, which skips the per-row triggers for that statement only. A
   * missing parent throws (and the transaction rolls back) as a foreign-key violation would. Tables with a trigger
   * of their own, a composite foreign key, or a referencing column left to a default keep the per-row checks.
   */
  batchedReferences?: boolean;
}

/** Distinct non-null values of column `i` of `batch`. */
function distinct(batch: readonly (readonly BulkValue[])[], i: number): string[] {
  const set = new Set<string>();
  for (const r of batch) {
    const v = r[i];
    if (v !== null && v !== undefined) set.add(String(v));
  }
  return [...set];
}

/** Locks and counts the parents of each foreign key of `batch` (see BulkOptions); throws when one is missing. */
async function checkReferences(db: Transaction<Database> | Kysely<Database>, table: string, keys: readonly ForeignKey[], columns: readonly BulkColumn[], batch: readonly (readonly BulkValue[])[]): Promise<void> {
  for (const k of keys) {
    const i = columns.findIndex((c) => c.name === k.column);
    if (i < 0) continue;
    const values = distinct(batch, i);
    if (values.length === 0) continue;
    const found = (await sql<{ n: number }>`with p as (select 1 from ${sql.table(k.parent)} where ${sql.id(k.key)} = any(${values}::${sql.raw(k.keyType)}[]) for key share) select count(*)::int as n from p`.execute(db)).rows[0]?.n ?? 0;
    if (Number(found) !== values.length) {
      throw new Error(`insert into ${table}: ${values.length - Number(found)} value(s) of ${k.column} not present in ${k.parent}(${k.key}) (foreign key)`);
    }
  }
}

async function hasOwnTriggers(db: Kysely<Database> | Transaction<Database>, table: string): Promise<boolean> {
  const r = await sql<{ n: number }>`select count(*)::int as n from pg_trigger where tgrelid = to_regclass(${table}) and not tgisinternal`.execute(db);
  return Number(r.rows[0]?.n ?? 0) > 0;
}
const ownTriggers = new Map<string, boolean>();

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
  options: BulkOptions = {},
): Promise<R[]> {
  const out: R[] = [];
  let batched: ForeignKey[] | undefined;
  if (options.batchedReferences && db.isTransaction && rows.length > 0) {
    const fk = await foreignKeysOf(db, table);
    if (!ownTriggers.has(table)) ownTriggers.set(table, await hasOwnTriggers(db, table));
    const inserted = new Set(columns.map((c) => c.name));
    const usable = !fk.composite && !ownTriggers.get(table) && fk.keys.every((k) => inserted.has(k.column) || !k.hasDefault);
    if (usable) batched = fk.keys;
  }
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
    const insert = sql<R>`insert into ${sql.table(table)} (${names}) select ${selects} from unnest(${sql.join(params)}) as x(${names}) ${tail}`;
    if (!batched) {
      out.push(...(await insert.execute(db)).rows);
      continue;
    }
    await checkReferences(db, table, batched, columns, batch);
    await sql`set local session_replication_role = replica`.execute(db);
    out.push(...(await insert.execute(db)).rows);
    await sql`set local session_replication_role = origin`.execute(db);
  }
  return out;
}
