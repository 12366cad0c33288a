import { sql, type Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';

export interface TargetFactor {
  name: 'revenue' | 'reach' | 'persistence' | 'identifiability' | 'harm';
  value: number;
  /** 0..1 after normalising against the strongest candidate. */
  normalised: number;
  weight: number;
  explanation: string;
}

export interface Target {
  kind: 'identity' | 'vendor';
  id: number;
  label: string;
  score: number;
  factors: TargetFactor[];
}

const WEIGHTS = { revenue: 0.35, harm: 0.2, reach: 0.15, persistence: 0.15, identifiability: 0.15 } as const;
const HARMFUL = ['opioid', 'fentanyl', 'heroin', 'opioids', 'nps'];

/**
 * An explainable ranking of identities and unlinked vendors. Interim until src/analyse exposes its ranking: each
 * factor is a plain aggregate over rows the caller may see, normalised against the top candidate, then weighted.
 */
export async function topTargets(db: Kysely<Database>, p: Principal, limit: number): Promise<Target[]> {
  const r = await sql<{ kind: 'identity' | 'vendor'; id: number; label: string; sales: number; usd: number; countries: number; days: number; selectors: number; harmful: number; accounts: number }>`
    with acct as (
      select coalesce(im.identity_id, -v.id) as key, case when im.identity_id is null then 'vendor' else 'identity' end as kind,
             coalesce(i.label, v.handle) as label, v.id as vendor_id, v.first_seen, v.last_seen
      from vendors v left join identity_members im on im.vendor_id = v.id
      left join identities i on i.id = im.identity_id and ${visibleSql(p, 'i')}
      where ${visibleSql(p, 'v')}
    ), sales as (
      select a.key, count(f.id)::int as sales, coalesce(sum(px.price_usd), 0)::float8 as usd
      from acct a join feedback f on f.vendor_id = a.vendor_id and ${visibleSql(p, 'f')}
      left join lateral (select s.price_usd from listing_snapshots s where s.listing_id = f.listing_id and ${visibleSql(p, 's')} order by s.observed_at desc limit 1) px on true
      group by a.key
    )
    select a.kind, abs(a.key) as id, min(a.label) as label, coalesce(max(sa.sales), 0) as sales, coalesce(max(sa.usd), 0) as usd,
      (select count(distinct d) from listings l join listing_snapshots s on s.listing_id = l.id cross join unnest(s.ships_to) d where l.vendor_id = any(array_agg(a.vendor_id)))::int as countries,
      greatest(1, extract(day from max(a.last_seen) - min(a.first_seen)))::int as days,
      (select count(distinct ss.selector_id) from selector_sightings ss where ss.vendor_id = any(array_agg(a.vendor_id)) and ${visibleSql(p, 'ss')})::int as selectors,
      (select count(*) from listings l where l.vendor_id = any(array_agg(a.vendor_id)) and lower(coalesce(l.substance_class, '')) = any(${HARMFUL}::text[]))::int as harmful,
      count(*)::int as accounts
    from acct a left join sales sa on sa.key = a.key
    group by a.key, a.kind
    order by max(sa.usd) desc nulls last limit ${Math.max(limit * 4, 100)}`.execute(db);
  const rows = r.rows;
  const max = (f: (x: (typeof rows)[number]) => number) => Math.max(1e-9, ...rows.map(f));
  const mUsd = max((x) => x.usd), mC = max((x) => x.countries), mD = max((x) => x.days), mS = max((x) => x.selectors), mH = max((x) => x.harmful);
  const targets = rows.map((x): Target => {
    const factors: TargetFactor[] = [
      { name: 'revenue', value: x.usd, normalised: x.usd / mUsd, weight: WEIGHTS.revenue, explanation: `${x.sales} sales from feedback ≈ $${Math.round(x.usd).toLocaleString('en')}` },
      { name: 'harm', value: x.harmful, normalised: x.harmful / mH, weight: WEIGHTS.harm, explanation: `${x.harmful} opioid/NPS listings` },
      { name: 'reach', value: x.countries, normalised: x.countries / mC, weight: WEIGHTS.reach, explanation: `ships to ${x.countries} countries` },
      { name: 'persistence', value: x.days, normalised: x.days / mD, weight: WEIGHTS.persistence, explanation: `active ${x.days} days across ${x.accounts} account(s)` },
      { name: 'identifiability', value: x.selectors, normalised: x.selectors / mS, weight: WEIGHTS.identifiability, explanation: `${x.selectors} selectors (PGP keys, addresses, handles)` },
    ];
    const score = factors.reduce((s, f) => s + f.normalised * f.weight, 0);
    return { kind: x.kind, id: x.id, label: x.label, score: Math.round(score * 1000) / 1000, factors };
  });
  return targets.sort((a, b) => b.score - a.score).slice(0, limit);
}
