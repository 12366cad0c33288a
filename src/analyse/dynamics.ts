import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { aggregateRevenue } from './revenue.ts';
import { observedSales } from './sales.ts';
import type { Estimate, RevenueOptions } from './types.ts';

export interface MarketMonth {
  market: string;
  month: string;
  listings: number;
  vendors: number;
  revenueUsd: Estimate | null;
  /** Share of all estimated revenue in that month. */
  share: number;
}

export interface MarketLifecycle {
  market: string;
  status: string;
  events: { kind: string; at: Date; detail: string }[];
  /** Share of crawl observations that found the market up. */
  uptime: number | null;
}

/** Listings and vendors observed, and estimated revenue, per market and month; with each market's monthly share. */
export async function marketDynamics(db: Kysely<Database>, opts: RevenueOptions): Promise<MarketMonth[]> {
  const activity = await sql<{ market: string; market_id: number; month: string; listings: number; vendors: number }>`
    select mk.slug as market, mk.id as market_id, to_char(s.observed_at at time zone 'UTC', 'YYYY-MM') as month,
           count(distinct s.listing_id)::int as listings, count(distinct l.vendor_id)::int as vendors
    from listing_snapshots s join listings l on l.id = s.listing_id join markets mk on mk.id = l.market_id
    group by 1, 2, 3 order by 3, 1
  `.execute(db);
  const sales = await observedSales(db, opts);
  const revenue = new Map<string, Estimate>();
  const byMarketMonth = new Map<string, typeof sales>();
  for (const s of sales) {
    const k = `${s.marketId}|${s.month}`;
    const list = byMarketMonth.get(k) ?? [];
    list.push(s);
    byMarketMonth.set(k, list);
  }
  for (const [k, list] of byMarketMonth) {
    const row = aggregateRevenue(list, 'market', opts)[0];
    if (row) revenue.set(k, row.revenueUsd);
  }
  const monthTotal = new Map<string, number>();
  for (const [k, est] of revenue) {
    const month = k.split('|')[1]!;
    monthTotal.set(month, (monthTotal.get(month) ?? 0) + est.value);
  }
  return activity.rows.map((r) => {
    const est = revenue.get(`${r.market_id}|${r.month}`) ?? null;
    const total = monthTotal.get(r.month) ?? 0;
    return { market: r.market, month: r.month, listings: r.listings, vendors: r.vendors, revenueUsd: est, share: est && total ? est.value / total : 0 };
  });
}

export async function marketLifecycles(db: Kysely<Database>): Promise<MarketLifecycle[]> {
  const markets = await db.selectFrom('markets').select(['id', 'slug', 'status']).where('kind', 'in', ['market', 'shop', 'forum']).orderBy('slug').execute();
  const events = await db.selectFrom('market_events').select(['market_id', 'kind', 'observed_at', 'detail']).orderBy('observed_at').execute();
  return markets.map((m) => {
    const ev = events.filter((e) => e.market_id === m.id);
    const probes = ev.filter((e) => e.kind === 'up' || e.kind === 'down');
    return {
      market: m.slug,
      status: m.status,
      events: ev.map((e) => ({ kind: e.kind, at: e.observed_at, detail: e.detail })),
      uptime: probes.length ? probes.filter((e) => e.kind === 'up').length / probes.length : null,
    };
  });
}
