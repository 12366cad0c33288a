// `darkpatrol eval real`: field accuracy of material brought in through the import routes (not the crawler): the
// real Agora pages through `import pages`, a sim world's Telegram exports and seized dump through `import telegram`
// and `import dump`.
import type { Command } from 'commander';
import { evaluateImportRoutes, type ImportEvalResult } from '../../collect/index.ts';
import { isScalePreset, type ScalePreset } from '../../sim/index.ts';
import { commandGroup } from '../group.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';

const f3 = (x: number) => x.toFixed(3);

export function formatImportEval(r: ImportEvalResult): string {
  const rows = (fields: ImportEvalResult['sim']['fields']) => table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)]));
  const out = [`Import routes — ${r.seconds.toFixed(1)} s`];
  if (r.agora) out.push('', `Agora fixtures through import pages: ${r.agora.captures} captures, ${r.agora.pages} scored pages (${r.agora.dir})`, rows(r.agora.fields));
  else out.push('', 'Agora fixtures: not found (use --agora-dir).');
  out.push('', `Sim world ${r.sim.seed} (${r.sim.scale}) through import telegram (${r.sim.telegramExports} exports, ${r.sim.messages} messages) and import dump (${r.sim.dumpRows} rows)`, rows(r.sim.fields));
  return out.join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('real')
    .description('import routes: the real Agora pages through import pages, a sim world\'s Telegram exports and seized dump through import telegram/dump; per-field precision and recall of what reaches the store')
    .option('--seed <seed>', 'sim world seed', '7')
    .option('--scale <preset>', 'tiny, demo, medium, large or alphabay', 'tiny')
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { seed: string; scale: string; agoraDir?: string; json?: boolean }) => {
      if (!isScalePreset(opts.scale)) throw new UserError(`--scale must be one of tiny, demo, medium, large, alphabay; got ${opts.scale}`);
      const r = await evaluateImportRoutes({ seed: opts.seed, scale: opts.scale as ScalePreset, agoraDir: opts.agoraDir, onProgress: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
      emit(opts.json ?? false, r, () => formatImportEval(r));
    });
}
