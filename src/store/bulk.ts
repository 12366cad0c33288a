/**
 * Set-based bulk insert: one array parameter per column, unnested by the server (`insert … select … from
 * unnest($1::int[], $2::text[], …)`), instead of one parameter per value. A 20,000-row batch is one statement of a
 * handful of parameters, so neither the client (query building, binding) nor the server (parsing a statement of
 * 30,000 placeholders) pays per value; the same on PostgreSQL and PGlite.
 */
import { createHash } from 'node:crypto';
import { sql, type CompiledQuery, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import { arrayLiteral, copyData, distinct, type EncodedBatch } from './copy-text.ts';

export { encodeBatch, type EncodedBatch } from './copy-text.ts';

export type BulkType = 'int' | 'bigint' | 'text' | 'numeric' | 'timestamptz' | 'boolean' | 'jsonb' | 'text[]';
export type BulkValue = string | number | boolean | Date | null | undefined | readonly string[];

export interface BulkColumn {
  name: string;
  type: BulkType;
}

/** Rows per statement: arrays are one parameter each, so this bounds memory, not the parameter count. */
export const BULK_ROWS = 20_000;

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
  /** The table has a trigger of its own (not a constraint's): it keeps its per-row triggers. */
  ownTriggers: boolean;
}

/**
 * The table's foreign keys and whether it has triggers of its own, read from the catalog in the caller's transaction
 * on every call (one statement; no cache). `session_replication_role = replica` skips every per-row trigger, the
 * foreign-key checks included, so a description kept from an earlier call would let rows through unchecked after a
 * foreign key or a trigger was added later in the process (or when one process opens several databases whose
 * tables differ).
 */
async function foreignKeysOf(db: Kysely<Database> | Transaction<Database>, table: string): Promise<TableKeys> {
  const r = (await sql<{ keys: Array<{ column: string; parent: string; key: string; key_type: string; has_default: boolean; n: number }> | null; triggers: number }>`
    select (select count(*)::int from pg_trigger where tgrelid = to_regclass(${table}) and not tgisinternal) as triggers,
           (select json_agg(json_build_object('column', a.attname, 'parent', pc.relname, 'key', pa.attname,
                     'key_type', format_type(pa.atttypid, pa.atttypmod), 'has_default', a.atthasdef, 'n', cardinality(c.conkey)))
            from pg_constraint c
            join pg_class pc on pc.oid = c.confrelid
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
            join pg_attribute pa on pa.attrelid = c.confrelid and pa.attnum = c.confkey[1]
            where c.contype = 'f' and c.conrelid = to_regclass(${table})) as keys`.execute(db)).rows[0];
  const rows = r?.keys ?? [];
  return {
    keys: rows.map((k) => ({ column: k.column, parent: k.parent, key: k.key, keyType: k.key_type, hasDefault: k.has_default })),
    composite: rows.some((k) => Number(k.n) !== 1),
    ownTriggers: Number(r?.triggers ?? 0) > 0,
  };
}

/**
 * Whether this session may check a batch's foreign keys set-based (bulkInsert's `batchedReferences`): it must be
 * allowed to set session_replication_role (a superuser: PGlite's always is). Otherwise inserts keep the per-row checks.
 */
export async function canBatchReferenceChecks(db: Kysely<Database> | Transaction<Database>): Promise<boolean> {
  return (await sql<{ ok: boolean }>`select current_setting('is_superuser') = 'on' as ok`.execute(db)).rows[0]?.ok === true;
}

/**
 * Whether bulkInsert's `copy` may be used: a PostgreSQL server. PGlite's engine runs single-user and reads
 * `COPY … FROM STDIN` from the process's own standard input (it exits), so PGlite keeps the unnest path.
 */
