import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { placeKey, placeOf } from './places.ts';
import { observedSales, type ObservedSale } from './sales.ts';
import type { Estimate, RevenueGroup, RevenueOptions, RevenueRow } from './types.ts';

const Z95 = 1.96;

/**
 * Scales observed (feedback) counts up to sales. With n feedback entries and feedback rate r, sales ≈ n / r. The
 * interval combines binomial sampling (var n(1−r)/r²) with the plausible range of r.
 */
export function scaleByFeedbackRate(observed: number, rate: number, range: [number, number] = [rate, rate]): Estimate {
  if (!(rate > 0 && rate <= 1)) throw new RangeError(`feedback rate must be in (0, 1], got ${rate}`);
  const [lowRate, highRate] = [Math.min(...range), Math.max(...range)];
  const sd = (r: number) => Math.sqrt(observed * (1 - r)) / r;
  return {
    value: observed / rate,
    low: Math.max(observed, observed / highRate - Z95 * sd(highRate)),
    high: observed / lowRate + Z95 * sd(lowRate),
  };
}

function groupKey(s: ObservedSale, by: RevenueGroup): string | null {
  switch (by) {
    case 'vendor':
      return s.vendorId === null ? null : String(s.vendorId);
    case 'identity':
      return s.identityId !== null ? `i${s.identityId}` : s.vendorId !== null ? `v${s.vendorId}` : null;
    case 'market':
      return String(s.marketId);
    case 'substance_class':
      return s.substanceClass ?? 'unclassified';
    case 'ships_from':
      // One row per place however the markets spell it ('US', 'USA', 'United States').
      return s.shipsFrom === null ? 'unknown' : placeKey(s.shipsFrom);
    case 'month':
      return s.month;
  }
}

/** Revenue estimated from feedback, grouped one way, highest first. */
export async function estimateRevenue(db: Kysely<Database>, by: RevenueGroup, opts: RevenueOptions): Promise<RevenueRow[]> {
  const sales = await observedSales(db, opts);
  return labelRevenueRows(db, aggregateRevenue(sales, by, opts), by);
}

/** Readable labels for id-keyed groups (one array parameter each, whatever the number of groups): "handle @ market" for accounts, the identity's label, the market's name. */
export async function labelRevenueRows(db: Kysely<Database>, rows: RevenueRow[], by: RevenueGroup): Promise<RevenueRow[]> {
  const ids = (prefix: string) => rows.flatMap((r) => (r.key.startsWith(prefix) && /^\d+$/.test(r.key.slice(prefix.length)) ? [Number(r.key.slice(prefix.length))] : []));
  const labels = new Map<string, string>();
  const vendorIds = by === 'vendor' ? ids('') : by === 'identity' ? ids('v') : [];
  if (vendorIds.length) {
    const vendors = await db.selectFrom('vendors as v').innerJoin('markets as m', 'm.id', 'v.market_id').select(['v.id', 'v.handle', 'm.name']).where(sql<boolean>`v.id = any(${vendorIds}::int[])`).execute();
    for (const v of vendors) labels.set(`${by === 'identity' ? 'v' : ''}${v.id}`, `${v.handle} @ ${v.name}`);
  }
  const identityIds = by === 'identity' ? ids('i') : [];
  if (identityIds.length) {
    for (const i of await db.selectFrom('identities').select(['id', 'label']).where(sql<boolean>`id = any(${identityIds}::int[])`).execute()) labels.set(`i${i.id}`, i.label || `identity ${i.id}`);
  }
  const marketIds = by === 'market' ? ids('') : [];
  if (marketIds.length) {
    for (const m of await db.selectFrom('markets').select(['id', 'name']).where(sql<boolean>`id = any(${marketIds}::int[])`).execute()) labels.set(String(m.id), m.name);
  }
  if (by === 'ships_from') for (const r of rows) labels.set(r.key, placeOf(r.key).name);
  return labels.size ? rows.map((r) => ({ ...r, label: labels.get(r.key) ?? r.label })) : rows;
}

