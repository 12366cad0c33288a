import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { RevenueOptions } from './types.ts';

/** One feedback entry read as one sale, priced at its listing's price when the feedback was left. */
export interface ObservedSale {
  feedbackId: number;
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
export async function observedSales(db: Kysely<Database>, opts: Pick<RevenueOptions, 'from' | 'to' | 'agencyIds' | 'outlierFactor'>): Promise<ObservedSale[]> {
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
    price_usd: number | null;
    class_median: number | null;
  }>`
    with sale as (
      select f.id as feedback_id, coalesce(f.vendor_id, l.vendor_id) as vendor_id, f.market_id, f.listing_id,
             l.substance_class, l.substance, coalesce(f.left_at, l.last_seen) as at,
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
    medians as (
      select l.substance_class, percentile_cont(0.5) within group (order by s.price_usd) as class_median
      from listing_snapshots s join listings l on l.id = s.listing_id
      where s.price_usd is not null
      group by l.substance_class
    )
    select sale.feedback_id, sale.vendor_id, im.identity_id, sale.market_id, sale.listing_id, sale.substance_class, sale.substance,
           sale.ships_from, to_char(sale.at at time zone 'UTC', 'YYYY-MM') as month, sale.price_usd, m.class_median
    from sale
    left join identity_members im on im.vendor_id = sale.vendor_id
    left join medians m on m.substance_class is not distinct from sale.substance_class
  `.execute(db);
  return rows.rows.map((r) => ({
    feedbackId: r.feedback_id,
    vendorId: r.vendor_id,
    identityId: r.identity_id,
    marketId: r.market_id,
    listingId: r.listing_id,
    substanceClass: r.substance_class,
    substance: r.substance,
    shipsFrom: r.ships_from,
    month: r.month,
    priceUsd: r.price_usd,
    holding: r.price_usd !== null && r.class_median !== null && r.price_usd > factor * r.class_median,
  }));
}
