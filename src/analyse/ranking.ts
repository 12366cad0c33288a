import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { aggregateRevenue } from './revenue.ts';
import { observedSales, type ObservedSale } from './sales.ts';
import type { RevenueOptions } from './types.ts';

/** How much each factor counts; an agency sets its own. They are normalised to sum to 1. */
export interface RankingWeights {
  revenue: number;
  harm: number;
  reach: number;
  persistence: number;
  identifiability: number;
}

/**
 * Revenue and harm lead with equal weight: both are on the same log scale, so together they order targets by
 * revenue × harm (the harm done in the market); reach, persistence and identifiability break ties.
 */
export const DEFAULT_WEIGHTS: RankingWeights = { revenue: 0.45, harm: 0.45, reach: 0.04, persistence: 0.03, identifiability: 0.03 };

/** Revenue and harm are normalised on a log scale spanning this many decades below the top (1) to 0. */
export const LOG_DECADES = 4;

/** 1 at `max`, falling by 1/LOG_DECADES per decade below it, floored at 0. */
export function logNormalised(value: number, max: number): number {
  if (!(value > 0 && max > 0)) return 0;
  return Math.max(0, Math.min(1, 1 + Math.log10(value / max) / LOG_DECADES));
}

/** Harm per substance class, 0..1: opioids weigh most (overdose deaths), cannabis least. */
export const HARM_BY_CLASS: Record<string, number> = {
  opioid: 1,
  nps: 0.7,
  stimulant: 0.6,
  benzodiazepine: 0.5,
  dissociative: 0.4,
  prescription: 0.4,
  psychedelic: 0.2,
  other: 0.2,
  unknown: 0.3,
  cannabis: 0.1,
};

export interface TargetFactor {
  /** The factor's raw measure (USD, harm 0..1, countries, markets, selectors). */
  raw: number;
  /** Normalised to 0..1 across the ranked population. */
  normalised: number;
  weight: number;
  /** weight × normalised: what this factor adds to the score. */
  contribution: number;
  explanation: string;
}

export interface RankedTarget {
  rank: number;
  /** 'i<identity id>' for a linked identity, 'v<vendor id>' for an account not (yet) linked. */
  key: string;
  label: string;
  accounts: number;
  score: number;
  factors: Record<keyof RankingWeights, TargetFactor>;
}

/**
 * Harm of specific substances where it differs from their class: synthetic opioids kill at microgram doses. Our own
 * ordinal judgement in the spirit of the Lancet harm rankings (Nutt et al. 2010) plus potency; agencies may edit it.
 */
export const HARM_BY_SUBSTANCE: Record<string, number> = {
  fentanyl: 1,
  carfentanil: 1,
  acetylfentanyl: 1,
  furanylfentanyl: 1,
  isotonitazene: 1,
  metonitazene: 1,
  protonitazene: 1,
  etonitazene: 1,
  'n-pyrrolidino etonitazene': 1,
  heroin: 0.8,
  oxycodone: 0.6,
  methamphetamine: 0.6,
  crack: 0.6,
  cocaine: 0.5,
  ketamine: 0.35,
  amphetamine: 0.35,
  mdma: 0.3,
  lsd: 0.15,
  psilocybin: 0.1,
};

export function harmOf(substanceClass: string | null, substance: string | null): number {
  const bySubstance = substance ? HARM_BY_SUBSTANCE[substance.toLowerCase()] : undefined;
  return bySubstance ?? HARM_BY_CLASS[substanceClass ?? 'unknown'] ?? HARM_BY_CLASS.unknown!;
}

interface Profile {
  key: string;
  label: string;
  accounts: Set<number>;
  markets: Set<number>;
  classRevenue: Map<string, number>;
  shipsTo: Set<string>;
  excluded: Set<string>;
  identifiers: number;
  revenue: number;
}

