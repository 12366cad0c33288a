import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { z } from 'zod';
import { saveSightings, type ColumnToRead, type TextToScan } from '../../extract/store/index.ts';
import { maintainAfterBulkWrite } from '../../store/index.ts';
import { beginImport, saveCheckpoint, upsertVendors, normHandle, type ImportOptions, type ImportSummary } from './common.ts';
import { csvRecords, parseRecord, type CsvRecord } from './csv-records.ts';
import { isKnownCurrency, readDate, readPrice, rowId } from './csv-rows.ts';
import { ImportFormatError } from './sql-tokenizer.ts';

/** Which CSV columns (header names) hold what; a scrape becomes listings of vendors on a 'scrape' source. */
export const CsvMappingSchema = z.object({
  /** A column that identifies the row (the market's listing id); without it the id is a digest of the row. */
  id: z.string().optional(),
  vendor: z.string(),
  title: z.string(),
  description: z.string().optional(),
  category: z.string().optional(),
  price: z.string().optional(),
  currency: z.string().optional(),
  /** Currency when there is no currency column. */
  defaultCurrency: z.string().default('USD'),
  date: z.string().optional(),
  /** The vendor's profile text. */
  profile: z.string().optional(),
  /** A column holding the vendor's PGP public key block (or its fingerprint). */
  pgp: z.string().optional(),
  /** A column holding a wallet address, and the column naming its currency (if any). */
  wallet: z.string().optional(),
  walletCurrency: z.string().optional(),
  delimiter: z.string().length(1).default(','),
});
export type CsvMapping = z.infer<typeof CsvMappingSchema>;

