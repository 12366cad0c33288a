import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseFxCsv } from '../../domain/money.ts';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';
import { userInfo } from 'node:os';
import { extractCaptures, loadFxTable, saveFxRates } from '../../extract/store/index.ts';
import { rederiveImports } from '../../collect/index.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { progressBar } from '../progress.ts';
import { withStore } from '../store-options.ts';

export function register(program: Command): void {
  program
    .command('extract')
    .description('run market adapters over stored evidence and save listings, vendors, feedback and selectors')
    .option('--market <slug>', 'only this market')
    .option('--reparse', 're-run captures that an older adapter version parsed, and re-derive imports from their preserved files')
    .option('--all', 're-run every capture, whatever parsed it')
    .option('--evidence-dir <dir>', 'where the WARC files are (default .darkpatrol/evidence or $DARKPATROL_EVIDENCE_DIR)')
    .option('--json', 'machine-readable summary')
    .action(async (opts: { market?: string; reparse?: boolean; all?: boolean; evidenceDir?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        let marketId: number | undefined;
        if (opts.market) {
          const m = await store.db.selectFrom('markets').select('id').where('slug', '=', opts.market).executeTakeFirst();
          if (!m) throw new UserError(`no market with slug "${opts.market}"`);
          marketId = m.id;
        }
        const bar = progressBar('extract', opts.json ?? false);
        const report = await extractCaptures(store, {
          evidenceDir: resolveEvidenceDir(opts.evidenceDir),
          marketId,
          reparse: opts.reparse,
          all: opts.all,
          fx: await loadFxTable(store.db),
          onProgress: bar.update,
        });
        bar.stop();
        // Imports (Telegram, CSV, dumps) are re-derived from their preserved copies when re-parsing.
        const imports = opts.reparse || opts.all ? await rederiveImports(store.db, { evidenceDir: resolveEvidenceDir(opts.evidenceDir), marketId }) : null;
        // New sightings can tie a registered selector to an identity that another agency's case holds.
        const deconflictionHits = await detectLinkedHits(store.db, `cli:${userInfo().username}`);
        emit(opts.json ?? false, { ...report, imports, deconflictionHits }, () =>
          [
            `captures ${report.captures}: parsed ${report.parsed}, failed ${report.failed}, no adapter ${report.skippedNoAdapter}`,
            ...(imports
              ? [`imports re-derived from evidence: ${imports.imports} (${imports.rows} rows, ${imports.sightings} sightings, ${imports.rejects} unreadable selectors)`,
                ...imports.failed.map((f) => `  could not re-derive ${f.file} (capture ${f.captureId}): ${f.error}`)]
              : []),
            table(['fact', 'saved'], [['vendors', report.vendors], ['listings', report.listings], ['snapshots', report.snapshots], ['feedback', report.feedback], ['selectors', report.selectors]]),
            `page types: ${Object.entries(report.byPageType).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`,
            `de-confliction: ${deconflictionHits} new hit(s) between agencies' cases`,
          ].join('\n'),
        );
      });
    });

  const rates = program.command('rates').description('the exchange-rate table used to convert prices to USD and EUR');
  rates
    .command('import <csv>')
    .description('add or replace rates from a CSV file with the columns date,currency,usd')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { json?: boolean }, cmd: Command) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
      }
      let parsed;
      try {
        parsed = parseFxCsv(text);
      } catch (err) {
        throw new UserError(`${file}: ${(err as Error).message}`);
      }
      await withStore(cmd, async (store) => {
        const n = await saveFxRates(store.db, parsed);
        emit(opts.json ?? false, { imported: n }, () => `imported ${n} rate(s) from ${file}`);
      });
    });
}
