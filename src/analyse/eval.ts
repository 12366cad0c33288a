import type { Store } from '../store/index.ts';
import { buildGroundTruth, dayToUnix, generateWorld, type GroundTruth, type World, type WorldOptions } from '../sim/world/index.ts';
import { ingestWorld } from '../sim/ingest/index.ts';
import { takedownMigration } from './migration.ts';
import { rankTargets, type RankingWeights, DEFAULT_WEIGHTS } from './ranking.ts';
import { estimateRevenue } from './revenue.ts';
import { calibrateFromStock } from './stock.ts';
import type { RevenueOptions } from './types.ts';

/** How often the evaluation's simulated crawler re-visits each listing page. */
export const REVISIT_DAYS = 7;

export interface AnalyseEvalOptions {
  seed: string | number;
  scale?: WorldOptions['scale'];
  /** A different seed whose world calibrates the feedback rate (never the evaluated world's own truth). */
  calibrationSeed?: string | number;
  weights?: RankingWeights;
  /** Resolves identities after ingestion (the link stage); without it every account stands alone. */
  link?: (store: Store, agencyId: number) => Promise<void>;
  onProgress?: (stage: string) => void;
}

export interface AnalyseEvalReport {
  seed: string;
  /**
   * The fallback feedback rate and units per order (from a training world), and the units per feedback entry each
   * market's own stock decrements gave (null: too little data, the fallback applies).
   */
  feedbackRate: { value: number; unitsPerSale: number; from: string; unitsPerFeedback: Record<string, number | null> };
  revenue: { vendors: number; within15: number; share: number; medianAbsError: number; target: number };
  /**
   * named: the true destination is among the markets the report says the identity was active on after the closure;
   * firstNamed: it is the report's first (earliest-active) destination.
   */
  migration: { migrated: number; named: number; share: number; target: number; firstNamed: number };
  ranking: { overlap: number; of: number; target: number };
}

/** The visible-feedback rate of a training world: visible feedback entries per finalised sale. */
export function visibleFeedbackRate(truth: GroundTruth): number {
  let sales = 0;
  let visible = 0;
  for (const r of Object.values(truth.revenue.byAccount)) {
    sales += r.sales;
    visible += r.visibleFeedback;
  }
  return sales ? visible / sales : 1;
}

/** Average units per finalised order in a training world (what a seized database's orders give in practice). */
export function unitsPerSale(world: World): number {
  let units = 0;
  let n = 0;
  for (const s of world.sales) {
    if (s.status !== 'finalized') continue;
    units += s.units;
    n++;
  }
  return n ? units / n : 1;
}

/** Writes the closures the crawler would have observed (seizure banner, market gone) as lifecycle events. */
export async function recordClosures(store: Store, world: World, agencyId: number): Promise<void> {
  for (const m of world.markets) {
    if (m.closeDay === undefined || m.fate === 'alive') continue;
    const market = await store.db.selectFrom('markets').select('id').where('slug', '=', m.slug).where('agency_id', '=', agencyId).executeTakeFirst();
    if (!market) continue;
    await store.db
      .insertInto('market_events')
      .values({ agency_id: agencyId, market_id: market.id, kind: m.fate === 'seized' ? 'seized' : 'exit_scam', observed_at: new Date(dayToUnix(m.closeDay) * 1000), detail: 'sim: observed closure' })
      .execute();
    await store.db.updateTable('markets').set({ status: m.fate === 'seized' ? 'seized' : 'exit_scam' }).where('id', '=', market.id).execute();
  }
}

/**
 * Scores the analysis stage against the simulator's ground truth: revenue per vendor (≥ 50 sales) within ±15%,
 * destinations named for migrated identities, and overlap of the ranking's top 20 with the true top 20 by
 * revenue × harm.
 */
