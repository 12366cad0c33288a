import { sql, type Kysely } from 'kysely';
import { aggregateRevenue, estimateRevenue, observedSales, type RevenueOptions, type RevenueRow } from '../../analyse/index.ts';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { memoReport } from './memo.ts';
import { scopeKey, withVisibleRows } from './scope.ts';

/**
 * The revenue model the API uses: the CLI's defaults (`darkpatrol report … --feedback-rate 0.65 --units-per-sale 1.2`,
 * interval from ±15% on the rate). An agency that calibrated its own rate on a seized database uses the CLI.
 */
export const API_REVENUE_OPTIONS: RevenueOptions = { feedbackRate: 0.65, feedbackRateRange: [0.65 * 0.85, 0.65 * 1.15], unitsPerSale: 1.2 };

export interface RevenuePoint {
  /** First day of the bucket, YYYY-MM-DD. */
  period: string;
  /** Feedback entries counted as sales (holding/placeholder listings excluded). */
  feedback: number;
  /** Estimated sales and revenue (src/analyse: feedback scaled by the feedback rate), with the 95% interval. */
  sales: number;
  usd: number;
  usdLow: number;
  usdHigh: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

/**
 * Revenue over time as src/analyse estimates it, over the rows the caller may see: its observed sales (feedback ×
 * price at the time) are bucketed by day, week or month of the sale and aggregated by its aggregateRevenue.
 */
export async function revenueSeries(
  db: Kysely<Database>,
  p: Principal,
  filter: { vendorIds?: number[]; marketId?: number; bucket: 'day' | 'week' | 'month'; since?: Date },
  opts: RevenueOptions = API_REVENUE_OPTIONS,
): Promise<RevenuePoint[]> {
  if (filter.vendorIds?.length === 0) return [];
  if (filter.vendorIds && !filter.vendorIds.every(Number.isSafeInteger)) throw new Error('vendor ids must be integers');
  if (filter.marketId !== undefined && !Number.isSafeInteger(filter.marketId)) throw new Error('market id must be an integer');
  // Only the feedback asked about is read. For a profile (vendorIds) the price snapshots are narrowed to the
  // listings of those accounts and of their feedback too: src/analyse then computes its holding-listing medians
  // over the profile's own listings instead of the whole store (a full scan of every snapshot per profile view,
  // seconds at AlphaBay scale). Dashboard-wide series (no vendorIds) use the global medians, as the CLI does.
  const ids = filter.vendorIds ? sql.join(filter.vendorIds.map((id) => sql.lit(id))) : null;
  const conds = [
    ...(ids ? [sql<boolean>`vendor_id in (${ids})`] : []),
    ...(filter.marketId !== undefined ? [sql<boolean>`market_id = ${sql.lit(filter.marketId)}`] : []),
  ];
  const narrow = {
    ...(conds.length ? { feedback: sql<boolean>`${sql.join(conds, sql` and `)}` } : {}),
    ...(ids ? { listing_snapshots: sql<boolean>`listing_id in (select l.id from listings l where l.vendor_id in (${ids}) union select f.listing_id from feedback f where f.vendor_id in (${ids}))` } : {}),
  };
  const run = () => withVisibleRows(
    db,
    p,
    async (scoped) => {
      const sales = await observedSales(scoped, { ...opts, from: filter.since ?? opts.from });
      // The sale date observedSales uses (feedback date, else the listing's last sighting), bucketed as asked.
      const periods = await sql<{ id: number; period: string }>`
        select f.id, to_char(date_trunc(${filter.bucket}, coalesce(f.left_at, l.last_seen) at time zone 'UTC'), 'YYYY-MM-DD') as period
        from feedback f left join listings l on l.id = f.listing_id`.execute(scoped);
      const periodOf = new Map(periods.rows.map((r) => [r.id, r.period]));
      const bucketed = sales.flatMap((s) => {
        const period = periodOf.get(s.feedbackId);
        return period ? [{ ...s, month: period }] : [];
      });
      return aggregateRevenue(bucketed, 'month', opts)
        .map((r) => ({ period: r.key, feedback: r.feedback, sales: round(r.sales.value), usd: round(r.revenueUsd.value), usdLow: round(r.revenueUsd.low), usdHigh: round(r.revenueUsd.high) }))
        .sort((a, b) => a.period.localeCompare(b.period));
    },
    narrow,
  );
  // Dashboard-wide series are the expensive ones (every visible sale); profiles are narrowed and cheap.
  if (filter.vendorIds) return run();
  const since = filter.since ? Math.floor(filter.since.getTime() / 60_000) : 'all';
  return memoReport(db, `series:${scopeKey(p)}:${filter.bucket}:${filter.marketId ?? '*'}:${since}:${JSON.stringify(opts)}`, run);
}

/** src/analyse's revenue estimate grouped one way (vendor, ships_from, …), over the rows the caller may see. */
export function visibleRevenue(db: Kysely<Database>, p: Principal, by: Parameters<typeof estimateRevenue>[1], opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<RevenueRow[]> {
  const from = opts.from ? Math.floor(opts.from.getTime() / 60_000) : 'all';
  return memoReport(db, `revenue:${scopeKey(p)}:${by}:${from}:${JSON.stringify(opts)}`, () => withVisibleRows(db, p, (scoped) => estimateRevenue(scoped, by, opts)));
}
