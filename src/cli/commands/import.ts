import type { Command } from 'commander';
import { ImportFormatError, importCsvScrape, importMysqlDump, importPages, importTelegramExport, importWarcFiles, loadCsvMapping, loadDumpMapping, SIM_SEIZED_MAPPING, type ImportSummary, type DumpImportSummary } from '../../collect/index.ts';
import { extractMarkets, extractionTotals, type ExtractCapturesReport } from '../../extract/store/index.ts';
import type { Store } from '../../store/index.ts';
import { formatBytes, progressBar } from '../../collect/progress.ts';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';
import { writeFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

async function agencyOf(store: Store, code: string): Promise<number> {
  const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!agency) throw new UserError(`no agency ${code}`);
  return agency.id;
}

function describeExtraction(reports: ExtractCapturesReport[]): string {
  const t = extractionTotals(reports);
  return `extracted ${t.parsed} page(s) (${t.failed} not extractable, ${t.skippedNoAdapter} by the generic extractor): vendors ${t.vendors}, listings ${t.listings}, feedback ${t.feedback}, selector sightings ${t.selectors}`;
}

/** Every rejected row of an import, as CSV (line, byte_offset, reason, row). */
async function writeRejectReport(db: Kysely<Database>, fileSha256: string, target: string, out: string): Promise<void> {
  const rows = await db
    .selectFrom('import_rejects as r')
    .innerJoin('import_checkpoints as c', 'c.id', 'r.checkpoint_id')
    .select(['r.line', 'r.byte_offset', 'r.reason', 'r.raw'])
    .where('c.file_sha256', '=', fileSha256)
    .where('c.target', '=', target)
    .orderBy('r.line')
    .execute();
  const q = (v: string) => `"${v.replaceAll('"', '""')}"`;
  writeFileSync(out, ['line,byte_offset,reason,row', ...rows.map((r) => [r.line, r.byte_offset ?? '', q(r.reason), q(r.raw)].join(','))].join('\n') + '\n');
}

interface Opts { mapping?: string; market?: string; agency: string; evidenceDir?: string; json?: boolean; strict?: boolean; rejects?: string }

