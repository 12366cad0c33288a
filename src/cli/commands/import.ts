import type { Command } from 'commander';
import { ImportFormatError, importCsvScrape, importMysqlDump, importTelegramExport, loadCsvMapping, loadDumpMapping, SIM_SEIZED_MAPPING, type ImportSummary } from '../../collect/index.ts';
import { formatBytes, progressBar } from '../../collect/progress.ts';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';
import { writeFileSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

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
                ].join('\n'),
          );
        });
      });
  }
}
