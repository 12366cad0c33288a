// `darkpatrol eval generic`: the generic extractor (adapters off) on real pages of markets it has never seen
// (the 2019 Dream/Apollon pages, hand-checked truth) and on the Agora fixtures: per-field precision/recall,
// invented rows and vendors, and whether the logged-in account became a vendor.
import type { Command } from 'commander';
import { commandGroup } from '../group.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { evaluateGenericAgora, evaluateGenericReal, type GenericEvalReport, type GenericRealEval, type UrlMode } from '../../extract/index.ts';

const f3 = (x: number) => x.toFixed(3);

function formatReal(r: GenericRealEval, misses: number): string[] {
  const out = [`Markets never seen (${r.dir}), ${r.urls === 'real' ? "the markets' real URL schemes" : 'opaque URLs (/page/N)'}: ` +
    `${r.pages} pages (${r.listingPages} listing, ${r.vendorPages} vendor)`];
  out.push(table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], r.fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)])));
  out.push(`invented rows: ${r.inventedRows}; invented vendors: ${r.inventedVendors}; ` +
    `logged-in account taken as a vendor: ${r.accountAsVendor.length === 0 ? 'never' : `${r.accountAsVendor.length} page(s): ${r.accountAsVendor.join(', ')}`}`);
  if (misses > 0 && r.misses.length > 0) {
    out.push(`where it failed (first ${Math.min(misses, r.misses.length)} of ${r.misses.length}):`);
    for (const m of r.misses.slice(0, misses)) out.push(`  ${m.file}  ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.got)}`.slice(0, 240));
  }
  return out;
}

export function formatGenericEval(r: GenericEvalReport, misses = 40): string {
  const out: string[] = [];
  if (r.markets2019.length === 0) out.push('Markets-2019 fixtures or truth not found (use --dir and --labels).');
  for (const m of r.markets2019) out.push(...formatReal(m, misses), '');
  if (r.agora) {
    out.push(`Agora fixtures, generic extractor (${r.agora.pages} pages in ${r.agora.dir})`);
    out.push(table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], r.agora.fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)])));
  } else out.push('Agora fixtures: not found (use --agora-dir).');
  return out.join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('generic')
    .description('the generic extractor (adapters off) on real pages of markets it has no adapter for (2019 Dream/Apollon, hand-checked truth) and on the Agora fixtures: per-field precision/recall, invented rows, logged-in account as vendor')
    .option('--dir <dir>', 'pages (default: ../shared/fixtures/markets-2019)')
    .option('--labels <file>', 'truth JSON (default: test/fixtures/extract/markets-2019-truth.json)')
    .option('--urls <mode>', 'real (the markets\' URL schemes), opaque (/page/N) or both', 'both')
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--misses <n>', 'how many failures to list per run', '40')
    .option('--json', 'machine-readable output')
    .action((opts: { dir?: string; labels?: string; urls: string; agoraDir?: string; misses: string; json?: boolean }) => {
      if (!['real', 'opaque', 'both'].includes(opts.urls)) throw new UserError(`--urls must be real, opaque or both; got ${opts.urls}`);
      if (!/^\d{1,5}$/.test(opts.misses)) throw new UserError(`--misses must be a non-negative integer, got ${opts.misses}`);
      const modes: UrlMode[] = opts.urls === 'both' ? ['real', 'opaque'] : [opts.urls as UrlMode];
      const markets2019: GenericRealEval[] = [];
      for (const mode of modes) {
        const r = evaluateGenericReal(opts.dir, opts.labels, mode);
        if (r) markets2019.push(r);
      }
      if (markets2019.length === 0 && (opts.dir || opts.labels)) throw new UserError(`pages or labels not found (${opts.dir ?? 'default dir'}, ${opts.labels ?? 'default labels'})`);
      const rep: GenericEvalReport = { markets2019, agora: evaluateGenericAgora(opts.agoraDir) };
      emit(opts.json ?? false, rep, () => formatGenericEval(rep, Number(opts.misses)));
    });
}
