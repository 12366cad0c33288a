// `darkpatrol eval real`: what material brought in through the import routes (not the crawler) gives: field accuracy
// of the real Agora pages through `import pages` and of a sim world's Telegram exports and seized dump through
// `import telegram` and `import dump`; link precision/recall of `link run` on those imported sim accounts; and the
// link precision/recall on the real Agora vendor pages imported as two markets (the same computation as
// `eval link-real`, src/link/real-eval.ts).
import type { Command } from 'commander';
import { evaluateImportRoutes, type ImportEvalResult } from '../../collect/index.ts';
import { evaluateLinkingOnReal, type RealLinkEvalResult } from '../../link/real-eval.ts';
import { isScalePreset, type ScalePreset } from '../../sim/index.ts';
import { commandGroup } from '../group.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { formatRealLinkEval } from './eval-link-real.ts';

const f3 = (x: number) => x.toFixed(3);

export type RealEvalResult = ImportEvalResult & { agoraLinking: RealLinkEvalResult | null };

export function formatSimImportLinking(l: ImportEvalResult['sim']['linking']): string {
  const s = l.scores;
  return [
    `Linking (link run) on the imported accounts: ${l.accounts.telegram} from import telegram, ${l.accounts.dump} from import dump` +
      `${l.accounts.unmapped ? `, ${l.accounts.unmapped} not mapped to the world (left out)` : ''}; ${l.run.candidatePairs} candidate pairs, ${l.run.linksWritten} links written` +
      ` (joins: ${l.run.joins.hard} hard, ${l.run.joins.soft} soft)`,
    `${s.accounts} accounts scored, ${s.identitiesTrue} true identities, ${s.identitiesPredicted} predicted`,
    `pairwise precision ${f3(s.pairwise.precision)}, recall ${f3(s.pairwise.recall)}, F1 ${f3(s.pairwise.f1)} (${s.pairwise.correctPairs} correct of ${s.pairwise.predictedPairs} predicted, ${s.pairwise.truePairs} true pairs)`,
    `across sources (pairs on two markets/channels): precision ${f3(s.crossSource.precision)}, recall ${f3(s.crossSource.recall)} (${s.crossSource.correctPairs} correct of ${s.crossSource.predictedPairs} predicted, ${s.crossSource.truePairs} true pairs)`,
    `vendors only (buyers left out: ${l.vendorsOnly.accounts} accounts): precision ${f3(l.vendorsOnly.pairwise.precision)}, recall ${f3(l.vendorsOnly.pairwise.recall)} (${l.vendorsOnly.pairwise.correctPairs} correct of ${l.vendorsOnly.pairwise.predictedPairs} predicted, ${l.vendorsOnly.pairwise.truePairs} true pairs)`,
    `cluster purity ${f3(s.purity)}, completeness ${f3(s.completeness)}; largest identity: ${s.largestMixedIdentity} true identit${s.largestMixedIdentity === 1 ? 'y' : 'ies'}; ${s.mixedIdentities} mixed`,
    '',
    l.evidence.length === 0 ? 'no written link names a shared selector or a key rotation' :
      table(['link evidence (selector kind)', 'hard', 'links', 'clustered', 'same person', 'different people'],
        l.evidence.map((e) => [e.evidence, e.hard ? 'yes' : 'no', e.links, e.clustered, e.correct, e.wrong])),
  ].join('\n');
}

export function formatImportEval(r: ImportEvalResult | RealEvalResult): string {
  const rows = (fields: ImportEvalResult['sim']['fields']) => table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)]));
  const out = [`Import routes — ${r.seconds.toFixed(1)} s`];
  if (r.agora) out.push('', `Agora fixtures through import pages: ${r.agora.captures} captures, ${r.agora.pages} scored pages (${r.agora.dir})`, rows(r.agora.fields));
  else out.push('', 'Agora fixtures: not found (use --agora-dir).');
  out.push('', `Sim world ${r.sim.seed} (${r.sim.scale}) through import telegram (${r.sim.telegramExports} exports, ${r.sim.messages} messages) and import dump (${r.sim.dumpRows} rows)`, rows(r.sim.fields));
  out.push('', formatSimImportLinking(r.sim.linking));
  if ('agoraLinking' in r && r.agoraLinking) out.push('', formatRealLinkEval(r.agoraLinking));
  return out.join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('real')
    .description('import routes: the real Agora pages through import pages, a sim world\'s Telegram exports and seized dump through import telegram/dump; per-field precision and recall of what reaches the store, link precision/recall on the imported sim accounts and on the Agora vendor pages imported as two markets (as eval link-real)')
    .option('--seed <seed>', 'sim world seed', '7')
    .option('--scale <preset>', 'tiny, demo, medium, large or alphabay', 'tiny')
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--no-agora-link', 'skip linking on the Agora pages imported as two markets (eval link-real)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { seed: string; scale: string; agoraDir?: string; agoraLink: boolean; json?: boolean }) => {
      if (!isScalePreset(opts.scale)) throw new UserError(`--scale must be one of tiny, demo, medium, large, alphabay; got ${opts.scale}`);
      const onProgress = opts.json ? undefined : (l: string) => process.stderr.write(`${l}\n`);
      const r = await evaluateImportRoutes({ seed: opts.seed, scale: opts.scale as ScalePreset, agoraDir: opts.agoraDir, onProgress });
      const agoraLinking = opts.agoraLink && r.agora ? await evaluateLinkingOnReal({ agoraDir: r.agora.dir, onProgress }) : null;
      const out: RealEvalResult = { ...r, agoraLinking };
      emit(opts.json ?? false, out, () => formatImportEval(out));
    });
}
