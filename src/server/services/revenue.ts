import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { visibleSql } from '../access/policy.ts';

export interface RevenuePoint {
  period: string;
  sales: number;
  usd: number;
}

/**
 * Revenue estimate: each feedback entry is one sale, priced at the listing's latest USD snapshot at or before the
 * feedback (or the first snapshot after it when none precedes). The seam to src/analyse, which refines this.
 */
export async function revenueSeries(
  db: Kysely<Database>,
  p: Principal,
  filter: { vendorIds?: number[]; marketId?: number; bucket: 'day' | 'week' | 'month'; since?: Date },
): Promise<RevenuePoint[]> {
  const vendorCond = filter.vendorIds ? sql`and f.vendor_id = any(${filter.vendorIds}::int[])` : sql``;
  const marketCond = filter.marketId ? sql`and f.market_id = ${filter.marketId}` : sql``;
  const sinceCond = filter.since ? sql`and f.left_at >= ${filter.since}` : sql``;
  const r = await sql<RevenuePoint>`
    select to_char(date_trunc(${filter.bucket}, f.left_at), 'YYYY-MM-DD') as period,
           count(*)::int as sales,
           coalesce(round(sum(px.price_usd)::numeric, 2), 0)::float8 as usd
    from feedback f
    left join lateral (
      select s.price_usd from listing_snapshots s
      where s.listing_id = f.listing_id and s.price_usd is not null and ${visibleSql(p, 's')}
      order by (s.observed_at <= f.left_at) desc, abs(extract(epoch from (s.observed_at - f.left_at))) limit 1
    ) px on true
    where f.left_at is not null and ${visibleSql(p, 'f')} ${vendorCond} ${marketCond} ${sinceCond}
    group by 1 order by 1`.execute(db);
  return r.rows;
}