export async function canCopyFromStdin(db: Kysely<Database> | Transaction<Database>): Promise<boolean> {
  return (await sql<{ ok: boolean }>`select version() not like '%PGlite%' as ok`.execute(db)).rows[0]?.ok === true;
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
  /**
   * Send each batch by `COPY … FROM STDIN` (text format) into a session-local staging table shaped like the
   * inserted columns, then move it with one `insert into … select … from` the staging table (`tail` applies to
   * that insert, so ON CONFLICT and RETURNING work as with unnest). The rows travel as one COPY stream instead of
   * one array literal per column: no per-column array parsing on the server and no array building in the client.
   * Only inside a transaction (the staging table is emptied per batch) and on a server (`canCopyFromStdin`).
   */
  copy?: boolean;
  /**
   * PGlite's form of `copy`: runs `COPY … FROM '/dev/blob'` with the batch's COPY text as the blob, on the PGlite
   * object itself (store/open.ts: pgliteOf; its node-postgres adapter has no COPY FROM STDIN, the single-user engine
   * would read the process's own standard input). PGlite is one session, so the COPY lands in the open transaction.
   */
  copyBlob?: (text: string, data: Buffer) => Promise<unknown>;
}

/**
 * One `COPY … FROM STDIN` on the connection of a kysely query, as a node-postgres "submittable": kysely passes it to
 * `client.query`, which queues it like any query and hands it the connection when the server asks for the data
 * (CopyInResponse). A PostgreSQL server only (PGlite takes `copyBlob`). Thenable, so kysely's
 * `await client.query(…)` waits for the end of the COPY.
 */
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}
class CopyIn {
  private result: { resolve: (v: { command: string; rowCount: number; rows: [] }) => void; reject: (e: unknown) => void } | undefined;
  private readonly done: Promise<{ command: string; rowCount: number; rows: [] }>;
  private error: unknown;
  private rowCount = 0;
  constructor(readonly text: string, private readonly data: Buffer) {
    this.done = new Promise((resolve, reject) => (this.result = { resolve, reject }));
  }
  submit(connection: CopyConnection): void {
    connection.query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    const CHUNK = 1 << 20;
    for (let at = 0; at < this.data.length; at += CHUNK) connection.sendCopyFromChunk(this.data.subarray(at, at + CHUNK));
    connection.endCopyFrom();
  }
  handleCommandComplete(msg: { text?: string }): void {
    this.rowCount = Number(/COPY (\d+)/.exec(msg.text ?? '')?.[1] ?? 0);
  }
  handleError(err: unknown): void {
    // node-postgres drops the active query on an error message: the COPY is over (and failed).
    this.error = err;
    this.result?.reject(err);
  }
  handleReadyForQuery(): void {
    if (this.error === undefined) this.result?.resolve({ command: 'COPY', rowCount: this.rowCount, rows: [] });
  }
  handleEmptyQuery(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handlePortalSuspended(): void {}
  callback(): void {}
  then<T>(ok: (v: { command: string; rowCount: number; rows: [] }) => T, fail?: (e: unknown) => T): Promise<T> {
    return this.done.then(ok, fail);
  }
}

/** A session-local staging table with `columns` of `table` (created once per session and column list). */
async function stagingTable(db: Transaction<Database> | Kysely<Database>, table: string, columns: readonly BulkColumn[]): Promise<string> {
  const name = `bulk_stage_${table}_${createHash('sha256').update(columns.map((c) => c.name).join(',')).digest('hex').slice(0, 8)}`;
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  await sql`create temp table if not exists ${sql.id(name)} as select ${names} from ${sql.table(table)} with no data`.execute(db);
  await sql`truncate ${sql.id(name)}`.execute(db);
  return name;
}

/** The COPY statement filling table `name` (a staging table, or the target itself) with `columns` from `source` (stdin, or PGlite's blob). */
function copyStatement(name: string, columns: readonly BulkColumn[], source: 'stdin' | `'/dev/blob'`): string {
  const names = columns.map((c) => `"${c.name.replace(/"/g, '""')}"`).join(', ');
  return `copy "${name}" (${names}) from ${source}`;
}

async function copyInto(db: Transaction<Database> | Kysely<Database>, name: string, columns: readonly BulkColumn[], data: Buffer): Promise<void> {
  const copy = new CopyIn(copyStatement(name, columns, 'stdin'), data);
  // The submittable stands where kysely passes the SQL text to node-postgres' client.query.
  await db.executeQuery({ sql: copy as unknown as string, parameters: [], query: sql``.toOperationNode(), queryId: { queryId: 'bulk-copy' } } as unknown as CompiledQuery);
}

/** COPY `data` into `target` (a staging table or the table itself): from stdin on a server, PGlite's blob embedded. */
async function copyRows(db: Transaction<Database> | Kysely<Database>, target: string, columns: readonly BulkColumn[], data: Buffer, options: BulkOptions): Promise<void> {
  if (options.copyBlob) await options.copyBlob(copyStatement(target, columns, `'/dev/blob'`), data);
  else await copyInto(db, target, columns, data);
}

/** `data` COPYed into the session's staging table for `table`, and the `insert … select … tail` that moves it there. */
async function stagedInsert<R>(db: Transaction<Database> | Kysely<Database>, table: string, columns: readonly BulkColumn[], data: Buffer, tail: RawBuilder<unknown>, options: BulkOptions): Promise<RawBuilder<R>> {
  const stage = await stagingTable(db, table, columns);
  await copyRows(db, stage, columns, data, options);
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  const plain = sql.join(columns.map((c) => sql`x.${sql.id(c.name)}`));
  return sql<R>`insert into ${sql.table(table)} (${names}) select ${plain} from ${sql.id(stage)} as x ${tail}`;
}

/**
 * The foreign keys to check once per batch (BulkOptions.batchedReferences), or undefined to leave them to the per-row
 * triggers: none composite, no trigger of our own, and every key either on an inserted column whose distinct values
 * the batch can give (`known`) or on one left to a null default. Asked in the caller's transaction, every call
 * (foreignKeysOf: a cached description could skip a later key or trigger).
 */
async function batchedKeys(db: Transaction<Database> | Kysely<Database>, table: string, columns: readonly BulkColumn[], known: (column: string) => boolean = () => true): Promise<ForeignKey[] | undefined> {
  const fk = await foreignKeysOf(db, table);
  const inserted = new Set(columns.map((c) => c.name));
  const usable = !fk.composite && !fk.ownTriggers && fk.keys.every((k) => (inserted.has(k.column) ? known(k.column) : !k.hasDefault));
  return usable ? fk.keys : undefined;
}

/**
 * Runs `write`; with `keys`, first checks them once for the whole batch (checkReferences) and runs `write` with the
 * per-row key triggers off (`session_replication_role = replica`, back to origin after).
 */
async function withReferencesChecked<T>(db: Transaction<Database> | Kysely<Database>, table: string, keys: readonly ForeignKey[] | undefined, columns: readonly BulkColumn[], valuesOf: (i: number) => string[], write: () => Promise<T>): Promise<T> {
  if (!keys) return write();
  await checkReferences(db, table, keys, columns, valuesOf);
  await sql`set local session_replication_role = replica`.execute(db);
  const out = await write();
  await sql`set local session_replication_role = origin`.execute(db);
  return out;
}

/**
 * Locks and counts the parents of each foreign key of a batch (see BulkOptions); throws when one is missing.
 * `valuesOf(i)`: the distinct non-null values of inserted column `i` in the batch.
 */
async function checkReferences(db: Transaction<Database> | Kysely<Database>, table: string, keys: readonly ForeignKey[], columns: readonly BulkColumn[], valuesOf: (i: number) => string[]): Promise<void> {
  const checks: Array<{ k: ForeignKey; values: string[] }> = [];
  for (const k of keys) {
    const i = columns.findIndex((c) => c.name === k.column);
    if (i < 0) continue;
    const values = valuesOf(i);
    if (values.length > 0) checks.push({ k, values });
  }
  if (checks.length === 0) return;
  // All keys in one statement (one round trip): each a subquery locking its parents, counted.
  const counts = sql.join(checks.map(({ k, values }, n) =>
    sql`(select count(*)::int from (select 1 from ${sql.table(k.parent)} where ${sql.id(k.key)} = any(${values}::${sql.raw(k.keyType)}[]) for key share) p) as ${sql.id(`n${n}`)}`));
  const found = (await sql<Record<string, number>>`select ${counts}`.execute(db)).rows[0] ?? {};
  for (const [n, { k, values }] of checks.entries()) {
    const got = Number(found[`n${n}`] ?? 0);
    if (got !== values.length) throw new Error(`insert into ${table}: ${values.length - got} value(s) of ${k.column} not present in ${k.parent}(${k.key}) (foreign key)`);
  }
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
  options: BulkOptions = {},
): Promise<R[]> {
  const out: R[] = [];
  let batched: ForeignKey[] | undefined;
  if (options.batchedReferences && db.isTransaction && rows.length > 0) batched = await batchedKeys(db, table, columns);
  const names = sql.join(columns.map((c) => sql.id(c.name)));
  // text[] travels as text (one array literal per row): unnest would flatten a two-dimensional array.
  const selects = sql.join(columns.map((c) => (c.type === 'text[]' ? sql`x.${sql.id(c.name)}::text[]` : sql`x.${sql.id(c.name)}`)));
  for (let start = 0; start < rows.length; start += BULK_ROWS) {
    const batch = rows.slice(start, start + BULK_ROWS);
    let insert: RawBuilder<R>;
    if ((options.copy || options.copyBlob) && db.isTransaction) {
      insert = await stagedInsert<R>(db, table, columns, copyData(columns, batch), tail, options);
    } else {
      const params = columns.map((c, i) => {
        const values = batch.map((r) => encode(r[i], c.type));
        const arrayType = c.type === 'text[]' ? 'text' : c.type;
        return sql`${values}::${sql.raw(arrayType)}[]`;
      });
      insert = sql<R>`insert into ${sql.table(table)} (${names}) select ${selects} from unnest(${sql.join(params)}) as x(${names}) ${tail}`;
    }
    out.push(...(await withReferencesChecked(db, table, batched, columns, (i) => distinct(batch, i), () => insert.execute(db))).rows);
  }
  return out;
}

/** An EncodedBatch's COPY text as a Buffer (no copy of the bytes). */
const bytesOf = (batch: EncodedBatch) => Buffer.from(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);

/** batchedKeys for an EncodedBatch: an inserted key column counts only if the batch carries its distinct values. */
const encodedKeys = (db: Transaction<Database>, table: string, columns: readonly BulkColumn[], batch: EncodedBatch) =>
  batchedKeys(db, table, columns, (column) => batch.distinct[column] !== undefined);

/**
 * bulkInsert of an EncodedBatch: the same staging table, COPY, batched reference checks (when every foreign key on an
 * inserted column has its distinct values in the batch; otherwise the per-row checks stay) and `insert … select …
 * tail`, as one COPY whatever the row count. Only inside a transaction and with `copy` or `copyBlob`.
 */
export async function bulkInsertEncoded<R = never>(
  db: Transaction<Database>,
  table: string,
  columns: readonly BulkColumn[],
  batch: EncodedBatch,
  tail: RawBuilder<unknown> = sql``,
  options: BulkOptions = {},
): Promise<R[]> {
  if (!db.isTransaction || !(options.copy || options.copyBlob)) throw new Error(`bulkInsertEncoded into ${table}: needs COPY (copy or copyBlob) inside a transaction`);
  if (batch.rows === 0) return [];
  const batched = options.batchedReferences ? await encodedKeys(db, table, columns, batch) : undefined;
  const insert = await stagedInsert<R>(db, table, columns, bytesOf(batch), tail, options);
  return (await withReferencesChecked(db, table, batched, columns, (i) => batch.distinct[columns[i]!.name] ?? [], () => insert.execute(db))).rows;
}

/**
 * COPY of an EncodedBatch straight into `table`: no staging table and no `insert … select` (no ON CONFLICT, no
 * RETURNING), for rows the caller knows are new (the dump import of a market none of whose rows are stored yet, its
 * duplicates dropped on the client). The table's unique indexes still check every row (a duplicate fails the COPY),
 * and its foreign keys are checked as by bulkInsertEncoded: once per batch from the distinct values, the COPY then
 * under `session_replication_role = replica`; otherwise by the per-row triggers, which COPY fires like an insert.
 */
export async function copyEncodedInto(db: Transaction<Database>, table: string, columns: readonly BulkColumn[], batch: EncodedBatch, options: BulkOptions = {}): Promise<void> {
  if (!db.isTransaction || !(options.copy || options.copyBlob)) throw new Error(`copyEncodedInto ${table}: needs COPY (copy or copyBlob) inside a transaction`);
  if (batch.rows === 0) return;
  const batched = options.batchedReferences ? await encodedKeys(db, table, columns, batch) : undefined;
  await withReferencesChecked(db, table, batched, columns, (i) => batch.distinct[columns[i]!.name] ?? [], () => copyRows(db, table, columns, bytesOf(batch), options));
}