/** An explainable ranking of top targets: every score is the sum of weighted, normalised factors, each explained. */
export async function rankTargets(
  db: Kysely<Database>,
  revenueOpts: RevenueOptions,
  weights: RankingWeights = DEFAULT_WEIGHTS,
  limit = 50,
  /** observedSales(db, revenueOpts), when the caller already has them (the API shares one computation per scope). */
  given?: readonly ObservedSale[],
): Promise<RankedTarget[]> {
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new RangeError('ranking weights must not all be zero');
  const w = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, v / total])) as unknown as RankingWeights;

  const accounts = await sql<{ vendor_id: number; handle: string; market_id: number; identity_id: number | null; label: string | null }>`
    select v.id as vendor_id, v.handle, v.market_id, im.identity_id, i.label
    from vendors v left join identity_members im on im.vendor_id = v.id left join identities i on i.id = im.identity_id
    join markets m on m.id = v.market_id
  `.execute(db);
  const profiles = new Map<string, Profile>();
  const keyOfVendor = new Map<number, string>();
  for (const a of accounts.rows) {
    const key = a.identity_id !== null ? `i${a.identity_id}` : `v${a.vendor_id}`;
    keyOfVendor.set(a.vendor_id, key);
    const p = profiles.get(key) ?? { key, label: a.label ?? a.handle, accounts: new Set(), markets: new Set(), classRevenue: new Map(), shipsTo: new Set(), excluded: new Set(), identifiers: 0, revenue: 0 };
    p.accounts.add(a.vendor_id);
    p.markets.add(a.market_id);
    profiles.set(key, p);
  }

  const sales = given ?? (await observedSales(db, revenueOpts));
  for (const row of aggregateRevenue(sales, 'identity', revenueOpts)) {
    const p = profiles.get(row.key);
    if (p) p.revenue = row.revenueUsd.value;
  }
  const perClass = new Map<string, Map<string, number>>();
  for (const s of sales) {
    if (s.holding || s.priceUsd === null || s.vendorId === null) continue;
    const key = keyOfVendor.get(s.vendorId);
    if (!key) continue;
    const m = perClass.get(key) ?? new Map<string, number>();
    const what = s.substance ? `${s.substanceClass ?? 'unknown'}/${s.substance.toLowerCase()}` : (s.substanceClass ?? 'unknown');
    m.set(what, (m.get(what) ?? 0) + s.priceUsd * (s.units ?? 1));
    perClass.set(key, m);
  }
  for (const [key, m] of perClass) {
    const p = profiles.get(key);
    if (p) p.classRevenue = m;
  }

  const reach = await sql<{ vendor_id: number; country: string }>`
    select distinct l.vendor_id, unnest(s.ships_to) as country
    from listing_snapshots s join listings l on l.id = s.listing_id where l.vendor_id is not null
  `.execute(db);
  for (const r of reach.rows) profiles.get(keyOfVendor.get(r.vendor_id) ?? '')?.shipsTo.add(r.country.toUpperCase());
  // Exclusions ("Worldwide except Finland") narrow a worldwide reach; they are never destinations.
  const exclusions = await sql<{ vendor_id: number; country: string }>`
    select distinct l.vendor_id, unnest(s.ships_to_excluded) as country
    from listing_snapshots s join listings l on l.id = s.listing_id where l.vendor_id is not null
  `.execute(db);
  for (const r of exclusions.rows) profiles.get(keyOfVendor.get(r.vendor_id) ?? '')?.excluded.add(r.country.toUpperCase());

  // Identifying selectors: e-mails and phones anywhere, and crypto addresses shared with another account.
  const ident = await sql<{ vendor_id: number; n: number }>`
    select ss.vendor_id, count(distinct s.id)::int as n
    from selector_sightings ss join selectors s on s.id = ss.selector_id
    where ss.vendor_id is not null and (
      s.kind in ('email', 'phone')
      or (s.kind in ('btc_address', 'xmr_address', 'ltc_address', 'eth_address')
          and (select count(distinct ss2.vendor_id) from selector_sightings ss2 where ss2.selector_id = s.id) > 1)
      or (s.kind = 'pgp_key' and jsonb_array_length(coalesce(s.meta->'emails', '[]'::jsonb)) > 0))
    group by ss.vendor_id
  `.execute(db);
  for (const r of ident.rows) {
    const p = profiles.get(keyOfVendor.get(r.vendor_id) ?? '');
    if (p) p.identifiers += r.n;
  }

  const list = [...profiles.values()].filter((p) => p.revenue > 0);
  // The most harmful thing a target sells counts most (selling fentanyl at all matters), tempered by the mix.
  const profileHarm = (p: Profile) => {
    let sum = 0;
    let usd = 0;
    let max = 0;
    for (const [what, v] of p.classRevenue) {
      const [cls, substance] = what.split('/');
      const h = harmOf(cls ?? null, substance ?? null);
      sum += h * v;
      usd += v;
      max = Math.max(max, h);
    }
    return usd ? 0.7 * max + 0.3 * (sum / usd) : 0;
  };
  const reachOf = (p: Profile) => (p.shipsTo.has('WW') || p.shipsTo.has('WORLDWIDE') ? Math.max(1, 50 - p.excluded.size) : p.shipsTo.size);
  const maxRev = Math.max(1, ...list.map((p) => p.revenue));
  const maxReach = Math.max(1, ...list.map(reachOf));
  const maxMarkets = Math.max(1, ...list.map((p) => p.markets.size));
  const maxIdent = Math.max(1, ...list.map((p) => p.identifiers));

  const ranked = list.map((p) => {
    const harm = profileHarm(p);
    const factor = (k: keyof RankingWeights, raw: number, normalised: number, explanation: string): TargetFactor => ({
      raw,
      normalised,
      weight: w[k],
      contribution: w[k] * normalised,
      explanation,
    });
    const factors = {
      revenue: factor('revenue', p.revenue, logNormalised(p.revenue, maxRev), `estimated $${Math.round(p.revenue).toLocaleString('en-US')} from ${revenueOpts.useStock ? 'feedback and stock' : 'feedback'} (log scale)`),
      harm: factor('harm', harm, logNormalised(harm, 1), `harm of what is sold (0.7 × the worst, 0.3 × the revenue-weighted mix; log scale): ${[...p.classRevenue.keys()].join(', ') || 'unclassified'}`),
      reach: factor('reach', reachOf(p), reachOf(p) / maxReach, p.shipsTo.size ? `ships to ${[...p.shipsTo].slice(0, 8).join(', ')}` : 'no shipping data'),
      persistence: factor('persistence', p.markets.size, p.markets.size / maxMarkets, `${p.accounts.size} account(s) on ${p.markets.size} source(s)`),
      identifiability: factor('identifiability', p.identifiers, p.identifiers / maxIdent, `${p.identifiers} identifying selector(s): e-mails, phones, reused addresses, PGP user-ID e-mails`),
    };
    const score = Object.values(factors).reduce((a, f) => a + f.contribution, 0);
    return { rank: 0, key: p.key, label: p.label, accounts: p.accounts.size, score, factors };
  });
  ranked.sort((a, b) => b.score - a.score);
  return ranked.slice(0, limit).map((r, i) => ({ ...r, rank: i + 1 }));
}
