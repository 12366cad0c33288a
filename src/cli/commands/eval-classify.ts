// `darkpatrol eval classify`: listing classification against Agora's own categories on the Agora fixture pages.
import type { Command } from 'commander';
import { commandGroup } from '../group.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { evaluateAgoraClassification, type ClassifyAgreement } from '../../extract/index.ts';

export function formatClassifyAgreement(r: ClassifyAgreement): string {
  const out = [`Classification vs Agora's categories (${r.dir}): ${r.agree}/${r.listings} agree = ${(r.agreement * 100).toFixed(1)}%`];
  for (const c of r.byClass) out.push(`  ${c.cls.padEnd(16)} ${c.agree}/${c.n}`);
  if (r.disagreements.length > 0) out.push('Disagreements:');
  for (const d of r.disagreements.slice(0, 50)) out.push(`  [${d.category}] expected ${d.expected}, got ${d.got}: ${d.title}`);
  return out.join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('classify')
    .description("listing classification (title only) against Agora's own categories on the Agora fixture pages, where a category names one substance class")
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--json', 'machine-readable output')
    .action((opts: { agoraDir?: string; json?: boolean }) => {
      const r = evaluateAgoraClassification(opts.agoraDir);
      if (!r) throw new UserError(`Agora fixtures not found${opts.agoraDir ? ` at ${opts.agoraDir}` : ''} (use --agora-dir)`);
      emit(opts.json ?? false, r, () => formatClassifyAgreement(r));
    });
}
