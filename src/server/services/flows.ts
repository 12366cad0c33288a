import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Estimate } from '../../analyse/index.ts';
import type { Database } from '../../store/index.ts';
import { feedSql, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { placeKey, placeOf, type Place } from './countries.ts';
import { API_REVENUE_OPTIONS, visibleRevenue } from './revenue.ts';

/** Listings seen shipping from one place to another, by place key (an empty ships-to list counts as '??', not stated). */
export interface ShippingFlow {
  from: string;
  to: string;
  listings: number;
}

/** A flow with both ends placed on the map (ISO 3166-1) where the text allows it. */
export interface PlacedFlow extends ShippingFlow {
  fromPlace: Place;
  toPlace: Place;
}

export interface FlowOrigin {
  label: string;
  place: Place;
  listings: number;
  /** src/analyse's revenue estimate for listings shipping from here (feedback × price ÷ feedback rate), 95% interval. */
  revenueUsd: Estimate | null;
}

export interface ShippingFlowMap {
  since: Date;
  flows: PlacedFlow[];
  origins: FlowOrigin[];
}

/** Every ships-from and ships-to text in the window, each with its place key ('??' for an unstated destination). */
async function placeKeys(db: Kysely<Database>, cond: RawBuilder<boolean>, since: Date): Promise<{ raws: string[]; keys: string[] }> {
  const r = await sql<{ t: string }>`
    select distinct x.t from listing_snapshots s cross join lateral unnest(array[s.ships_from] || s.ships_to) as x(t)
    where s.ships_from is not null and x.t is not null and s.observed_at >= ${since} and ${cond}`.execute(db);
  const raws = r.rows.map((x) => x.t).filter((t) => t !== '??');
  return { raws: [...raws, '??'], keys: [...raws.map(placeKey), '??'] };
}

/**
 * Listings observed since `since`, counted by ships-from → ships-to place: spellings of one place ('US', 'USA',
 * 'United States') are one key (src/analyse's placeKey), and a listing counts once per pair of places. Intel users
 * see the rows their agency may see; partner feeds (`feed`) publish aggregates of shared markings (CLEAR/GREEN) only.
 */
export async function shippingFlows(db: Kysely<Database>, p: Principal, since: Date, feed: boolean, limit = 200): Promise<ShippingFlow[]> {
  const cond = feed ? feedSql('s') : visibleSql(p, 's');
  const { raws, keys } = await placeKeys(db, cond, since);
  const r = await sql<ShippingFlow>`
    with m(raw, key) as (select * from unnest(${raws}::text[], ${keys}::text[]))
    select f.key as "from", t.key as "to", count(distinct s.listing_id)::int as listings
    from listing_snapshots s cross join lateral unnest(case when cardinality(s.ships_to) = 0 then array['??'] else s.ships_to end) as d(dest)
    join m f on f.raw = s.ships_from join m t on t.raw = d.dest
    where s.ships_from is not null and s.observed_at >= ${since} and ${cond}
    group by 1, 2 order by listings desc, 1, 2 limit ${limit}`.execute(db);
  return r.rows;
}

/** Listings observed since `since` per ships-from place (one key per place, as the flows). */
async function flowOrigins(db: Kysely<Database>, p: Principal, since: Date): Promise<{ label: string; listings: number }[]> {
  const cond = visibleSql(p, 's');
  const { raws, keys } = await placeKeys(db, cond, since);
  const r = await sql<{ label: string; listings: number }>`
    with m(raw, key) as (select * from unnest(${raws}::text[], ${keys}::text[]))
    select f.key as label, count(distinct s.listing_id)::int as listings from listing_snapshots s join m f on f.raw = s.ships_from
    where s.ships_from is not null and s.observed_at >= ${since} and ${cond}
    group by 1 order by listings desc, 1 limit 100`.execute(db);
  return r.rows;
}

/** The dashboard map: placed flows, and per origin its listings and estimated revenue, all keyed by place. */
export async function shippingFlowMap(db: Kysely<Database>, p: Principal, since: Date, limit = 300): Promise<ShippingFlowMap> {
  const [flows, origins, revenue] = await Promise.all([
    shippingFlows(db, p, since, false, limit),
    flowOrigins(db, p, since),
    visibleRevenue(db, p, 'ships_from', { ...API_REVENUE_OPTIONS, from: since }).then((rows) => new Map(rows.map((r) => [r.key, r.revenueUsd]))),
  ]);
  return {
    since,
    flows: flows.map((f) => ({ ...f, fromPlace: placeOf(f.from), toPlace: f.to === '??' ? { kind: 'unknown', name: 'not stated' } : placeOf(f.to) })),
    origins: origins.map((o) => ({ label: o.label, place: placeOf(o.label), listings: o.listings, revenueUsd: revenue.get(o.label) ?? null })),
  };
}
