/**
 * What extraction produces on the real fixture pages, independent of timing: SHA-256 prefixes of every result's JSON
 * (`stats.millis` zeroed) and of the accuracy reports, so a speed change can show its output is the same before and
 * after (docs/benchmarks.md, "Extraction").
 * - agora: the Agora adapter over the Agora fixture pages;
 * - all: the Agora and sim adapters over those and the markets-2019 pages; generic: the generic extractor over both;
 * - evalAgora, evalGenericReal (real and opaque URLs), evalGenericAgora: the accuracy reports on the real fixtures;
 * - with `--sim`: the sim evaluation (`darkpatrol eval extract --seed 7 --scale tiny`), timing dropped.
 *
 *   npx tsx bench/extract-output.ts [--tree <checkout>] [--fixtures <dir>] [--sim]
 *
 * `--tree` runs another checkout's code (default: this one), e.g. a worktree of main for the "before".
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const tree = resolve(option('tree', join(import.meta.dirname, '..')));
const fixtures = resolve(option('fixtures', join(import.meta.dirname, '../../shared/fixtures')));

const { extractPage } = await import(`${tree}/src/extract/adapter/run.ts`);
const { agoraAdapter } = await import(`${tree}/src/extract/adapters/agora.ts`);
const { ADAPTERS } = await import(`${tree}/src/extract/adapters/index.ts`);
const { extractGeneric } = await import(`${tree}/src/extract/generic/index.ts`);
const { evaluateAgoraFixtures } = await import(`${tree}/src/extract/eval/agora-fixtures.ts`);
const { evaluateGenericReal, evaluateGenericAgora } = await import(`${tree}/src/extract/eval/generic-real.ts`);

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : /\.(md|py)$/.test(n) ? [] : [p];
    });
}
const agoraDir = join(fixtures, 'agora-2014-04-06');
const m19Dir = join(fixtures, 'markets-2019');
const pages = [...files(agoraDir).map((p) => ({ p, base: agoraDir })), ...files(m19Dir).map((p) => ({ p, base: m19Dir }))];
const input = (p: string, base: string) => ({
  url: `http://agorahooawayyfoe.onion/${relative(base, p)}`,
  html: readFileSync(p),
  capturedAt: '2014-04-06T12:00:00Z',
  captureDigest: 'sha256:x',
});

type Result = { stats: Record<string, unknown> };
const json = (r: Result) => JSON.stringify({ ...r, stats: { ...r.stats, millis: 0 } });
/** JSON without the keys that vary from run to run (timings, the fixture directory). */
const stable = (o: unknown) => JSON.stringify(o, (k, v) => (k === 'dir' || k === 'seconds' || k === 'millis' ? undefined : v));
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);

const agora = createHash('sha256');
const all = createHash('sha256');
const generic = createHash('sha256');
for (const { p, base } of pages) {
  if (base === agoraDir) agora.update(json(extractPage(agoraAdapter, input(p, base))));
  for (const a of ADAPTERS) all.update(json(extractPage(a, input(p, base))));
  generic.update(json(extractGeneric(input(p, base))));
}
const evalAgora = evaluateAgoraFixtures(agoraDir);
const out: Record<string, unknown> = {
  pages: pages.length,
  agora: agora.digest('hex').slice(0, 16),
  all: all.digest('hex').slice(0, 16),
  generic: generic.digest('hex').slice(0, 16),
  evalAgora: sha(stable(evalAgora)),
  evalGenericReal: sha(stable([evaluateGenericReal(m19Dir, undefined, 'real'), evaluateGenericReal(m19Dir, undefined, 'opaque')])),
  evalGenericAgora: sha(stable(evaluateGenericAgora(agoraDir))),
  feedbackRating: (evalAgora?.fields as { field: string }[] | undefined)?.find((f) => f.field === 'feedback.rating'),
};
if (process.argv.includes('--sim')) {
  const { evaluateSimExtraction } = await import(`${tree}/src/extract/index.ts`);
  out.evalSim = sha(stable(await evaluateSimExtraction({ seed: '7', scale: 'tiny' })));
}
console.log(JSON.stringify(out));
