// `darkpatrol eval link-real`: identity resolution on real vendor pages imported as two markets (rotated keys,
// flattened keys, thin accounts), scored by handle; see src/link/real-eval.ts.
import type { Command } from 'commander';
import { evaluateLinkingOnReal, type RealLinkEvalResult } from '../../link/real-eval.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';

const f3 = (x: number) => x.toFixed(3);

export function formatRealLinkEval(r: RealLinkEvalResult): string {
  return [
    `Linking on real pages (${r.dir}) imported as two markets — ${r.seconds.toFixed(1)} s`,
    r.markets.map((m) => `${m.slug}: ${m.accounts} accounts (${m.withKey} with a PGP key)`).join('; '),
    `${r.accounts} accounts, ${r.vendors} vendors; ${r.run.candidatePairs} candidate pairs, ${r.run.linksWritten} links written`,
    '',
    `pairwise precision ${f3(r.pairwise.precision)}, recall ${f3(r.pairwise.recall)} (${r.pairwise.correctPairs} correct of ${r.pairwise.predictedPairs} predicted, ${r.pairwise.truePairs} true pairs)`,
    `largest identity: ${r.largestMixedIdentity} distinct vendor(s)${r.mixedIdentities.length ? `; mixed: ${r.mixedIdentities.map((m) => m.handles.join('+')).join(', ')}` : ''}`,
    `proposed links flagged as thin evidence: ${r.thinLinks}`,
    '',
    table(['same handle on both markets', 'pairs', 'linked', 'explained', 'explanation expected'], r.groups.map((g) => [g.group, g.pairs, g.linked, g.explained, g.expected])),
    ...(r.falseLinks.length ? ['', 'links between different vendors:', ...r.falseLinks.map((l) => `  ${l.a} — ${l.b} (${l.score}): ${l.items.join('; ')}`)] : []),
  ].join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('link-real')
    .description('linking on the real Agora pages imported as two markets (rotated and flattened keys, thin accounts): pairwise precision/recall, mixed identities, explanations')
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { agoraDir?: string; json?: boolean }) => {
      const r = await evaluateLinkingOnReal({ agoraDir: opts.agoraDir, onProgress: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
      emit(opts.json ?? false, r, () => formatRealLinkEval(r));
    });
}