export async function evaluateAnalysis(store: Store, opts: AnalyseEvalOptions): Promise<AnalyseEvalReport> {
  const progress = opts.onProgress ?? (() => undefined);
  progress('generating world');
  const world = generateWorld({ seed: opts.seed, scale: opts.scale });
  const truth = buildGroundTruth(world);
  const calibrationSeed = opts.calibrationSeed ?? `${opts.seed}-calibration`;
  const calibrationWorld = generateWorld({ seed: calibrationSeed, scale: opts.scale });
  const rate = visibleFeedbackRate(buildGroundTruth(calibrationWorld));
  const units = unitsPerSale(calibrationWorld);
  const revenueOpts: RevenueOptions = { feedbackRate: rate, feedbackRateRange: [rate * 0.85, Math.min(1, rate * 1.15)], unitsPerSale: units, useStock: true };

  const agency = await store.db.insertInto('agencies').values({ code: 'EVAL', name: 'Evaluation', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
  progress('ingesting world');
  // A crawler that re-visits every listing weekly (price and stock each time) and classifies titles itself.
  const ingest = await ingestWorld(store, world, { agencyId: agency.id, posts: true, revisitDays: REVISIT_DAYS, classify: true });
  await recordClosures(store, world, agency.id);
  if (opts.link) {
    progress('linking identities');
    await opts.link(store, agency.id);
  }

  progress('estimating revenue');
  const slugOf = new Map((await store.db.selectFrom('markets').select(['id', 'slug']).execute()).map((m) => [m.id, m.slug]));
  const calibration = Object.fromEntries((await calibrateFromStock(store.db, revenueOpts))
    .map((c) => [slugOf.get(c.marketId) ?? String(c.marketId), c.unitsPerFeedback]));
  const perVendor = new Map((await estimateRevenue(store.db, 'vendor', revenueOpts)).map((r) => [Number(r.key), r.revenueUsd.value]));
  const errors: number[] = [];
  let within = 0;
  for (const [accountId, row] of Object.entries(truth.revenue.byAccount)) {
    if (row.sales < 50) continue;
    const vendorId = ingest.vendorIdOf.get(accountId);
    const est = vendorId !== undefined ? (perVendor.get(vendorId) ?? 0) : 0;
    const err = Math.abs(est - row.revenueUsd) / row.revenueUsd;
    errors.push(err);
    if (err <= 0.15) within++;
  }
  errors.sort((a, b) => a - b);

  progress('tracing migration');
  const accountOfVendor = new Map([...ingest.vendorIdOf].map(([a, v]) => [v, a]));
  const truthAccount = new Map(truth.accounts.map((a) => [a.accountId, a]));
  let migrated = 0;
  let named = 0;
  let firstNamed = 0;
  const reports = new Map<string, Awaited<ReturnType<typeof takedownMigration>>>();
  for (const m of truth.migrations) {
    if (m.toMarket === null) continue;
    migrated++;
    let report = reports.get(m.fromMarket);
    if (!report) {
      report = await takedownMigration(store.db, m.fromMarket);
      reports.set(m.fromMarket, report);
    }
    const fromVendor = ingest.vendorIdOf.get(m.fromAccountId);
    const found = report.identities.find((i) => i.fromVendorId === fromVendor);
    // Named: the report lists the true destination among the markets the identity was active on afterwards.
    if (found && m.toMarket !== null && found.activeOn.includes(m.toMarket)) named++;
    if (found?.toMarket === m.toMarket) firstNamed++;
  }

  progress('ranking targets');
  const ranked = await rankTargets(store.db, revenueOpts, opts.weights ?? DEFAULT_WEIGHTS, 20);
  const harm = new Map(truth.identities.map((i) => [i.identityId, i.harmScore]));
  const trueTop = Object.entries(truth.revenue.byIdentity)
    .map(([id, r]) => ({ id, score: r.revenueUsd * (harm.get(id) ?? 0) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 20)
    .map((x) => x.id);
  const identityOfKey = async (key: string): Promise<string | null> => {
    const vendorIds = key.startsWith('i')
      ? (await store.db.selectFrom('identity_members').select('vendor_id').where('identity_id', '=', Number(key.slice(1))).execute()).map((r) => r.vendor_id)
      : [Number(key.slice(1))];
    const votes = new Map<string, number>();
    for (const v of vendorIds) {
      const acc = truthAccount.get(accountOfVendor.get(v) ?? '');
      if (acc) votes.set(acc.identityId, (votes.get(acc.identityId) ?? 0) + 1);
    }
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
  };
  const ours = new Set<string>();
  for (const r of ranked) {
    const id = await identityOfKey(r.key);
    if (id) ours.add(id);
  }
  const overlap = trueTop.filter((id) => ours.has(id)).length;

  return {
    seed: String(opts.seed),
    feedbackRate: { value: rate, unitsPerSale: units, from: `training world seed ${calibrationSeed}`, unitsPerFeedback: calibration },
    revenue: { vendors: errors.length, within15: within, share: errors.length ? within / errors.length : 0, medianAbsError: errors[Math.floor(errors.length / 2)] ?? 0, target: 0.9 },
    migration: { migrated, named, share: migrated ? named / migrated : 0, target: 0.9, firstNamed },
    ranking: { overlap, of: trueTop.length, target: 15 },
  };
}
