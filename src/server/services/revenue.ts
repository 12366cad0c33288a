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

/**
 * The positions of each account's sales in one visibleSales result, built once per result (the memo's array is the
 * key: a refreshed computation is a new array and gets its own index). Not a second computation: an index of the one.
 */
const byVendorOf = new WeakMap<readonly ObservedSale[], Map<number, number[]>>();

/**
 * `selectSales(sales, { vendorIds })` read through the per-account index: the same sales in the same order (the
 * positions of several accounts are merged in array order), without a pass over every visible sale per request.
 */
export function salesOfVendors(sales: readonly ObservedSale[], vendorIds: readonly number[]): ObservedSale[] {
  let index = byVendorOf.get(sales);
  if (!index) {
    index = new Map();
    for (let i = 0; i < sales.length; i++) {
      const v = sales[i]!.vendorId;
      if (v === null) continue;
      const at = index.get(v);
      if (at) at.push(i);
      else index.set(v, [i]);
    }
    byVendorOf.set(sales, index);
  }
  const ids = [...new Set(vendorIds)];
  if (ids.length === 1) return (index.get(ids[0]!) ?? []).map((i) => sales[i]!);
  const positions = ids.flatMap((v) => index.get(v) ?? []).sort((a, b) => a - b);
  return positions.map((i) => sales[i]!);
}

/** Revenue over time of the visible sales (optionally of some accounts, one market, from a date), bucketed by the sale's day, week or month. */
export async function revenueSeries(
  db: Kysely<Database>,
  p: Principal,
  filter: { vendorIds?: number[]; marketId?: number; bucket: SeriesBucket; since?: Date },
  opts: RevenueOptions = API_REVENUE_OPTIONS,
): Promise<RevenuePoint[]> {
  if (filter.vendorIds?.length === 0) return [];
  const all = await visibleSales(db, p, opts);
  const sales = filter.vendorIds ? selectSales(salesOfVendors(all, filter.vendorIds), { marketId: filter.marketId, since: filter.since }) : selectSales(all, filter);
  return revenueSeriesOf(sales, filter.bucket, opts);
}

/** A profile's revenue (some accounts): its total and its monthly series, from the same visible sales (read through the per-account index). */
export async function profileRevenue(db: Kysely<Database>, p: Principal, vendorIds: number[], opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<{ total: RevenueTotal; series: RevenuePoint[] }> {
  const sales = vendorIds.length ? salesOfVendors(await visibleSales(db, p, opts), vendorIds) : [];
  return { total: revenueTotalOf(sales, opts), series: revenueSeriesOf(sales, 'month', opts) };
}

/** src/analyse's revenue estimate grouped one way (vendor, identity, ships_from, …), over the visible sales, labelled. */
export async function visibleRevenue(db: Kysely<Database>, p: Principal, by: RevenueGroup, opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<RevenueRow[]> {
  const sales = selectSales(await visibleSales(db, p, { ...opts, from: undefined }), { since: opts.from });
  const rows = aggregateRevenue(sales, by, opts);
  return withVisibleRows(db, p, (scoped) => labelRevenueRows(scoped, rows, by));
}
