/**
 * Partner feeds: minimal lists, marked with the strictest marking of the rows they hold. Served to partners over the
 * API they hold CLEAR/GREEN rows only (TLP 2.0: community-wide); exported by an agency from the CLI they may also
 * hold its own rows (`FeedScope`), still marked as strictly as the rows require. One implementation for both.
 *  - postal: for a postal operator, the drop and return addresses (`postal_address` selectors) and the handles of
 *    vendors whose listings ship from or to the partner's country;
 *  - financial: for a financial institution, the crypto addresses of the top targets of the ranking.
 * Each vendor's label carries the packaging and shipping traits it advertises (vacuum sealed, MBB, carrier, …).
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/index.ts';
import type { RegisteredSelectorKind } from '../../deconflict/index.ts';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { vendorShippingTraits } from '../../exchange/index.ts';
import type { FeedEntry } from '../../exchange/index.ts';
import { agencyViewSql, type Database, type RowFilter } from '../../store/index.ts';
import { feedSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { topTargets } from '../services/targets.ts';

export interface Feed {
  id: string;
  name: string;
  description: string;
  tlp: Tlp;
  entries: FeedEntry[];
  /** Rows left out because their value does not normalise (or a drop address has no country). */
  omitted: number;
}

function entry(kind: string, value: string, extra: Omit<FeedEntry, 'kind' | 'value'>): FeedEntry | null {
  if (!isRegisteredSelectorKind(kind)) return null;
  try {
    return { kind: kind as RegisteredSelectorKind, value: normalizeRegisteredSelector(kind as RegisteredSelectorKind, value), ...extra };
  } catch {
    return null;
  }
}

const day = (d: Date) => new Date(d).toISOString();

/** Whose rows a feed may hold: shared rows only (partners over the API), or one agency's view (its own export). */
export type FeedScope = { kind: 'shared' } | { kind: 'agency'; agencyId: number };
const SHARED_SCOPE: FeedScope = { kind: 'shared' };

function rowFilter(scope: FeedScope): RowFilter {
  if (scope.kind === 'shared') return feedSql;
  return (alias) => agencyViewSql(scope.agencyId, alias);
}

export async function postalFeed(db: Kysely<Database>, country: string, since: Date, scope: FeedScope = SHARED_SCOPE): Promise<Feed> {
  const visible = rowFilter(scope);
  const vendors = await sql<{ id: number; handle: string; tlp: Tlp; ships_from: string | null; first: Date }>`
    select v.id, v.handle, v.tlp, min(s.ships_from) as ships_from, min(v.first_seen) as first
    from listing_snapshots s join listings l on l.id = s.listing_id join vendors v on v.id = l.vendor_id
    where s.observed_at >= ${since} and (s.ships_from = ${country} or (${country} = any(s.ships_to) and not ${country} = any(s.ships_to_excluded)))
      and ${visible('s')} and ${visible('l')} and ${visible('v')}
    group by v.id, v.handle, v.tlp order by v.id limit 5000`.execute(db);
  const ids = vendors.rows.map((v) => v.id);
  const addresses = ids.length
    ? await sql<{ value: string; tlp: Tlp; country: string | null; first: Date }>`
        select s.value, s.tlp, s.meta->>'country' as country, min(ss.observed_at) as first
        from selector_sightings ss join selectors s on s.id = ss.selector_id
        where ss.vendor_id = any(${ids}::int[]) and s.kind = 'postal_address' and ${visible('s')} and ${visible('ss')}
        group by s.value, s.tlp, s.meta->>'country' order by s.value limit 5000`.execute(db)
    : { rows: [] };
  let tlp: Tlp = 'CLEAR';
  let omitted = 0;
  const entries: FeedEntry[] = [];
  for (const a of addresses.rows) {
    const e = a.country ? entry('postal_address', a.value, { label: 'drop or return address', country: a.country.toUpperCase(), firstSeen: day(a.first) }) : null;
    if (!e) omitted++;
    else {
      entries.push(e);
      tlp = strictestTlp(tlp, a.tlp);
    }
  }
  const traits = await vendorShippingTraits(db, ids, visible);
  for (const v of vendors.rows) {
    const shipping = traits.get(v.id);
    const e = entry('vendor_handle', v.handle, { label: `vendor shipping ${v.ships_from ?? '?'} ↔ ${country}${shipping ? ` (${shipping})` : ''}`, firstSeen: day(v.first) });
    if (!e) omitted++;
    else {
      entries.push(e);
      tlp = strictestTlp(tlp, v.tlp);
    }
  }
  return {
    id: `postal-${country.toLowerCase()}`,
    name: `Postal operator feed ${country}`,
    description: `Drop/return addresses and vendor names of dark-web vendors shipping from or to ${country}, since ${day(since).slice(0, 10)}`,
    tlp,
    entries,
    omitted,
  };
}

const CRYPTO = ['btc_address', 'xmr_address', 'ltc_address', 'eth_address'];

export async function financialFeed(db: Kysely<Database>, p: Principal, limit: number, scope: FeedScope = SHARED_SCOPE): Promise<Feed> {
  const visible = rowFilter(scope);
  // The ranking over the scope's rows: a view that belongs to no agency sees exactly the CLEAR/GREEN rows.
  const view: Principal = { ...p, role: 'analyst', agencyId: scope.kind === 'agency' ? scope.agencyId : 0 };
  const targets = await topTargets(db, view, limit);
  let tlp: Tlp = 'CLEAR';
  let omitted = 0;
  const entries: FeedEntry[] = [];
  const seen = new Set<string>();
  for (const [rank, t] of targets.entries()) {
    const vendorIds =
      t.kind === 'vendor'
        ? [t.id]
        : (await sql<{ vendor_id: number }>`select vendor_id from identity_members where identity_id = ${t.id}`.execute(db)).rows.map((r) => r.vendor_id);
    if (!vendorIds.length) continue;
    const rows = await sql<{ kind: string; value: string; tlp: Tlp; first: Date }>`
      select s.kind, s.value, s.tlp, min(ss.observed_at) as first
      from selector_sightings ss join selectors s on s.id = ss.selector_id
      where ss.vendor_id = any(${vendorIds}::int[]) and s.kind = any(${CRYPTO}::text[]) and ${visible('s')} and ${visible('ss')}
      group by s.kind, s.value, s.tlp order by s.kind, s.value limit 1000`.execute(db);
    for (const r of rows.rows) {
      const e = entry(r.kind, r.value, { label: `top target ${rank + 1}`, firstSeen: day(r.first) });
      if (!e) omitted++;
      else if (!seen.has(`${e.kind}:${e.value}`)) {
        seen.add(`${e.kind}:${e.value}`);
        entries.push(e);
        tlp = strictestTlp(tlp, r.tlp);
      }
    }
  }
  return {
    id: 'financial',
    name: 'Financial institution feed',
    description: `Cryptocurrency addresses of the top ${limit} targets of the ranking`,
    tlp,
    entries,
    omitted,
  };
}
