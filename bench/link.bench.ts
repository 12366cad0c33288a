/**
 * Identity resolution at AlphaBay scale, measured at several sizes in one run so growth shows as a ratio.
 * For each fraction the sim world is generated and loaded with ingestWorld (bypasses crawling) in a child process,
 * then every account is resolved into identities and scored against ground truth in a *fresh* child process: the
 * generated world is never in the resolving heap, and that child's max RSS is resolution's memory.
 * Prints one JSON line (last line).
 *
 *   npx tsx bench/link.bench.ts --seed eval-1 --scale alphabay [--fractions 0.25,0.5,1] [--dir-base BASE] [--reuse]
 *
 * A fraction F (0 < F ≤ 1) scales the preset's identities, accounts, listings, buyers and channels by F (markets,
 * days and sales rate kept), e.g. 0.25 for a quarter of AlphaBay at its density. `--fraction F` = `--fractions F`.
 *
 * The store of fraction F is an on-disk PGlite in BASE-F (default BASE: $TMPDIR/darkpatrol-link-bench-<seed>-<scale>);
 * with --reuse an earlier run's ingested store and truth are used again, so only resolution is re-measured.
 * "seconds.resolve" (load from the store + prepare + blocking + scoring + clustering) is the figure the targets are
 * about; writing identities and links is reported separately. "cpuSeconds" are the resolving process's CPU seconds per
 * phase (steadier than wall time on a shared machine). "growth" gives, between consecutive fractions, the ratio of
 * each phase's wall and CPU seconds and the exponent k in seconds ∝ accounts^k (1 = linear).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/index.ts';
import { generateWorld, isScalePreset, SCALE_PRESETS } from '../src/sim/index.ts';
import { ingestWorld } from '../src/sim/ingest/index.ts';
import { evaluateLinking, loadModel, runLinking, type LinkTruth } from '../src/link/index.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: 'eval-1' }, scale: { type: 'string', default: 'alphabay' },
  fraction: { type: 'string' }, fractions: { type: 'string' }, 'dir-base': { type: 'string' }, dir: { type: 'string' },
  reuse: { type: 'boolean', default: false }, model: { type: 'string' }, stage: { type: 'string' } } });
const seed = values.seed as string;
const scale = values.scale as string;
if (!isScalePreset(scale)) throw new Error(`unknown --scale ${scale}`);
const log = (s: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const r3 = (x: number | null | undefined) => (x === null || x === undefined ? null : Math.round(x * 1000) / 1000);

interface IngestInfo { agencyId: number; generateSeconds: number; ingest: Record<string, unknown> }

/** Child stage "ingest": generate the world of one fraction and load it into the store in --dir. */
async function ingestStage(dir: string, fraction: number): Promise<void> {
  const preset = SCALE_PRESETS[scale as keyof typeof SCALE_PRESETS];
  const scaled = (k: 'identities' | 'accounts' | 'listings' | 'buyers' | 'channels', min: number) => Math.max(min, Math.round(preset[k] * fraction));
  const worldScale = fraction === 1 ? scale : { preset: scale, overrides: { identities: scaled('identities', 10),
    accounts: scaled('accounts', 10), listings: scaled('listings', 10), buyers: scaled('buyers', 50), channels: scaled('channels', 2) } };
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`generating ${scale} × ${fraction} world, seed ${seed}`);
  const t = performance.now();
  const world = generateWorld({ seed, scale: worldScale as Parameters<typeof generateWorld>[0]['scale'] });
  const generateSeconds = (performance.now() - t) / 1000;
  const truth: LinkTruth = { accounts: world.accounts.map((a) => ({ id: a.id, identityId: a.identityId, aliasKind: a.aliasKind })) };
  const store = await openStore({ dataDir: join(dir, 'pg') });
  const agencyId = (await store.db.insertInto('agencies').values({ code: 'BENCH', name: 'Link benchmark', country: 'NL' })
    .returning('id').executeTakeFirstOrThrow()).id;
  log(`ingesting ${world.accounts.length} accounts, ${world.listings.length} listings`);
  const r = await ingestWorld(store, world, { agencyId, feedback: false, onProgress: (s, n) => log(`  ${s} ${n}`) });
  await store.close();
  const { vendorIdOf: _omit, ...ingest } = r;
  writeFileSync(join(dir, 'truth.json'), JSON.stringify(truth));
  // Written last: its presence marks a complete store for --reuse.
  writeFileSync(join(dir, 'ingest.json'), JSON.stringify({ agencyId, generateSeconds, ingest } satisfies IngestInfo));
}

