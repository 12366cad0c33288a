import { sql } from 'kysely';

/**
 * Median price per unit (gram, pill, …; the whole listing when its quantity is unknown) by substance class and unit:
 * a bulk listing is not a holding listing just because it costs more than a single gram.
 */
export const UNIT_PRICE_MEDIANS = sql`
  select l.substance_class, case when l.quantity > 0 then l.unit end as unit,
         percentile_cont(0.5) within group (order by s.price_usd / case when l.quantity > 0 then l.quantity else 1 end) as class_median
  from listing_snapshots s join listings l on l.id = s.listing_id
  where s.price_usd is not null
  group by 1, 2`;

/** A holding/placeholder listing: its price per unit is far above the median of its substance class and unit. */
export function isHolding(priceUsd: number | null, quantity: number, classMedian: number | null, factor: number): boolean {
  return priceUsd !== null && classMedian !== null && priceUsd / quantity > factor * classMedian;
}