export function loadCsvMapping(file: string): CsvMapping {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`mapping ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const r = CsvMappingSchema.safeParse(raw);
  if (!r.success) throw new Error(`mapping ${file}: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export interface CsvReject {
  line: number;
  offset: number;
  reason: string;
  raw: string;
}

export interface CsvImportOptions extends ImportOptions {
  mapping: CsvMapping;
  /** Refuse the whole file (import nothing) if any row is bad. */
  strict?: boolean;
}

/** One good row, read and checked. */
interface CsvListing {
  line: number;
  externalId: string;
  vendor: string;
  title: string;
  description: string;
  category: string | null;
  price: number | null;
  currency: string;
  seen: Date | null;
  profile: string;
  pgp: string;
  wallet: string;
  walletCurrency: string | null;
}

/** Reads a record against the header and the mapping: a listing, or why not. */
function readRow(fields: string[], header: string[], m: CsvMapping, line: number): { ok: true; row: CsvListing } | { ok: false; reason: string } {
  if (fields.length !== header.length) return { ok: false, reason: `expected ${header.length} fields (as in the header), got ${fields.length}` };
  const col = (name: string | undefined) => (name === undefined ? '' : (fields[header.indexOf(name)] ?? '').trim());
  const vendor = col(m.vendor);
  const title = col(m.title);
  if (!vendor) return { ok: false, reason: `no vendor (column ${JSON.stringify(m.vendor)} is empty)` };
  if (!title) return { ok: false, reason: `no title (column ${JSON.stringify(m.title)} is empty)` };
  let price: number | null = null;
  if (m.price && col(m.price)) {
    const p = readPrice(col(m.price));
    if (!p.ok) return { ok: false, reason: p.reason };
    price = p.value;
  }
  const currency = ((m.currency ? col(m.currency) : '') || m.defaultCurrency).toUpperCase();
  if (price !== null && !isKnownCurrency(currency)) return { ok: false, reason: `unknown currency ${JSON.stringify(currency)}` };
  let seen: Date | null = null;
  if (m.date && col(m.date)) {
    const d = readDate(col(m.date));
    if (!d.ok) return { ok: false, reason: d.reason };
    seen = d.value;
  }
  return {
    ok: true,
    row: {
      line,
      externalId: rowId(fields, m.id ? col(m.id) : undefined),
      vendor,
      title,
      description: m.description ? col(m.description) : '',
      category: m.category ? col(m.category) || null : null,
      price,
      currency,
      seen,
      profile: col(m.profile),
      pgp: col(m.pgp),
      wallet: col(m.wallet),
      walletCurrency: m.walletCurrency ? col(m.walletCurrency) || null : null,
    },
  };
}

/** The header record: every mapped column must be in it. */
async function readHeader(file: string, m: CsvMapping): Promise<{ header: string[]; next: { offset: number; line: number } }> {
  for await (const rec of csvRecords(file, m.delimiter)) {
    const p = parseRecord(rec, m.delimiter);
    if (!p.ok) throw new ImportFormatError(`bad CSV header: ${p.reason}`, p.line, rec.offset);
    const header = p.fields.map((h) => h.trim());
    const mapped = [m.id, m.vendor, m.title, m.description, m.category, m.price, m.currency, m.date, m.profile, m.pgp, m.wallet, m.walletCurrency].filter((c): c is string => !!c);
    const missing = mapped.filter((c) => !header.includes(c));
    if (missing.length) throw new ImportFormatError(`the CSV header has no column ${missing.map((c) => JSON.stringify(c)).join(', ')} (it has ${header.map((c) => JSON.stringify(c)).join(', ')})`, rec.line, rec.offset);
    return { header, next: { offset: rec.end, line: rec.line + (rec.text.match(/\n/g)?.length ?? 1) } };
  }
  throw new ImportFormatError('empty CSV file (no header)', 1, 0);
}

type Verdict = { kind: 'row'; row: CsvListing; end: number } | { kind: 'reject'; reject: CsvReject; end: number } | { kind: 'skip'; end: number };

/** Every record after the header, read and checked. */
async function* verdicts(file: string, m: CsvMapping, header: string[], from: { offset: number; line: number }): AsyncGenerator<Verdict> {
  for await (const rec of csvRecords(file, m.delimiter, from.offset, from.line)) {
    if (!rec.unterminated && !rec.tooLong && rec.text.trim() === '') {
      yield { kind: 'skip', end: rec.end };
      continue;
    }
    const raw = rawOf(rec);
    const p = parseRecord(rec, m.delimiter);
    if (!p.ok) {
      yield { kind: 'reject', reject: { line: p.line, offset: rec.offset, reason: p.reason, raw }, end: rec.end };
      continue;
    }
    const r = readRow(p.fields, header, m, rec.line);
    if (r.ok) yield { kind: 'row', row: r.row, end: rec.end };
    else yield { kind: 'reject', reject: { line: rec.line, offset: rec.offset, reason: r.reason, raw }, end: rec.end };
  }
}

function rawOf(rec: CsvRecord): string {
  return rec.text.replace(/\r?\n$/, '').slice(0, 2000);
}

/** Line number of a byte offset (1-based), counting line breaks from the start. */
async function lineAt(file: string, offset: number): Promise<number> {
  if (offset <= 0) return 1;
  let lines = 1;
  for await (const chunk of createReadStream(file, { start: 0, end: offset - 1 }) as AsyncIterable<Buffer>) {
    for (const b of chunk) if (b === 10) lines++;
  }
  return lines;
}

/**
 * Imports a CSV scrape, streaming and resumable (by byte offset). Every bad row — unreadable CSV, wrong field
 * count, no vendor or title, a negative or non-numeric price, an invalid date, an unknown currency — is rejected
 * with its exact line, byte offset and reason into the reject report (`import_rejects`), and the other rows are
 * imported; with `strict` the whole file is refused if any row is bad. Row ids come from the mapped key column
 * or the row's content, so files imported into one source never overwrite each other's rows. Selectors are read
 * from titles, descriptions, profiles, PGP and wallet columns (an invalid wallet is kept as a reject).
 */
export async function importCsvScrape(o: CsvImportOptions): Promise<ImportSummary & { rejects: CsvReject[]; rejected: number }> {
  const started = Date.now();
  const m = o.mapping;
  const { header, next } = await readHeader(o.file, m);
  const rejects: CsvReject[] = [];
  let rejected = 0;
  if (o.strict) {
    for await (const v of verdicts(o.file, m, header, next)) {
      if (v.kind !== 'reject') continue;
      rejected++;
      if (rejects.length < 100) rejects.push(v.reject);
    }
    if (rejected > 0) {
      const first = rejects[0]!;
      throw new ImportFormatError(`--strict: ${rejected} bad row(s), nothing imported; the first: ${first.reason}`, first.line, first.offset);
    }
  }
  const run = await beginImport('csv', o, 'scrape', path.basename(o.file).replace(/\.csv$/i, ''), 'text/csv', { mapping: m, strict: o.strict ?? false });
  const base = { kind: 'csv' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0, rejects: [], rejected: 0 };
  const from = run.position > next.offset ? { offset: run.position, line: await lineAt(o.file, run.position) } : next;

  const now = new Date();
  let rows = run.rows;
  const counts: Record<string, number> = { listings: 0, vendors: 0, snapshots: 0, rejected: 0, selectors: 0, sightings: 0, selectorRejects: 0 };
  const vendorsSeen = new Set<string>();
  let batch: CsvListing[] = [];
  let batchRejects: CsvReject[] = [];
  let position = from.offset;
  const owned = { agency_id: o.agencyId, tlp: o.tlp };

  const flush = async () => {
    const todo = batch;
    const bad = batchRejects;
    batch = [];
    batchRejects = [];
    await o.db.transaction().execute(async (trx) => {
      if (bad.length) {
        await trx
          .insertInto('import_rejects')
          .values(bad.map((r) => ({ checkpoint_id: run.checkpointId, line: r.line, byte_offset: r.offset, reason: r.reason.slice(0, 1000), raw: r.raw.replaceAll('\0', '\uFFFD') })))
          .onConflict((oc) => oc.columns(['checkpoint_id', 'line']).doNothing())
          .execute();
      }
      if (todo.length) {
        const ids = await upsertVendors(trx, { agencyId: o.agencyId, tlp: o.tlp, marketId: run.marketId, at: now, captureId: run.captureId },
          todo.map((r) => ({ handle: r.vendor, profile: r.profile, seen: r.seen ?? now })));
        const vendorOf = (r: CsvListing) => ids.get(normHandle(r.vendor.slice(0, 200)))!;
        for (const r of todo) vendorsSeen.add(normHandle(r.vendor));
        // One statement may not update a row twice: the last row of an id wins, as row-by-row upserts would have it.
        const byId = new Map(todo.map((r) => [r.externalId, r]));
        const saved = await trx
          .insertInto('listings')
          .values([...byId.values()].map((r) => ({ ...owned, market_id: run.marketId, vendor_id: vendorOf(r), external_id: r.externalId, title: r.title.slice(0, 1000), description: r.description, category: r.category, first_seen: r.seen ?? now, last_seen: r.seen ?? now, capture_id: run.captureId, adapter: 'import:csv' })))
          .onConflict((oc) => oc.columns(['market_id', 'external_id']).doUpdateSet((eb) => ({
            title: eb.ref('excluded.title'),
            description: eb.ref('excluded.description'),
            first_seen: sql<Date>`least(listings.first_seen, excluded.first_seen)`,
            last_seen: sql<Date>`greatest(listings.last_seen, excluded.last_seen)`,
          })))
          .returning(['id', 'external_id'])
          .execute();
        const listingId = new Map(saved.map((s) => [s.external_id, s.id]));
        const snapshots = [...byId.values()].filter((r) => r.price !== null).map((r) => ({ ...owned, listing_id: listingId.get(r.externalId)!, observed_at: r.seen ?? now, price: r.price!, currency: r.currency, price_usd: r.currency === 'USD' ? r.price : null, capture_id: run.captureId, adapter: 'import:csv' }));
        if (snapshots.length) await trx.insertInto('listing_snapshots').values(snapshots).onConflict((oc) => oc.doNothing()).execute();
        const texts: TextToScan[] = [];
        const columns: ColumnToRead[] = [];
        for (const r of byId.values()) {
          const origin = { vendorId: vendorOf(r), rowRef: `csv:${r.externalId}`, observedAt: r.seen ?? now };
          texts.push({ ...origin, source: 'listing', listingId: listingId.get(r.externalId) ?? null, text: [r.title, r.description].filter(Boolean).join('\n'), html: 'auto' });
          if (r.profile) texts.push({ ...origin, source: 'profile', text: r.profile, html: 'auto' });
          if (r.pgp) columns.push({ ...origin, source: 'profile', column: 'pgp', raw: r.pgp });
          if (r.wallet) columns.push({ ...origin, source: 'import', column: 'wallet', raw: r.wallet, currency: r.walletCurrency });
        }
        const found = await saveSightings(trx, { agencyId: o.agencyId, tlp: o.tlp, captureId: run.captureId }, texts, columns);
        counts.selectors = (counts.selectors ?? 0) + found.selectors;
        counts.sightings = (counts.sightings ?? 0) + found.sightings;
        counts.selectorRejects = (counts.selectorRejects ?? 0) + found.rejects;
        counts.snapshots = (counts.snapshots ?? 0) + snapshots.length;
      }
      rows += todo.length;
      counts.listings = (counts.listings ?? 0) + todo.length;
      counts.vendors = vendorsSeen.size;
      counts.rejected = rejected;
      await saveCheckpoint(trx, run.checkpointId, position, rows);
    });
    o.onProgress?.({ bytes: position, totalBytes: run.totalBytes, rows });
  };

  for await (const v of verdicts(o.file, m, header, from)) {
    position = v.end;
    if (v.kind === 'row') batch.push(v.row);
    else if (v.kind === 'reject') {
      rejected++;
      batchRejects.push(v.reject);
      if (rejects.length < 100) rejects.push(v.reject);
    }
    if (batch.length + batchRejects.length >= (o.batchSize ?? 500)) await flush();
  }
  await flush();
  await saveCheckpoint(o.db, run.checkpointId, run.totalBytes, rows, 'done');
  await maintainAfterBulkWrite(o.db);
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes, rejects, rejected };
}