export function aggregateRevenue(sales: readonly ObservedSale[], by: RevenueGroup, opts: RevenueOptions): RevenueRow[] {
  // Plain feedback entries (n, usd) are scaled here; observations that carry their units are already scaled.
  const groups = new Map<string, { n: number; usd: number; feedback: number; units: number; unitsUsd: number; fbUsd: number; variance: number }>();
  const unitsPerSale = opts.unitsPerSale ?? 1;
  for (const s of sales) {
    if (s.holding || s.priceUsd === null) continue;
    const key = groupKey(s, by);
    if (key === null) continue;
    const g = groups.get(key) ?? { n: 0, usd: 0, feedback: 0, units: 0, unitsUsd: 0, fbUsd: 0, variance: 0 };
    if (s.source === 'feedback') g.feedback++;
    if (s.units === undefined) {
      g.n++;
      g.usd += s.priceUsd;
    } else {
      g.units += s.units;
      g.unitsUsd += s.units * s.priceUsd;
      if (s.source === 'feedback') {
        // One feedback entry stands for k units: binomial sampling with rate r = unitsPerSale / k.
        const r = Math.min(1, unitsPerSale / s.units);
        g.fbUsd += s.units * s.priceUsd;
        g.variance += (s.units * s.priceUsd) ** 2 * (1 - r);
      }
    }
    groups.set(key, g);
  }
  const range = opts.feedbackRateRange ?? [opts.feedbackRate, opts.feedbackRate];
  const [lowRate, highRate] = [Math.min(...range), Math.max(...range)];
  const rows: RevenueRow[] = [];
  for (const [key, g] of groups) {
    const plain = g.n > 0 ? scaleByFeedbackRate(g.n, opts.feedbackRate, range) : { value: 0, low: 0, high: 0 };
    const avg = g.n > 0 ? (g.usd / g.n) * unitsPerSale : 0;
    // Scaled feedback carries the calibration's uncertainty too (the feedback-rate range, relative).
    const sd = Math.sqrt(g.variance);
    const unitsLow = g.unitsUsd - g.fbUsd + Math.max(0, g.fbUsd * (opts.feedbackRate / highRate) - Z95 * sd);
    const unitsHigh = g.unitsUsd - g.fbUsd + g.fbUsd * (opts.feedbackRate / lowRate) + Z95 * sd;
    const sales = g.units / unitsPerSale;
    const salesScale = g.unitsUsd > 0 ? sales / g.unitsUsd : 0;
    rows.push({
      key,
      label: key,
      feedback: g.feedback,
      sales: { value: plain.value + sales, low: plain.low + unitsLow * salesScale, high: plain.high + unitsHigh * salesScale },
      revenueUsd: { value: plain.value * avg + g.unitsUsd, low: plain.low * avg + unitsLow, high: plain.high * avg + unitsHigh },
    });
  }
  return rows.sort((a, b) => b.revenueUsd.value - a.revenueUsd.value);
}

/**
 * The feedback rate of a market whose database was seized: feedback seen (crawled) divided by orders in the dump,
 * over the same period. This is how the Hansa/WSM data calibrates estimates for every other market.
 */
export async function calibrateFeedbackRate(db: Kysely<Database>, marketIds: { crawled: number; seized: number }): Promise<{ rate: number; feedback: number; orders: number } | null> {
  const f = await db.selectFrom('feedback').select((eb) => eb.fn.countAll<number>().as('n')).where('market_id', '=', marketIds.crawled).executeTakeFirstOrThrow();
  const o = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('market_id', '=', marketIds.seized)
    .where((eb) => eb.or([eb('status', 'is', null), eb('status', 'not in', ['refunded', 'cancelled', 'canceled', 'disputed'])]))
    .executeTakeFirstOrThrow();
  if (o.n === 0) return null;
  return { rate: Math.min(1, f.n / o.n), feedback: f.n, orders: o.n };
}