export function register(program: Command): void {
  const imp = program.command('import').description('import messenger exports, seized market dumps and CSV scrapes (streaming, resumable, preserved as evidence)');
  const kinds = {
    telegram: 'a Telegram Desktop chat/channel export (result.json)',
    dump: 'a seized market\'s mysqldump (--mapping maps its tables; default: the sim\'s layout)',
    csv: 'a CSV scrape (--mapping required)',
  } as const;
  imp
    .command('pages <dir>')
    .description('import a folder of saved pages as evidence (Darknet Market Archives <market>/<YYYY-MM-DD>/<path>, wget/HTTrack <host>/<path>) and extract them; re-running resumes')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--market <slug>', 'file every page under this source (default: the market the layout names, else the host)')
    .option('--date <YYYY-MM-DD>', 'capture date when the layout gives none (default: each file\'s modification time)')
    .option('--base-url <url>', 'http://host/ the paths hang off when no host folder names it (default: the market adapter\'s host)')
    .option('--no-extract', 'only preserve; run darkpatrol extract later')
    .option('--evidence-dir <dir>', 'WARC directory')
    .option('--json', 'machine-readable summary')
    .action(async (dir: string, o: { agency: string; market?: string; date?: string; baseUrl?: string; extract: boolean; evidenceDir?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const agencyId = await agencyOf(store, o.agency);
        const date = o.date ? new Date(`${o.date}T00:00:00Z`) : undefined;
        if (date && Number.isNaN(date.getTime())) throw new UserError(`--date ${o.date} is not a YYYY-MM-DD day`);
        if (o.baseUrl && !/^https?:\/\/[^/]+/.test(o.baseUrl)) throw new UserError(`--base-url ${o.baseUrl} is not an http(s) URL`);
        const bar = progressBar('import pages', '{bar} {percentage}% | {info}');
        const evidenceDir = resolveEvidenceDir(o.evidenceDir);
        let summary;
        try {
          summary = await importPages({ db: store.db, evidenceDir, agencyId, dir, market: o.market, date, baseUrl: o.baseUrl, onProgress: (p) => bar.update(p.bytes, p.totalBytes, { info: `${p.rows} pages` }) });
        } catch (err) {
          if (err instanceof Error && /ENOENT|ENOTDIR/.test(err.message)) throw new UserError(`${dir}: not a readable folder`);
          throw err;
        } finally {
          bar.stop();
        }
        const extracted = o.extract ? await extractMarkets(store, { evidenceDir, marketIds: summary.marketIds }) : null;
        emit(o.json ?? false, { ...summary, extracted }, () =>
          summary.alreadyImported
            ? `${dir} was already imported`
            : [
                `preserved ${summary.pages} page(s) from ${dir} in ${(summary.durationMs / 1000).toFixed(1)} s (${summary.alreadyPreserved} already in the evidence, ${summary.skipped} other files skipped)`,
                ...summary.skips.slice(0, 20).map((x) => `  skipped ${x.path}: ${x.reason}`),
                ...(summary.skipped > 20 ? [`  … ${summary.skipped} skipped in all (--json lists the first 100)`] : []),
                ...(extracted ? [describeExtraction(extracted)] : []),
              ].join('\n'),
        );
      });
    });

  imp
    .command('warc <files...>')
    .description('import WARC 1.0/1.1 files written by other tools (gzip per record or not) as evidence: records copied verbatim, digests checked, response/resource/revisit records become captures with their original dates; re-running resumes')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--market <slug>', 'file every page under this source (default: a source per host)')
    .option('--no-extract', 'only preserve; run darkpatrol extract later')
    .option('--evidence-dir <dir>', 'WARC directory')
    .option('--json', 'machine-readable summary')
    .action(async (files: string[], o: { agency: string; market?: string; extract: boolean; evidenceDir?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const agencyId = await agencyOf(store, o.agency);
        const bar = progressBar('import warc', '{bar} {percentage}% | {info}');
        const evidenceDir = resolveEvidenceDir(o.evidenceDir);
        let summary;
        try {
          summary = await importWarcFiles({ db: store.db, evidenceDir, agencyId, files, market: o.market, onProgress: (p) => bar.update(p.bytes, p.totalBytes, { info: `${p.file}: ${p.records} records` }) });
        } catch (err) {
          if (err instanceof Error && /ENOENT|EISDIR/.test(err.message)) throw new UserError(err.message);
          throw err;
        } finally {
          bar.stop();
        }
        const extracted = o.extract ? await extractMarkets(store, { evidenceDir, marketIds: summary.marketIds }) : null;
        emit(o.json ?? false, { ...summary, extracted }, () =>
          [
            ...summary.files.map((f) =>
              f.alreadyImported
                ? `${f.file} was already imported`
                : [
                    `${f.file}: ${f.records} records, ${f.captures} captures (${f.revisits} revisits), ${f.preservedOnly} preserved without a capture, ${f.alreadyPreserved} already in the evidence`,
                    ...f.problems.slice(0, 20).map((p) => `  record ${p.index} at offset ${p.offset}: ${p.message}`),
                    ...(f.problems.length > 20 ? [`  … ${f.problems.length} problems in all (--json lists them)`] : []),
                  ].join('\n'),
            ),
            ...(extracted ? [describeExtraction(extracted)] : []),
          ].join('\n'),
        );
      });
    });

  for (const [kind, what] of Object.entries(kinds) as Array<[keyof typeof kinds, string]>) {
    imp
      .command(`${kind} <file>`)
      .description(`import ${what}; re-running resumes an interrupted import`)
      .requiredOption('--agency <code>', 'owning agency')
      .option('--mapping <file>', 'JSON mapping of tables/columns to the DarkPatrol model')
      .option('--market <slug>', 'target source slug')
      .option('--evidence-dir <dir>', 'WARC directory')
      .option('--json', 'machine-readable summary')
      .option('--strict', 'csv: refuse the whole file if any row is bad (default: import the good rows, report the bad)')
      .option('--rejects <file>', 'csv: write the reject report (line, byte offset, reason, row) to this CSV file')
      .action(async (file: string, o: Opts, cmd: Command) => {
        await withStore(cmd, async (store) => {
          const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
          if (!agency) throw new UserError(`no agency ${o.agency}`);
          const bar = progressBar(`import ${kind}`, '{bar} {percentage}% | {info}');
          const base = {
            db: store.db,
            evidenceDir: resolveEvidenceDir(o.evidenceDir),
            agencyId: agency.id,
            file,
            market: o.market,
            onProgress: (p: { bytes: number; totalBytes: number; rows: number }) => bar.update(p.bytes, p.totalBytes, { info: `${p.rows} rows` }),
          };
          let summary: ImportSummary;
          try {
            if (kind === 'telegram') summary = await importTelegramExport(base);
            else if (kind === 'dump') summary = await importMysqlDump({ ...base, mapping: o.mapping ? loadDumpMapping(o.mapping) : SIM_SEIZED_MAPPING });
            else {
              if (!o.mapping) throw new UserError('import csv needs --mapping (e.g. {"vendor":"seller","title":"name","price":"price"})');
              const csv = await importCsvScrape({ ...base, mapping: loadCsvMapping(o.mapping), strict: o.strict });
              if (o.rejects) await writeRejectReport(store.db, csv.fileSha256, csv.market, o.rejects);
              summary = csv;
            }
          } catch (err) {
            if (err instanceof ImportFormatError || (err instanceof Error && /^mapping |ENOENT/.test(err.message))) throw new UserError(`${file}: ${err.message}`);
            throw err;
          } finally {
            bar.stop();
          }
          const rejected = 'rejects' in summary ? (summary as { rejects: Array<{ line: number; offset: number; reason: string }> }).rejects : [];
          emit(o.json ?? false, summary, () =>
            summary.alreadyImported
              ? `${file} was already imported into ${summary.market} (capture ${summary.captureId})`
              : [
                  `imported ${summary.rows} rows from ${file} (${formatBytes(summary.bytes)}) into ${summary.market} in ${(summary.durationMs / 1000).toFixed(1)} s: ${Object.entries(summary.counts).map(([k, v]) => `${k} ${v}`).join(', ')}; file preserved as capture ${summary.captureId}`,
                  ...rejected.slice(0, 20).map((r) => `  rejected line ${r.line} (byte ${r.offset}): ${r.reason}`),
                  ...(rejected.length > 20 ? [`  … ${summary.counts.rejected ?? rejected.length} rejected in all${o.rejects ? `, see ${o.rejects}` : ' (--rejects FILE writes them all)'}`] : []),
                  ...notImportedLines(summary),
                ].join('\n'),
          );
        });
      });
  }
}

/** A dump's tables and columns the mapping leaves out, and accounts kept apart though their handles fold alike. */
function notImportedLines(summary: ImportSummary): string[] {
  if (!('notImported' in summary)) return [];
  const d = summary as DumpImportSummary;
  return [
    ...d.notImported.tables.map((t) => `  not imported: table ${t.table} (${t.rows} rows)`),
    ...d.notImported.columns.map((c) => `  not imported: ${c.table}.${c.columns.join(`, ${c.table}.`)}`),
    ...d.caseFolded.map((g) => `  kept apart (handles differ only in case): ${g.accounts.map((a) => `${JSON.stringify(a.handle)} (user ${a.id})`).join(', ')}`),
  ];
}
