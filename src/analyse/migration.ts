import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';

export interface MigrationFlow {
  from: string;
  /** null: not seen again on any market we watch. */
  to: string | null;
  identities: number;
  /** Days from the closure to the identity's first activity at the destination (median). */
  medianDays: number | null;
}

export interface MigratedIdentity {
  identity: string;
  fromMarket: string;
  fromVendorId: number;
  toMarket: string | null;
  toVendorId: number | null;
  daysAfter: number | null;
  /**
   * Every market the identity was active on after the closure, in order of first activity (`toMarket` first): a
   * vendor with accounts on several markets carries on on all of them.
   */
  activeOn: string[];
}

export interface MigrationReport {
  closure: { market: string; kind: 'seized' | 'exit_scam' | 'closed'; at: Date };
  identities: MigratedIdentity[];
  flows: MigrationFlow[];
  /** Share of the closed market's identities that reappeared elsewhere. */
  reappeared: number;
}

/** The market has no seizure, exit-scam or closure event: there is no migration to report. */
export class NoClosureError extends Error {}

/**
 * Where a closed market's vendors went. An identity is an identity cluster when linking has run, else the single
 * account. Its destination is the market where it was first active (first seen, a feedback or a listing snapshot)
 * after the closure; `activeOn` names every market it was active on afterwards.
 */
export async function takedownMigration(db: Kysely<Database>, marketSlug: string | { id: number }): Promise<MigrationReport> {
  const market = await (typeof marketSlug === 'string'
    ? db.selectFrom('markets').select(['id', 'slug']).where('slug', '=', marketSlug)
    : db.selectFrom('markets').select(['id', 'slug']).where('id', '=', marketSlug.id)
  ).executeTakeFirst();
  if (!market) throw new Error(`no market "${typeof marketSlug === 'string' ? marketSlug : marketSlug.id}"`);
  const closure = await db
    .selectFrom('market_events')
    .select(['kind', 'observed_at'])
    .where('market_id', '=', market.id)
    .where('kind', 'in', ['seized', 'exit_scam', 'closed'])
    .orderBy('observed_at')
    .executeTakeFirst();
  if (!closure) throw new NoClosureError(`market "${market.slug}" has no seizure, exit-scam or closure event`);

  const rows = await sql<{ identity: string; from_vendor: number; to_vendor: number | null; to_market: string | null; first_after: Date | null; all_markets: string[] | null }>`
    with closed as (
      select v.id as vendor_id, coalesce('i' || im.identity_id::text, 'v' || v.id::text) as identity
      from vendors v left join identity_members im on im.vendor_id = v.id
      where v.market_id = ${market.id} and v.first_seen < ${closure.observed_at}
    ),
    members as (
      select c.identity, c.vendor_id as from_vendor, coalesce(im2.vendor_id, c.vendor_id) as member
      from closed c
      left join identity_members im on im.vendor_id = c.vendor_id
      left join identity_members im2 on im2.identity_id = im.identity_id
    ),
    activity as (
      select m.identity, m.from_vendor, v.id as to_vendor, mk.slug as to_market,
             least(
               case when v.first_seen >= ${closure.observed_at} then v.first_seen end,
               (select min(f.left_at) from feedback f where f.vendor_id = v.id and f.left_at >= ${closure.observed_at}),
               (select min(s.observed_at) from listing_snapshots s join listings l on l.id = s.listing_id where l.vendor_id = v.id and s.observed_at >= ${closure.observed_at})
             ) as first_after
      from members m
      join vendors v on v.id = m.member and v.market_id <> ${market.id}
      join markets mk on mk.id = v.market_id and mk.kind in ('market', 'shop', 'forum')
    ),
    ranked as (
      select *, row_number() over (partition by identity order by first_after) as rn,
             array_agg(to_market) over (partition by identity order by first_after
               rows between unbounded preceding and unbounded following) as all_markets
      from activity where first_after is not null
    )
    select distinct on (c.identity) c.identity, c.vendor_id as from_vendor, r.to_vendor, r.to_market, r.first_after, r.all_markets
    from closed c left join ranked r on r.identity = c.identity and r.rn = 1
    order by c.identity, c.vendor_id
  `.execute(db);

  const at = closure.observed_at;
  const identities: MigratedIdentity[] = rows.rows.map((r) => ({
    identity: r.identity,
    fromMarket: market.slug,
    fromVendorId: r.from_vendor,
    toMarket: r.to_market,
    toVendorId: r.to_vendor,
    daysAfter: r.first_after ? (r.first_after.getTime() - at.getTime()) / 86_400_000 : null,
    activeOn: [...new Set(r.all_markets ?? [])],
  }));
  const byDest = new Map<string | null, number[]>();
  for (const i of identities) {
    const list = byDest.get(i.toMarket) ?? [];
    if (i.daysAfter !== null) list.push(i.daysAfter);
    else list.push(Number.NaN);
    byDest.set(i.toMarket, list);
  }
  const flows: MigrationFlow[] = [...byDest.entries()]
    .map(([to, days]) => {
      const d = days.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
      return { from: market.slug, to, identities: days.length, medianDays: d.length ? d[Math.floor(d.length / 2)]! : null };
    })
    .sort((a, b) => b.identities - a.identities);
  const moved = identities.filter((i) => i.toMarket !== null).length;
  return {
    closure: { market: market.slug, kind: closure.kind as 'seized' | 'exit_scam' | 'closed', at },
    identities,
    flows,
    reappeared: identities.length ? moved / identities.length : 0,
  };
}
