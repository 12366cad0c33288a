import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
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
      return s.shipsFrom ?? 'unknown';
    case 'month':
      return s.month;
  }
}

/** Revenue estimated from feedback, grouped one way, highest first. */
export async function estimateRevenue(db: Kysely<Database>, by: RevenueGroup, opts: RevenueOptions): Promise<RevenueRow[]> {
  const sales = await observedSales(db, opts);
  return aggregateRevenue(sales, by, opts);
}

export function aggregateRevenue(sales: readonly ObservedSale[], by: RevenueGroup, opts: RevenueOptions): RevenueRow[] {
  const groups = new Map<string, { n: number; usd: number }>();
  for (const s of sales) {
    if (s.holding || s.priceUsd === null) continue;
    const key = groupKey(s, by);
    if (key === null) continue;
    const g = groups.get(key) ?? { n: 0, usd: 0 };
    g.n++;
    g.usd += s.priceUsd;
    groups.set(key, g);
  }
  const range = opts.feedbackRateRange ?? [opts.feedbackRate, opts.feedbackRate];
  const rows: RevenueRow[] = [];
  for (const [key, g] of groups) {
    const sales = scaleByFeedbackRate(g.n, opts.feedbackRate, range);
    const avg = (g.usd / g.n) * (opts.unitsPerSale ?? 1);
    rows.push({
      key,
      label: key,
      feedback: g.n,
      sales,
      revenueUsd: { value: sales.value * avg, low: sales.low * avg, high: sales.high * avg },
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
