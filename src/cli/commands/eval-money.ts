import type { Command } from 'commander';
import { evaluateMoney } from '../../money/index.ts';
import { isScalePreset } from '../../sim/world/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';

export function register(program: Command): void {
  commandGroup(program, 'eval', 'accuracy against the simulator\'s ground truth')
    .command('money')
    .description('score clustering and cash-out attribution against the sim ledger (served as Bitcoin Core RPC and Esplora on loopback)')
    .option('--seed <seed>', 'world to evaluate', '1')
    .option('--scale <preset>', 'tiny | demo | … (the ledger grows with the world)', 'tiny')
    .option('--hops <n>', 'transactions followed from a vendor coin', '6')
    .option('--json', 'machine-readable output')
    .action(async (o: { seed: string; scale: string; hops: string; json?: boolean }) => {
      if (!isScalePreset(o.scale)) throw new UserError(`unknown --scale "${o.scale}"`);
      const hops = Number(o.hops);
      if (!Number.isInteger(hops) || hops < 1 || hops > 50) throw new UserError('--hops must be an integer in 1..50');
      const r = await evaluateMoney({ seed: o.seed, scale: o.scale, maxHops: hops, onProgress: (s) => (o.json ? undefined : process.stderr.write(`… ${s}\n`)) });
      const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
      const c = r.cashout;
      emit(o.json ?? false, r, () => [
        `seed ${r.seed}, scale ${r.scale}: ${r.blocks} blocks, ${r.txs} transactions; ${r.fetches.rpcRequests} RPC requests, ${r.fetches.esploraRequests} Esplora requests`,
        table(['clustering heuristics', 'addresses', 'clusters', 'pairwise precision', 'pairwise recall', 'entities merged with others'],
          r.clustering.map((s) => [s.heuristics, String(s.addresses), String(s.clusters), pct(s.precision), pct(s.recall), String(s.wrongMerges)])),
        table(['cash-out measure', 'result', 'target', 'met'], [
          ['clustering precision (common-input + CoinJoin detection)', pct(r.clustering[0]?.precision ?? 0), '≥ 99%', (r.clustering[0]?.precision ?? 0) >= 0.99 ? 'yes' : 'NO'],
          ['(vendor, exchange) cash-out pairs named', `${c.pairsFound}/${c.pairs} = ${pct(c.recall)}`, '≥ 90%', c.recall >= 0.9 ? 'yes' : 'NO'],
          ['named pairs that are true', pct(c.precision), '', ''],
          ['amount within ±5% (pairs without mixing)', `${c.amountWithin5}/${c.amountPairs} (median error ${pct(c.medianAmountError)})`, '±5%', c.amountPairs === 0 || c.amountWithin5 / c.amountPairs >= 0.9 ? 'yes' : 'NO'],
          ['pairs with a mixed cash-out still named', `${c.mixedPairsFound}/${c.mixedPairs}`, '', ''],
          ['vendors who cashed out / with a known address', `${c.vendorsCashedOut} / ${c.vendorsWithKnownAddress}`, '', ''],
        ]),
      ].join('\n'));
    });
}
