import type { Command } from 'commander';
import { evaluateAnalysis } from '../../analyse/index.ts';
import { runLinking } from '../../link/index.ts';
import { isScalePreset } from '../../sim/world/index.ts';
import { openStore } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';

export function register(program: Command): void {
  commandGroup(program, 'eval', 'accuracy against the simulator\'s ground truth')
    .command('analyse')
    .description('score revenue estimates, migration tracing and the top-target ranking against sim ground truth')
    .option('--seed <seed>', 'world to evaluate (7: the demo world)', '7')
    .option('--scale <preset>', 'demo | … | alphabay', 'demo')
    .option('--no-link', 'skip identity resolution (every account stands alone)')
    .option('--json', 'machine-readable output')
    .action(async (o: { seed: string; scale: string; link: boolean; json?: boolean }) => {
      if (!isScalePreset(o.scale)) throw new UserError(`unknown --scale "${o.scale}"`);
      // A throwaway embedded database: the evaluation never touches the user's data.
      const store = await openStore({ dataDir: 'memory://' });
      try {
        const r = await evaluateAnalysis(store, {
          seed: o.seed,
          scale: o.scale,
          link: o.link ? async (s, agencyId) => void (await runLinking(s, { agencyId })) : undefined,
          onProgress: (stage) => (o.json ? undefined : process.stderr.write(`… ${stage}\n`)),
        });
        const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
        emit(o.json ?? false, r, () =>
          [
            `seed ${r.seed}; units per feedback from each market's stock: ${Object.entries(r.feedbackRate.unitsPerFeedback).map(([m, k]) => `${m} ${k === null ? '—' : k.toFixed(2)}`).join(', ')}`,
            `fallback: feedback rate ${r.feedbackRate.value.toFixed(3)} and ${r.feedbackRate.unitsPerSale.toFixed(2)} units/sale calibrated on ${r.feedbackRate.from}`,
            table(
              ['measure', 'result', 'target', 'met'],
              [
                ['vendors (≥50 sales) with revenue within ±15%', `${r.revenue.within15}/${r.revenue.vendors} = ${pct(r.revenue.share)} (median error ${pct(r.revenue.medianAbsError)})`, `≥ ${pct(r.revenue.target)}`, r.revenue.share >= r.revenue.target ? 'yes' : 'NO'],
                ['migrated identities whose destination is named', `${r.migration.named}/${r.migration.migrated} = ${pct(r.migration.share)} (first-named ${r.migration.firstNamed})`, `≥ ${pct(r.migration.target)}`, r.migration.share >= r.migration.target ? 'yes' : 'NO'],
                ['true top 20 (revenue × harm) in our top 20', `${r.ranking.overlap}/${r.ranking.of}`, `≥ ${r.ranking.target}`, r.ranking.overlap >= r.ranking.target ? 'yes' : 'NO'],
              ],
            ),
          ].join('\n'),
        );
      } finally {
        await store.close();
      }
    });
}
