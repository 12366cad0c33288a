import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { isHolding, UNIT_PRICE_MEDIANS } from './holding.ts';
import { combineWithStock } from './stock.ts';
import type { RevenueOptions } from './types.ts';

/**
 * One observation of sales: a feedback entry read as one sale, priced at its listing's price when the feedback was
 * left; or (with `useStock`) the units a listing's stock fell by between two crawler visits.
 */
export interface ObservedSale {
  /** The feedback row; for a stock observation, minus the id of the snapshot that showed the lower stock. */
  feedbackId: number;
  source: 'feedback' | 'stock';
  /** When the feedback was left, or the visit that saw the stock fall. */
  at: Date;
  /**
   * Units of the listing this observation stands for, already scaled (stock: the decrement; feedback: the market's
   * units per feedback entry). Absent: a plain feedback entry, scaled by `feedbackRate` and `unitsPerSale`.
   */
  units?: number;
  vendorId: number | null;
  identityId: number | null;
  marketId: number;
  listingId: number | null;
  substanceClass: string | null;
  substance: string | null;
  shipsFrom: string | null;
  month: string;
  priceUsd: number | null;
  holding: boolean;
}

/**
 * Every feedback entry as a sale at the price of its listing's latest snapshot taken on or before the feedback
 * (else the earliest one after it). Duplicate feedback is already collapsed by its content key at save time.
 * Listings priced far above their class median are flagged as holding/placeholder listings.
 */
export async function observedSales(db: Kysely<Database>, opts: Omit<RevenueOptions, 'feedbackRate'> & Partial<Pick<RevenueOptions, 'feedbackRate'>>): Promise<ObservedSale[]> {
  if (!opts.useStock) return feedbackSales(db, opts);
  // Stock windows need every feedback entry of a listing, so the period filter applies to the combined result.
  const all = await feedbackSales(db, { ...opts, from: undefined, to: undefined });
  const combined = await combineWithStock(db, all, opts);
  return combined.filter((s) => (!opts.from || s.at >= opts.from) && (!opts.to || s.at < opts.to));
}

/** Every feedback entry as one plain (unscaled) sale. */
export async function feedbackSales(db: Kysely<Database>, opts: Pick<RevenueOptions, 'from' | 'to' | 'agencyIds' | 'outlierFactor'>): Promise<ObservedSale[]> {
  const factor = opts.outlierFactor ?? 20;
  const rows = await sql<{
    feedback_id: number;
    vendor_id: number | null;
    identity_id: number | null;
    market_id: number;
    listing_id: number | null;
    substance_class: string | null;
    substance: string | null;
    ships_from: string | null;
    month: string;
    at: Date;
    price_usd: number | null;
    qty: number;
    class_median: number | null;
  }>`
    with sale as (
      select f.id as feedback_id, coalesce(f.vendor_id, l.vendor_id) as vendor_id, f.market_id, f.listing_id,
             l.substance_class, l.substance, coalesce(f.left_at, l.last_seen) as at,
             case when l.quantity > 0 then l.quantity else 1 end as qty, case when l.quantity > 0 then l.unit end as unit,
             coalesce(
               (select s.price_usd from listing_snapshots s where s.listing_id = f.listing_id and s.observed_at <= coalesce(f.left_at, l.last_seen) and s.price_usd is not null order by s.observed_at desc limit 1),
               (select s.price_usd from listing_snapshots s where s.listing_id = f.listing_id and s.price_usd is not null order by s.observed_at asc limit 1)
             ) as price_usd,
             (select s.ships_from from listing_snapshots s where s.listing_id = f.listing_id order by s.observed_at desc limit 1) as ships_from
      from feedback f
      left join listings l on l.id = f.listing_id
      where (${opts.from ?? null}::timestamptz is null or coalesce(f.left_at, l.last_seen) >= ${opts.from ?? null}::timestamptz)
        and (${opts.to ?? null}::timestamptz is null or coalesce(f.left_at, l.last_seen) < ${opts.to ?? null}::timestamptz)
        and (${opts.agencyIds ?? null}::int[] is null or f.agency_id = any(${opts.agencyIds ?? null}::int[]))
    ),
    medians as (${UNIT_PRICE_MEDIANS})
    select sale.feedback_id, sale.vendor_id, im.identity_id, sale.market_id, sale.listing_id, sale.substance_class, sale.substance,
           sale.ships_from, to_char(sale.at at time zone 'UTC', 'YYYY-MM') as month, sale.at, sale.price_usd, sale.qty, m.class_median
    from sale
    left join identity_members im on im.vendor_id = sale.vendor_id
    left join medians m on m.substance_class is not distinct from sale.substance_class and m.unit is not distinct from sale.unit
  `.execute(db);
  return rows.rows.map((r) => ({
    feedbackId: r.feedback_id,
    source: 'feedback' as const,
    at: new Date(r.at),
    vendorId: r.vendor_id,
    identityId: r.identity_id,
    marketId: r.market_id,
    listingId: r.listing_id,
    substanceClass: r.substance_class,
    substance: r.substance,
    shipsFrom: r.ships_from,
    month: r.month,
    priceUsd: r.price_usd,
    holding: isHolding(r.price_usd, r.qty, r.class_median, factor),
  }));
}
