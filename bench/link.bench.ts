/**
 * Identity resolution at AlphaBay scale: generate the sim world, load it with ingestWorld (bypasses crawling),
 * resolve every account into identities, and score against ground truth. Prints one JSON line (last line).
 *
 *   npx tsx bench/link.bench.ts --seed eval-1 --scale alphabay [--fraction F] [--dir DIR] [--reuse]
 *
 * --fraction F (0 < F ≤ 1) scales the preset's identities, accounts, listings, buyers and channels by F (markets,
 * days and sales rate kept), e.g. `--scale alphabay --fraction 0.25` for a quarter of AlphaBay at its density.
 *
 * The store is an on-disk PGlite in DIR (default: $TMPDIR/darkpatrol-link-bench-<seed>-<scale>); with --reuse an
 * earlier run's ingested store and truth are used again, so only resolution is re-measured.
 * "seconds.resolve" (load from the store + prepare + blocking + scoring + clustering) is the figure the
 * 2-minute target is about; writing identities and links is reported separately.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/index.ts';
import { generateWorld, isScalePreset, SCALE_PRESETS } from '../src/sim/index.ts';
import { ingestWorld } from '../src/sim/ingest/index.ts';
import { evaluateLinking, loadModel, runLinking, type LinkTruth } from '../src/link/index.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: 'eval-1' }, scale: { type: 'string', default: 'alphabay' },
  fraction: { type: 'string', default: '1' }, dir: { type: 'string' }, reuse: { type: 'boolean', default: false }, model: { type: 'string' } } });
const seed = values.seed as string;
const scale = values.scale as string;
if (!isScalePreset(scale)) throw new Error(`unknown --scale ${scale}`);
const fraction = Number(values.fraction);
if (!(fraction > 0 && fraction <= 1)) throw new Error(`--fraction must be in (0, 1], got ${values.fraction}`);
const preset = SCALE_PRESETS[scale];
const scaled = (k: 'identities' | 'accounts' | 'listings' | 'buyers' | 'channels', min: number) => Math.max(min, Math.round(preset[k] * fraction));
const worldScale = fraction === 1 ? scale : { preset: scale, overrides: { identities: scaled('identities', 10),
  accounts: scaled('accounts', 10), listings: scaled('listings', 10), buyers: scaled('buyers', 50), channels: scaled('channels', 2) } };
const dir = values.dir ?? join(tmpdir(), `darkpatrol-link-bench-${seed}-${scale}${fraction === 1 ? '' : `-${fraction}`}`);
const model = loadModel(values.model);
if (model.trainedOn.seed === seed) throw new Error(`--seed ${seed} is the model's training seed; use another`);
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
const truthFile = join(dir, 'truth.json');
const ingestFile = join(dir, 'ingest.json');
let prep: { agencyId: number; generateSeconds: number; ingest: Record<string, unknown> };
let truth: LinkTruth;
if (values.reuse && existsSync(truthFile) && existsSync(ingestFile)) {
  truth = JSON.parse(readFileSync(truthFile, 'utf8')) as LinkTruth;
  prep = JSON.parse(readFileSync(ingestFile, 'utf8')) as typeof prep;
  log(`reusing ${dir}`);
} else {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating ${scale} world, seed ${seed}`);
  const t = performance.now();
  const world = generateWorld({ seed, scale: worldScale });
  const generateSeconds = (performance.now() - t) / 1000;
  truth = { accounts: world.accounts.map((a) => ({ id: a.id, identityId: a.identityId, aliasKind: a.aliasKind })) };
  writeFileSync(truthFile, JSON.stringify(truth));
  const store = await openStore({ dataDir: join(dir, 'pg') });
  const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Link benchmark', country: 'NL' })
    .returning('id').executeTakeFirstOrThrow()).id;
  log(`ingesting ${world.accounts.length} accounts, ${world.listings.length} listings`);
  const r = await ingestWorld(store, world, { agencyId, feedback: false, onProgress: (s, n) => log(`  ${s} ${n}`) });
  await store.close();
  const { vendorIdOf: _omit, ...ingest } = r;
  prep = { agencyId, generateSeconds, ingest };
  writeFileSync(ingestFile, JSON.stringify(prep));
}
peak = process.memoryUsage().rss;
const store = await openStore({ dataDir: join(dir, 'pg') });
log('resolving');
const run = await runLinking(store, { agencyId: prep.agencyId, model });
const resolvePeak = peak;
log('evaluating');
const ev = await evaluateLinking(store.db, truth, prep.agencyId);
await store.close();
clearInterval(sampler);
const row = (g: string) => ev.byKind.find((r) => r.group === g);
const r3 = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);
console.log(JSON.stringify({
  bench: 'link', seed, scale, fraction, model: model.version, accounts: run.accounts, candidatePairs: run.candidatePairs,
  seconds: { generate: r3(prep.generateSeconds), ingest: r3(prep.ingest.seconds as number), resolve: run.seconds.resolve,
    write: run.seconds.write, stages: run.seconds },
  peakRssMb: { resolve: Math.round(resolvePeak / 2 ** 20), process: Math.round(process.resourceUsage().maxRSS / 1024) },
  overall: { precision: r3(ev.pairwise.precision), recall: r3(ev.pairwise.recall), f1: r3(ev.pairwise.f1), purity: r3(ev.purity) },
  hard: { precision: r3(row('hard (same key or crypto)')?.precision), recall: r3(row('hard (same key or crypto)')?.recall), f1: r3(row('hard (same key or crypto)')?.f1) },
  hardObserved: { f1: r3(row('hard (observed in store)')?.f1) },
  nameOnly: { f1: r3(row('same-name-other-key')?.f1) },
  styleOnly: { precision: r3(row('style-only')?.precision), recall: r3(row('style-only')?.recall), f1: r3(row('style-only')?.f1) },
  byKind: Object.fromEntries(ev.byKind.map((k) => [k.group, { n: k.accounts, p: r3(k.precision), r: r3(k.recall), f1: r3(k.f1) }])),
}));
