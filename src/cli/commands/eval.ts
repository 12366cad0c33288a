// `darkpatrol eval link`: generate a world, ingest it (no crawl), resolve identities, score against ground truth.
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { commandGroup } from '../group.ts';
import { evaluateOnSim, loadModel, type SimEvalResult } from '../../link/index.ts';
import { isScalePreset, type ScalePreset } from '../../sim/index.ts';

const pct = (x: number | null) => (x === null ? '—' : (x * 100).toFixed(1));

export function formatLinkEval(r: SimEvalResult): string {
  const e = r.evaluation;
  return [
    `Link evaluation — seed ${r.seed}, scale ${r.scale}, model ${r.model}`,
    `${r.accounts} accounts, ${r.listings} listings; generate ${r.seconds.generate.toFixed(1)} s, ingest ${r.seconds.ingest.toFixed(1)} s, ` +
      `resolve ${r.seconds.resolve.toFixed(1)} s, write ${r.seconds.write.toFixed(1)} s; peak RSS ${r.peakRssMb} MiB`,
    `${r.run.candidatePairs} candidate pairs; ${e.identitiesPredicted} identities predicted, ${e.identitiesTrue} true`,
    '',
    table(['group', 'accounts', 'alias links', 'precision %', 'recall %', 'F1 %'], [
      ['all pairs', e.accounts, e.pairwise.truePairs, pct(e.pairwise.precision), pct(e.pairwise.recall), pct(e.pairwise.f1)],
      ...e.byKind.map((k) => [k.group, k.accounts, k.aliasLinks, pct(k.precision), pct(k.recall), pct(k.f1)]),
    ]),
    '',
    `cluster purity ${pct(e.purity)} %, completeness ${pct(e.completeness)} %`,
    'Per group: recall = alias links (anchor ↔ alias) resolved into one identity; precision = identity mates of the group\'s accounts that are truly the same person.',
  ].join('\n');
}

/** `eval link`; the `eval` group is shared (see ../group.ts): other stages add `eval <stage>` the same way. */
export function register(program: Command): void {
  commandGroup(program, 'eval', 'accuracy against the simulator\'s ground truth')
    .command('link')
    .description('identity resolution: generate a sim world, ingest it without crawling, resolve, and score P/R/F1 by alias kind')
    .requiredOption('--seed <seed>', 'world seed (must differ from the seed the model was trained on)')
    .option('--scale <preset>', 'tiny, demo, medium, large or alphabay', 'demo')
    .option('--model <path>', 'link model weights (default: src/link/model/weights.json)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { seed: string; scale: string; model?: string; json?: boolean }) => {
      if (!isScalePreset(opts.scale)) throw new UserError(`--scale must be one of tiny, demo, medium, large, alphabay; got ${opts.scale}`);
      let model;
      try {
        model = loadModel(opts.model);
      } catch (err) {
        throw new UserError(`cannot read the link model: ${(err as Error).message}`);
      }
      if (model.trainedOn.seed === opts.seed) throw new UserError(`seed ${opts.seed} is the model's training seed; evaluate on another seed`);
      const r = await evaluateOnSim({ seed: opts.seed, scale: opts.scale as ScalePreset, model,
        onProgress: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
      emit(opts.json ?? false, r, () => formatLinkEval(r));
    });
}
