/**
 * COPY's text format of rows (bulkInsert's `copy`), with nothing loaded at run time: the dump import's worker thread
 * encodes its batches with it (bulk.ts would load kysely there, about a second of CPU per import).
 */
import type { BulkColumn, BulkType, BulkValue } from './bulk.ts';

/** PostgreSQL array literal of a text[] value (quoted elements, backslash-escaped). */
export function arrayLiteral(items: readonly string[]): string {
  return `{${items.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

/** One value in COPY's text format (`\N` for NULL; backslash, tab, newline and carriage return escaped). */
export function copyText(v: BulkValue, type: BulkType): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'number') return String(v);
  if (v instanceof Date) return v.toISOString();
  const s = type === 'text[]' ? arrayLiteral(v as readonly string[]) : typeof v === 'boolean' ? (v ? 't' : 'f') : String(v);
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** The batch as COPY text: one line per row, columns tab-separated. */
export function copyData(columns: readonly BulkColumn[], batch: readonly (readonly BulkValue[])[]): Buffer {
  const lines: string[] = new Array(batch.length);
  for (let r = 0; r < batch.length; r++) {
    const row = batch[r]!;
    let line = '';
    for (let i = 0; i < columns.length; i++) line += (i ? '\t' : '') + copyText(row[i], columns[i]!.type);
    lines[r] = line;
  }
  return Buffer.from(lines.join('\n') + (batch.length ? '\n' : ''), 'utf8');
}

/** Distinct non-null values of column `i` of `batch`. */
export function distinct(batch: readonly (readonly BulkValue[])[], i: number): string[] {
  const set = new Set<string>();
  for (const r of batch) {
    const v = r[i];
    if (v !== null && v !== undefined) set.add(String(v));
  }
  return [...set];
}

/**
 * A batch already in COPY's text format (encodeBatch), with the distinct values of its integer columns (the columns a
 * foreign key of ours can be on): built where the rows are (the dump import's worker thread) and written by
 * bulkInsertEncoded without the rows themselves. Its buffer can be moved between threads without a copy.
 */
export interface EncodedBatch {
  data: Uint8Array;
  rows: number;
  /** Column name → distinct non-null values (String(v)) of that column; every int/bigint column. */
  distinct: Record<string, string[]>;
}

/** `rows` (arrays in `columns` order) as an EncodedBatch: copyData plus the distinct values bulkInsert would check. */
export function encodeBatch(columns: readonly BulkColumn[], rows: readonly (readonly BulkValue[])[]): EncodedBatch {
  const out: Record<string, string[]> = {};
  columns.forEach((c, i) => {
    if (c.type === 'int' || c.type === 'bigint') out[c.name] = distinct(rows, i);
  });
  return { data: copyData(columns, rows), rows: rows.length, distinct: out };
}
