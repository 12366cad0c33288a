/**
 * Re-derives imports from evidence: each imported file is read back from its WARC resource record (its SHA-256
 * checked against the capture), and the importer runs again over that copy with the options it was first run
 * with. Rows are upserted, the capture's selector sightings and rejects are derived afresh (so an improved
 * extractor both adds and withdraws), and nothing is preserved twice. `darkpatrol extract --reparse` runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { copyRecordBlock } from '../../evidence/index.ts';
import type { Database } from '../../store/index.ts';
import type { ImportOptions, ImportSummary } from './common.ts';
import { CsvMappingSchema, importCsvScrape } from './csv.ts';
import { DumpMappingSchema, importMysqlDump } from './dump.ts';
import { importTelegramExport } from './telegram.ts';

export interface RederiveOptions {
  evidenceDir: string;
  /** Only imports into this source. */
  marketId?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface RederiveReport {
  imports: number;
  rows: number;
  sightings: number;
  rejects: number;
  failed: Array<{ captureId: number; file: string; error: string }>;
}

export async function rederiveImports(db: Kysely<Database>, o: RederiveOptions): Promise<RederiveReport> {
  const todo = await db
    .selectFrom('import_checkpoints as k')
    .innerJoin('captures as c', 'c.id', 'k.capture_id')
    .innerJoin('markets as m', 'm.id', 'c.market_id')
    .select(['k.id', 'k.kind', 'k.options', 'k.state', 'c.id as capture_id', 'c.agency_id', 'c.tlp', 'c.url', 'c.warc_file', 'c.warc_offset', 'c.warc_length', 'c.payload_sha256', 'm.id as market_id', 'm.slug'])
    .where('k.kind', 'in', ['telegram', 'csv', 'dump'])
    .where('k.state', '=', 'done')
    .$if(o.marketId !== undefined, (q) => q.where('m.id', '=', o.marketId!))
    .orderBy('k.id')
    .execute();
  const report: RederiveReport = { imports: 0, rows: 0, sightings: 0, rejects: 0, failed: [] };
  const tmp = mkdtempSync(path.join(tmpdir(), 'dp-rederive-'));
  try {
    let done = 0;
    for (const t of todo) {
      const name = decodeURIComponent(t.url.replace(/^file:\/\/\//, '')) || `capture-${t.capture_id}`;
      const copy = path.join(tmp, path.basename(name) || 'import');
      try {
        if (!t.warc_file || t.warc_offset === null || t.warc_length === null) throw new Error('the capture has no WARC record');
        const read = await copyRecordBlock(path.join(o.evidenceDir, t.warc_file), t.warc_offset, t.warc_length, copy);
        if (read.sha256 !== t.payload_sha256) throw new Error(`the preserved copy does not match its capture's SHA-256 (${read.sha256} ≠ ${t.payload_sha256}): evidence changed`);
        await db.deleteFrom('selector_sightings').where('capture_id', '=', t.capture_id).where('row_ref', 'is not', null).execute();
        await db.deleteFrom('selector_rejects').where('capture_id', '=', t.capture_id).where('row_ref', 'is not', null).execute();
        const base: ImportOptions = {
          db,
          evidenceDir: o.evidenceDir,
          agencyId: t.agency_id,
          tlp: t.tlp,
          file: copy,
          rederive: { captureId: t.capture_id, marketId: t.market_id, checkpointId: t.id, slug: t.slug },
        };
        const opts = t.options as { mapping?: unknown };
        if (t.kind !== 'telegram' && opts.mapping === undefined) throw new Error('its mapping was not recorded (imported by an older version): import the file again to re-derive it');
        let s: ImportSummary;
        if (t.kind === 'telegram') s = await importTelegramExport(base);
        else if (t.kind === 'csv') s = await importCsvScrape({ ...base, mapping: CsvMappingSchema.parse(opts.mapping) });
        else s = await importMysqlDump({ ...base, mapping: DumpMappingSchema.parse(opts.mapping) });
        report.imports++;
        report.rows += s.rows;
        report.sightings += s.counts.sightings ?? 0;
        report.rejects += (s.counts.rejects ?? 0) + (s.counts.selectorRejects ?? 0);
      } catch (err) {
        report.failed.push({ captureId: t.capture_id, file: name, error: (err as Error).message });
      } finally {
        rmSync(copy, { force: true });
      }
      o.onProgress?.(++done, todo.length);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return report;
}
