import type { Kysely } from 'kysely';
import {
  aggregateRevenue,
  DEFAULT_REVENUE_OPTIONS,
  labelRevenueRows,
  observedSales,
  revenueSeriesOf,
  revenueTotalOf,
  selectSales,
  type ObservedSale,
  type RevenueGroup,
  type RevenueOptions,
  type RevenuePoint,
  type RevenueRow,
  type RevenueTotal,
  type SeriesBucket,
} from '../../analyse/index.ts';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { memoReport } from './memo.ts';
import { scopeKey, withVisibleRows } from './scope.ts';

export type { RevenuePoint, RevenueTotal } from '../../analyse/index.ts';

/**
 * The revenue model the API uses: src/analyse's defaults, the same as the CLI's `darkpatrol report …` defaults
 * (feedback rate 0.65 ±15%, 1.2 units per order, units from stock decrements). An agency that calibrated its own
 * rate on a seized database uses the CLI's options.
 */
export const API_REVENUE_OPTIONS: RevenueOptions = DEFAULT_REVENUE_OPTIONS;

/**
 * src/analyse's observed sales over every row the caller may see: the one computation behind every revenue figure
 * of the API and the console (dashboard series, profiles, reports, ranking, flows). Computed once per scope and
 * options and reused for REPORT_TTL_MS, so a profile, Top targets and the revenue report read the same sales —
 * with the same class medians and stock calibration — and so agree.
 */
export function visibleSales(db: Kysely<Database>, p: Principal, opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<ObservedSale[]> {
  return memoReport(db, `sales:${scopeKey(p)}:${JSON.stringify(opts)}`, () => withVisibleRows(db, p, (scoped) => observedSales(scoped, opts)));
}

/** Revenue over time of the visible sales (optionally of some accounts, one market, from a date), bucketed by the sale's day, week or month. */
export async function revenueSeries(
  db: Kysely<Database>,
  p: Principal,
  filter: { vendorIds?: number[]; marketId?: number; bucket: SeriesBucket; since?: Date },
  opts: RevenueOptions = API_REVENUE_OPTIONS,
): Promise<RevenuePoint[]> {
  if (filter.vendorIds?.length === 0) return [];
  return revenueSeriesOf(selectSales(await visibleSales(db, p, opts), filter), filter.bucket, opts);
}

/** A profile's revenue (some accounts): its total and its monthly series, from the same visible sales. */
export async function profileRevenue(db: Kysely<Database>, p: Principal, vendorIds: number[], opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<{ total: RevenueTotal; series: RevenuePoint[] }> {
  const sales = vendorIds.length ? selectSales(await visibleSales(db, p, opts), { vendorIds }) : [];
  return { total: revenueTotalOf(sales, opts), series: revenueSeriesOf(sales, 'month', opts) };
}

/** src/analyse's revenue estimate grouped one way (vendor, identity, ships_from, …), over the visible sales, labelled. */
export async function visibleRevenue(db: Kysely<Database>, p: Principal, by: RevenueGroup, opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<RevenueRow[]> {
  const sales = selectSales(await visibleSales(db, p, { ...opts, from: undefined }), { since: opts.from });
  const rows = aggregateRevenue(sales, by, opts);
  return withVisibleRows(db, p, (scoped) => labelRevenueRows(scoped, rows, by));
}
