// `darkpatrol eval extract`: serve a sim world in-process, crawl every market with its adapter and print
// field-level precision and recall per market against the ground truth (plus the Agora fixtures' figures).
import type { Command } from 'commander';
import { commandGroup } from '../group.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { evaluateAgoraFixtures, evaluateSimExtraction, type AgoraFixtureEval, type SimExtractEvalResult } from '../../extract/index.ts';
import { isScalePreset, type ScalePreset } from '../../sim/index.ts';

const f3 = (x: number) => x.toFixed(3);

export function formatExtractEval(r: SimExtractEvalResult, agora: AgoraFixtureEval | null): string {
  const out = [`Extraction accuracy — seed ${r.seed}, scale ${r.scale}, day ${r.day} (${r.date}); ${r.seconds.toFixed(1)} s`];
  for (const m of r.markets) {
    out.push('', `${m.slug} (${m.design}, ${m.currency}, ${m.adapter}) — ${m.state}; ${m.pages} pages, ${m.listingsExpected} listings, ` +
      `${m.vendorsExpected} vendors, ${m.feedbackExpected} feedback entries; min precision ${f3(m.minPrecision)}, min recall ${f3(m.minRecall)}`);
    if (m.fields.length > 0) out.push(table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], m.fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)])));
  }
  const scored = r.markets.filter((m) => m.fields.length > 0);
  const worst = scored.length ? Math.min(...scored.map((m) => Math.min(m.minPrecision, m.minRecall))) : 1;
  out.push('', `Lowest precision/recall over all markets and fields: ${f3(worst)} (target ≥ 0.98)`);
  if (agora) {
    out.push('', `Agora fixtures (${agora.pages} pages in ${agora.dir})`);
    out.push(table(['field', 'tp', 'fp', 'fn', 'precision', 'recall'], agora.fields.map((f) => [f.field, f.tp, f.fp, f.fn, f3(f.precision), f3(f.recall)])));
  } else {
    out.push('', 'Agora fixtures: not found (use --agora-dir).');
  }
  return out.join('\n');
}

export function register(program: Command): void {
  commandGroup(program, 'eval', 'score a pipeline stage against the simulated ground truth')
    .command('extract')
    .description('extraction: serve a sim world in-process, log in, fetch every listing/vendor/feedback page, run the adapters and print per-market, per-field precision and recall')
    .requiredOption('--seed <seed>', 'world seed')
    .option('--scale <preset>', 'tiny, demo, medium, large or alphabay', 'demo')
    .option('--day <n>', 'sim day the markets show (default: 40 % into the run)')
    .option('--agora-dir <dir>', 'Agora fixture pages (default: ../shared/fixtures/agora-2014-04-06)')
    .option('--generic', 'score the generic extractor (adapters off) on the sim pages; the adapters only find the pages')
    .option('--json', 'machine-readable output')
    .action(async (opts: { seed: string; scale: string; day?: string; agoraDir?: string; generic?: boolean; json?: boolean }) => {
      if (!isScalePreset(opts.scale)) throw new UserError(`--scale must be one of tiny, demo, medium, large, alphabay; got ${opts.scale}`);
      let day: number | undefined;
      if (opts.day !== undefined) {
        if (!/^\d{1,6}$/.test(opts.day)) throw new UserError(`--day must be a non-negative integer, got ${opts.day}`);
        day = Number(opts.day);
      }
      let r: SimExtractEvalResult;
      try {
        r = await evaluateSimExtraction({ seed: opts.seed, scale: opts.scale as ScalePreset, day, generic: opts.generic ?? false,
          onProgress: opts.json ? undefined : (l) => process.stderr.write(`${l}\n`) });
      } catch (err) {
        if (err instanceof Error && /^day must be/.test(err.message)) throw new UserError(err.message);
        throw err;
      }
      const agora = evaluateAgoraFixtures(opts.agoraDir);
      emit(opts.json ?? false, { ...r, agora }, () => formatExtractEval(r, agora));
    });
}