/** Child stage "resolve": resolve the stored accounts in --dir, evaluate, print one JSON line. */
async function resolveStage(dir: string): Promise<void> {
  const model = loadModel(values.model);
  if (model.trainedOn.seed === seed) throw new Error(`--seed ${seed} is the model's training seed; use another`);
  const truth = JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as LinkTruth;
  const prep = JSON.parse(readFileSync(join(dir, 'ingest.json'), 'utf8')) as IngestInfo;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  const store = await openStore({ dataDir: join(dir, 'pg') });
  log(`resolving ${dir}`);
  const run = await runLinking(store, { agencyId: prep.agencyId, model });
  const resolvePeak = Math.max(peak, process.memoryUsage().rss);
  log('evaluating');
  const ev = await evaluateLinking(store.db, truth, prep.agencyId);
  const written = await resolutionDigest(store, prep.agencyId);
  await store.close();
  clearInterval(sampler);
  const row = (g: string) => ev.byKind.find((r) => r.group === g);
  console.log(JSON.stringify({
    accounts: run.accounts, candidatePairs: run.candidatePairs, model: model.version, written,
    seconds: { generate: r3(prep.generateSeconds), ingest: r3(prep.ingest.seconds as number), ...run.seconds },
    cpuSeconds: run.cpuSeconds,
    peakRssMb: { resolve: Math.round(resolvePeak / 2 ** 20), process: Math.round(process.resourceUsage().maxRSS / 1024) },
    overall: { precision: r3(ev.pairwise.precision), recall: r3(ev.pairwise.recall), f1: r3(ev.pairwise.f1), purity: r3(ev.purity) },
    hard: { precision: r3(row('hard (same key or crypto)')?.precision), recall: r3(row('hard (same key or crypto)')?.recall), f1: r3(row('hard (same key or crypto)')?.f1) },
    hardObserved: { f1: r3(row('hard (observed in store)')?.f1) },
    nameOnly: { f1: r3(row('same-name-other-key')?.f1) },
    styleOnly: { precision: r3(row('style-only')?.precision), recall: r3(row('style-only')?.recall), f1: r3(row('style-only')?.f1) },
  }));
}

/**
 * What the run wrote, as digests: the proposed links (pair and score to 6 places) and the identities' member lists.
 * Equal digests mean an optimisation left the resolution itself unchanged, not just its accuracy figures.
 */
async function resolutionDigest(store: Store, agencyId: number): Promise<Record<string, string | number>> {
  const links = await sql<{ line: string }>`select vendor_a || ' ' || vendor_b || ' ' || round(score::numeric, 6) as line
    from links where agency_id = ${agencyId} and status = 'proposed' order by vendor_a, vendor_b`.execute(store.db);
  const groups = await sql<{ line: string }>`select string_agg(m.vendor_id::text, ' ' order by m.vendor_id) as line
    from identity_members m join identities i on i.id = m.identity_id where i.agency_id = ${agencyId}
    group by m.identity_id order by min(m.vendor_id)`.execute(store.db);
  const digest = (rows: Array<{ line: string }>) => createHash('sha256').update(rows.map((r) => r.line).join('\n'))
    .digest('hex').slice(0, 16);
  return { links: links.rows.length, linksSha256: digest(links.rows), identities: groups.rows.length,
    identitiesSha256: digest(groups.rows) };
}

/** Runs this file again as a child (own heap, own max RSS); returns its last stdout line parsed, if any. */
function child(args: string[]): Record<string, unknown> | null {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1] as string, '--seed', seed, '--scale', scale,
    ...(values.model ? ['--model', values.model] : []), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed (${r.status ?? r.signal})`);
  const last = r.stdout.trim().split('\n').pop();
  return last ? JSON.parse(last) as Record<string, unknown> : null;
}

if (values.stage === 'ingest') {
  await ingestStage(values.dir as string, Number(values.fraction));
} else if (values.stage === 'resolve') {
  await resolveStage(values.dir as string);
} else {
  const fractions = (values.fractions ?? values.fraction ?? '1').split(',').map(Number);
  for (const f of fractions) if (!(f > 0 && f <= 1)) throw new Error(`a fraction must be in (0, 1], got ${f}`);
  const base = values['dir-base'] ?? join(tmpdir(), `darkpatrol-link-bench-${seed}-${scale}`);
  const load = loadavg()[0] as number;
  const rows: Array<{ fraction: number; dir: string } & Record<string, unknown>> = [];
  for (const f of fractions) {
    const dir = `${base}-${f}`;
    if (!(values.reuse && existsSync(join(dir, 'ingest.json')))) child(['--stage', 'ingest', '--fraction', String(f), '--dir', dir]);
    else log(`reusing ${dir}`);
    const row = child(['--stage', 'resolve', '--dir', dir]) as Record<string, unknown>;
    log(`×${f}: ${JSON.stringify(row)}`);
    rows.push({ fraction: f, dir, ...row });
  }
  type Row = (typeof rows)[number] & { accounts: number; seconds: Record<string, number>; cpuSeconds: Record<string, number> };
  const growth: Record<string, Record<string, number | null>> = {};
  for (let i = 1; i < rows.length; i++) {
    const a = rows[i - 1] as Row;
    const b = rows[i] as Row;
    const n = b.accounts / a.accounts;
    const g: Record<string, number | null> = { accounts: r3(n) };
    for (const phase of ['load', 'prepare', 'blocking', 'scoring', 'clustering', 'resolve']) {
      for (const [kind, ta, tb] of [['wall', a.seconds[phase], b.seconds[phase]], ['cpu', a.cpuSeconds[phase], b.cpuSeconds[phase]]] as const) {
        if (ta === undefined || tb === undefined || ta <= 0 || tb <= 0) continue;
        g[`${phase}.${kind}Ratio`] = r3(tb / ta);
        g[`${phase}.${kind}Exponent`] = r3(Math.log(tb / ta) / Math.log(n));
      }
    }
    growth[`${a.fraction}→${b.fraction}`] = g;
  }
  console.log(JSON.stringify({ bench: 'link', seed, scale, loadAverageAtStart: r3(load), loadAverageAtEnd: r3(loadavg()[0]),
    runs: Object.fromEntries(rows.map(({ fraction, dir: _d, ...r }) => [`×${fraction}`, r])), growth }));
}
