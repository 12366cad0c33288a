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

/** `out` with `batch`'s rows appended as COPY text: one line per row, columns tab-separated. */
function appendRows(out: string, columns: readonly BulkColumn[], batch: readonly (readonly BulkValue[])[]): string {
  const last = columns.length - 1;
  for (const row of batch) {
    for (let i = 0; i < last; i++) out += copyText(row[i], columns[i]!.type) + '\t';
    out += copyText(row[last], columns[last]!.type) + '\n';
  }
  return out;
}

/** The batch as COPY text (one string, then its bytes: no array of lines). */
export function copyData(columns: readonly BulkColumn[], batch: readonly (readonly BulkValue[])[]): Buffer {
  return Buffer.from(appendRows('', columns, batch), 'utf8');
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

/**
 * An EncodedBatch built in steps: `add` rows (arrays in `columns` order) as they are made, then `finish`. A caller
 * that maps a large statement a slice at a time lets each slice's arrays die young instead of holding them all.
 */
export class BatchEncoder {
  /** Each step's bytes: off the JS heap, so a large statement's text does not age through the young generation. */
  private readonly chunks: Buffer[] = [];
  private rows = 0;
  /** Every int/bigint column: its position and distinct non-null values (String(v)), in row order. */
  private readonly keys: Array<{ name: string; at: number; values: Set<string> }> = [];
  constructor(private readonly columns: readonly BulkColumn[]) {
    columns.forEach((c, at) => {
      if (c.type === 'int' || c.type === 'bigint') this.keys.push({ name: c.name, at, values: new Set() });
    });
  }

  add(rows: readonly (readonly BulkValue[])[]): void {
    this.chunks.push(Buffer.from(appendRows('', this.columns, rows), 'utf8'));
    this.rows += rows.length;
    for (const k of this.keys) {
      for (const r of rows) {
        const v = r[k.at];
        if (v !== null && v !== undefined) k.values.add(String(v));
      }
    }
  }

  finish(): EncodedBatch {
    const distinct: Record<string, string[]> = {};
    for (const k of this.keys) distinct[k.name] = [...k.values];
    return { data: this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks), rows: this.rows, distinct };
  }
}

/** `rows` (arrays in `columns` order) as an EncodedBatch: copyData plus the distinct values bulkInsert would check. */
export function encodeBatch(columns: readonly BulkColumn[], rows: readonly (readonly BulkValue[])[]): EncodedBatch {
  const e = new BatchEncoder(columns);
  e.add(rows);
  return e.finish();
}
