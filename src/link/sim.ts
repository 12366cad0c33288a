/** Sim-driven training and evaluation: generate a world, ingest it, then fit the model or resolve and score. */
import { writeFileSync } from 'node:fs';
import { openStore, type Store } from '../store/index.ts';
import { generateWorld, type ScalePreset, type World } from '../sim/index.ts';
import { ingestWorld, type IngestReport } from '../sim/ingest/index.ts';
import { evaluateLinking, type LinkEvaluation } from './evaluate.ts';
import { loadAccounts } from './load.ts';
import { loadModel, MODEL_PATH, pairFeatures, type LinkModel } from './model.ts';
import { candidatePairs } from './blocking.ts';
import { prepareAccounts, type Prepared } from './prepare.ts';
import { runLinking, loadDecisions, type LinkRunReport } from './run.ts';
import { fitLogistic, modelFrom, type LabelledPair } from './train.ts';

export interface SimLinkOptions {
  seed: string;
  scale: ScalePreset;
  /** Use this store (else a fresh in-memory PGlite). */
  store?: Store;
  onProgress?: (line: string) => void;
}

async function prepareWorld(opts: SimLinkOptions): Promise<{ store: Store; own: boolean; world: World; agencyId: number;
  ingest: IngestReport; seconds: { generate: number; ingest: number } }> {
  const say = opts.onProgress ?? (() => undefined);
  let t = performance.now();
  say(`generating world seed=${opts.seed} scale=${opts.scale}`);
  const world = generateWorld({ seed: opts.seed, scale: opts.scale });
  const generate = (performance.now() - t) / 1000;
  const own = !opts.store;
  const store = opts.store ?? await openStore({ dataDir: 'memory://' });
  const code = `SIM-${Date.now().toString(36).toUpperCase()}`.slice(0, 30);
  const agencyId = (await store.db.insertInto('agencies').values({ code, name: 'Sim evaluation', country: 'NL' })
    .returning('id').executeTakeFirstOrThrow()).id;
  t = performance.now();
  say(`ingesting ${world.accounts.length} accounts, ${world.listings.length} listings`);
  const ingest = await ingestWorld(store, world, { agencyId, feedback: false, onProgress: (s, n) => say(`  ingest ${s}: ${n}`) });
  return { store, own, world, agencyId, ingest, seconds: { generate, ingest: (performance.now() - t) / 1000 } };
}

export interface SimEvalResult {
  seed: string;
  scale: ScalePreset;
  model: string;
  accounts: number;
  listings: number;
  seconds: { generate: number; ingest: number; resolve: number; write: number };
  run: LinkRunReport;
  evaluation: LinkEvaluation;
  peakRssMb: number;
}

/** Generates, ingests, resolves and scores against ground truth. Refuses the model's own training seed. */
export async function evaluateOnSim(opts: SimLinkOptions & { model?: LinkModel; allowTrainingSeed?: boolean }): Promise<SimEvalResult> {
  const model = opts.model ?? loadModel();
  if (!opts.allowTrainingSeed && model.trainedOn.seed === opts.seed) {
    throw new Error(`seed ${opts.seed} is the seed model ${model.version} was trained on; evaluate on another seed`);
  }
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 200);
  try {
    const w = await prepareWorld(opts);
    try {
      opts.onProgress?.('resolving');
      const run = await runLinking(w.store, { agencyId: w.agencyId, model });
      const evaluation = await evaluateLinking(w.store.db, w.world, w.agencyId);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { seed: opts.seed, scale: opts.scale, model: model.version, accounts: w.ingest.accounts, listings: w.ingest.listings,
        seconds: { ...w.seconds, resolve: run.seconds.resolve as number, write: run.seconds.write as number }, run, evaluation,
        peakRssMb: Math.round(peak / 2 ** 20) };
    } finally {
      if (w.own) await w.store.close();
    }
  } finally {
    clearInterval(timer);
  }
}

export interface TrainResult {
  model: LinkModel;
  pairs: number;
  positives: number;
  logLoss: number;
  path?: string;
}

/** Fits the model on a training world's candidate pairs (plus the store's analyst decisions when given). */
export async function trainOnSim(opts: SimLinkOptions & { out?: string; decisionsFrom?: { store: Store; agencyId: number };
  version?: string }): Promise<TrainResult> {
  const w = await prepareWorld(opts);
  try {
    const accounts = await loadAccounts(w.store.db, w.agencyId);
    const prepared = prepareAccounts(accounts);
    const { pairs } = candidatePairs(prepared);
    const idOfVendor = new Map<number, string>();
    const rows = await w.store.db.selectFrom('vendors').select(['id', 'external_id']).where('agency_id', '=', w.agencyId).execute();
    const identityOf = new Map(w.world.accounts.map((a) => [a.id, a.identityId]));
    for (const r of rows) idOfVendor.set(r.id, identityOf.get(r.external_id as string) as string);
    const data: LabelledPair[] = pairs.map(([a, b]) => {
      const pa = prepared[a] as Prepared;
      const pb = prepared[b] as Prepared;
      return { x: pairFeatures(pa, pb).x, y: idOfVendor.get(pa.data.vendorId) === idOfVendor.get(pb.data.vendorId) ? 1 : 0 };
    });
    let decisions = 0;
    if (opts.decisionsFrom) {
      // Analysts' rulings from a real store are extra labels: the pairs' features are computed in that store.
      const { store, agencyId } = opts.decisionsFrom;
      const dec = await loadDecisions(store.db, agencyId);
      const other = prepareAccounts(await loadAccounts(store.db, agencyId));
      const byVendor = new Map(other.map((p) => [p.data.vendorId, p]));
      for (const [list, y] of [[dec.must, 1], [dec.cannot, 0]] as const) {
        for (const [va, vb] of list) {
          const pa = byVendor.get(va);
          const pb = byVendor.get(vb);
          if (!pa || !pb) continue;
          data.push({ x: pairFeatures(pa, pb).x, y, weight: 5 });
          decisions++;
        }
      }
    }
    const fit = fitLogistic(data);
    const positives = data.filter((d) => d.y === 1).length;
    const model = modelFrom(fit, opts.version ?? `link-model/${new Date().toISOString().slice(0, 10)}-${opts.scale}-${opts.seed}`,
      { seed: opts.seed, scale: opts.scale, pairs: data.length, positives, ...(opts.decisionsFrom ? { decisions } : {}) });
    if (opts.out) writeFileSync(opts.out, `${JSON.stringify(model, null, 2)}\n`);
    return { model, pairs: data.length, positives, logLoss: fit.logLoss, ...(opts.out ? { path: opts.out } : {}) };
  } finally {
    if (w.own) await w.store.close();
  }
}

export { MODEL_PATH };
