import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { z } from 'zod';
import { beginImport, saveCheckpoint, upsertVendor, type ImportOptions, type ImportSummary } from './common.ts';
import { ImportFormatError } from './sql-tokenizer.ts';

/** Which CSV columns (header names) hold what; a scrape becomes listings of vendors on a 'scrape' source. */
export const CsvMappingSchema = z.object({
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

/** Imports a CSV scrape (streaming csv-parse), resumable by record number; bad CSV fails with its line. */
export async function importCsvScrape(o: ImportOptions & { mapping: CsvMapping }): Promise<ImportSummary> {
  const started = Date.now();
  const m = o.mapping;
  const run = await beginImport('csv', o, 'scrape', path.basename(o.file).replace(/\.csv$/i, ''), 'text/csv');
  const base = { kind: 'csv' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0 };
  const parser = createReadStream(o.file).pipe(parse({ columns: true, delimiter: m.delimiter, bom: true, info: true, max_record_size: 1024 * 1024, relax_column_count: false }));
  let index = 0;
  let rows = run.rows;
  let lastLine = 1;
  const counts: Record<string, number> = { listings: 0, vendors: 0 };
  const vendors = new Map<string, number>();
  let batch: Array<{ rec: Record<string, string>; line: number; index: number }> = [];
  const now = new Date();
  const flush = async () => {
    if (!batch.length) return;
    const todo = batch;
    batch = [];
    await o.db.transaction().execute(async (trx) => {
      for (const { rec, line, index: i } of todo) {
        const handle = (rec[m.vendor] ?? '').trim();
        const title = (rec[m.title] ?? '').trim();
        if (!handle || !title) throw new ImportFormatError(`record ${i} has no ${!handle ? `vendor (${m.vendor})` : `title (${m.title})`}`, line, 0);
        const at = m.date && rec[m.date] ? new Date(rec[m.date] as string) : now;
        const seen = Number.isNaN(at.getTime()) ? now : at;
        let vendorId = vendors.get(handle.toLowerCase());
        if (vendorId === undefined) {
          vendorId = await upsertVendor(trx, { agencyId: o.agencyId, tlp: o.tlp, marketId: run.marketId, handle, at: seen, captureId: run.captureId });
          vendors.set(handle.toLowerCase(), vendorId);
          counts.vendors = vendors.size;
        }
        const externalId = m.id && rec[m.id] ? String(rec[m.id]) : `line-${line}`;
        const l = await trx
          .insertInto('listings')
          .values({ agency_id: o.agencyId, tlp: o.tlp, market_id: run.marketId, vendor_id: vendorId, external_id: externalId, title: title.slice(0, 1000), description: m.description ? (rec[m.description] ?? '') : '', category: m.category ? (rec[m.category] ?? null) : null, first_seen: seen, last_seen: seen, capture_id: run.captureId, adapter: 'import:csv' })
          .onConflict((oc) => oc.columns(['market_id', 'external_id']).doUpdateSet({ last_seen: (eb) => eb.ref('excluded.last_seen') }))
          .returning('id')
          .executeTakeFirstOrThrow();
        const priceText = m.price ? (rec[m.price] ?? '').replace(/[^0-9.]/g, '') : '';
        if (priceText) {
          await trx.insertInto('listing_snapshots').values({ agency_id: o.agencyId, tlp: o.tlp, listing_id: l.id, observed_at: seen, price: Number(priceText), currency: (m.currency ? rec[m.currency] : undefined) || m.defaultCurrency, capture_id: run.captureId, adapter: 'import:csv' }).onConflict((oc) => oc.doNothing()).execute();
        }
        rows++;
        counts.listings = (counts.listings ?? 0) + 1;
      }
      await saveCheckpoint(trx, run.checkpointId, todo.at(-1)?.index ?? index, rows);
    });
    o.onProgress?.({ bytes: 0, totalBytes: run.totalBytes, rows });
  };
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      index++;
      lastLine = item.info.lines;
      if (index <= run.position) continue;
      batch.push({ rec: item.record, line: item.info.lines, index });
      if (batch.length >= (o.batchSize ?? 500)) await flush();
    }
    await flush();
  } catch (err) {
    const e = err instanceof ImportFormatError ? err : new ImportFormatError(`bad CSV: ${(err as Error).message}`, (err as { lines?: number }).lines ?? lastLine, 0);
    await saveCheckpoint(o.db, run.checkpointId, run.position, rows, 'failed', e.message).catch(() => undefined);
    throw e;
  }
  await saveCheckpoint(o.db, run.checkpointId, index, rows, 'done');
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes };
}
