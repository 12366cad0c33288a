import type { ObservedSale } from './sales.ts';
import { aggregateRevenue } from './revenue.ts';
import type { RevenueOptions } from './types.ts';

/** One bucket of a revenue series: the same aggregation as every revenue figure, over that bucket's sales. */
export interface RevenuePoint {
  /** First day of the bucket, YYYY-MM-DD (UTC; weeks start on Monday). */
  period: string;
  /** Feedback entries counted as sales (holding/placeholder listings excluded; feedback inside a stock-covered window is counted by the stock instead). */
  feedback: number;
  sales: number;
  usd: number;
  usdLow: number;
  usdHigh: number;
}

/** A revenue figure for a set of sales: what a profile, a report row or a ranking shows for the same sales. */
export interface RevenueTotal {
  feedback: number;
  sales: number;
  usd: number;
  usdLow: number;
  usdHigh: number;
}

export type SeriesBucket = 'day' | 'week' | 'month';

const round = (n: number) => Math.round(n * 100) / 100;

/** First day of the bucket holding `at`, as PostgreSQL's date_trunc would give it in UTC. */
export function bucketStart(at: Date, bucket: SeriesBucket): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), bucket === 'month' ? 1 : at.getUTCDate()));
  if (bucket === 'week') d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/**
 * The sales of these accounts (`vendorIds`; all when absent) on this market, from `since`: the one selection every
 * surface applies to observedSales' rows before aggregating.
 */
export function selectSales(sales: readonly ObservedSale[], filter: { vendorIds?: readonly number[]; marketId?: number; since?: Date }): ObservedSale[] {
  const ids = filter.vendorIds ? new Set(filter.vendorIds) : null;
  return sales.filter((s) => (!ids || (s.vendorId !== null && ids.has(s.vendorId))) && (filter.marketId === undefined || s.marketId === filter.marketId) && (!filter.since || s.at >= filter.since));
}

/** Revenue over time: observed sales bucketed by the day, week or month of the sale, each bucket aggregated by aggregateRevenue. */
export function revenueSeriesOf(sales: readonly ObservedSale[], bucket: SeriesBucket, opts: RevenueOptions): RevenuePoint[] {
  const bucketed = sales.map((s) => ({ ...s, month: bucketStart(s.at, bucket) }));
  return aggregateRevenue(bucketed, 'month', opts)
    .map((r) => ({ period: r.key, feedback: r.feedback, sales: round(r.sales.value), usd: round(r.revenueUsd.value), usdLow: round(r.revenueUsd.low), usdHigh: round(r.revenueUsd.high) }))
    .sort((a, b) => a.period.localeCompare(b.period));
}

/** All these sales as one revenue figure (aggregateRevenue with a single group). */
export function revenueTotalOf(sales: readonly ObservedSale[], opts: RevenueOptions): RevenueTotal {
  const row = aggregateRevenue(sales.map((s) => ({ ...s, month: 'all' })), 'month', opts)[0];
  return row ? { feedback: row.feedback, sales: round(row.sales.value), usd: round(row.revenueUsd.value), usdLow: round(row.revenueUsd.low), usdHigh: round(row.revenueUsd.high) } : { feedback: 0, sales: 0, usd: 0, usdLow: 0, usdHigh: 0 };
}
