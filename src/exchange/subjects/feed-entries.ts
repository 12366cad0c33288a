/**
 * The entries of a partner feed, read from the store as one agency sees it (its own rows, other agencies' rows
 * only when CLEAR or GREEN):
 *  - postal: the vendors whose listings ship from or to the partner's country (or worldwide) — their handles (labelled with
 *    the direction) and any postal drop / return addresses seen on them;
 *  - financial: the crypto addresses of the top targets among those vendors (most orders, then most listings).
 * Minimal data by design: no case content, no buyer, no message.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/selectors.ts';
import type { FeedEntry } from '../feed.ts';
import { vendorShippingTraits } from './shipping.ts';

export type PartnerFeedKind = 'postal' | 'financial';

export interface PartnerFeedEntries {
  entries: FeedEntry[];
  /** Strictest marking of the rows the entries come from (CLEAR when there are none). */
  tlp: Tlp;
  vendors: number;
}

const COINS = ['btc_address', 'xmr_address', 'ltc_address', 'eth_address'];

export async function partnerFeedEntries(
  db: Kysely<Database>,
  o: { agencyId: number; kind: PartnerFeedKind; country: string; top?: number },
): Promise<PartnerFeedEntries> {
  const cc = o.country.toUpperCase();
  // Vendors shipping from or to the country, with the direction, ranked by orders then listings.
  // 'WW' (worldwide) in ships-to counts as shipping to every country.
  const vendors = await sql<{ id: number; handle: string; tlp: Tlp; ships_from: boolean; ships_to: boolean; worldwide: boolean; orders: number; listings: number; first_seen: Date }>`
    select v.id, v.handle, v.tlp, v.first_seen,
           bool_or(s.ships_from = ${cc}) as ships_from,
           bool_or(${cc} = any(s.ships_to)) as ships_to,
           bool_or('WW' = any(s.ships_to)) as worldwide,
           (select count(*) from orders o where o.vendor_id = v.id)::int as orders,
           count(distinct l.id)::int as listings
    from vendors v
    join listings l on l.vendor_id = v.id
    join listing_snapshots s on s.listing_id = l.id
    where (v.agency_id = ${o.agencyId} or v.tlp in ('CLEAR','GREEN'))
      and (l.agency_id = ${o.agencyId} or l.tlp in ('CLEAR','GREEN'))
      and (s.agency_id = ${o.agencyId} or s.tlp in ('CLEAR','GREEN'))
      and (s.ships_from = ${cc} or ${cc} = any(s.ships_to) or 'WW' = any(s.ships_to))
    group by v.id
    order by orders desc, listings desc, v.id`.execute(db);
  const chosen = o.kind === 'financial' ? vendors.rows.slice(0, o.top ?? 50) : vendors.rows;
  let tlp: Tlp = 'CLEAR';
  for (const v of chosen) tlp = strictestTlp(tlp, v.tlp);
  const entries: FeedEntry[] = [];
  const seen = new Set<string>();
  const push = (e: FeedEntry) => {
    const key = `${e.kind}\u0000${normalizeRegisteredSelector(e.kind, e.value)}\u0000${e.label ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push(e);
  };
  const ids = chosen.map((v) => v.id);
  const kinds = o.kind === 'postal' ? ['postal_address'] : COINS;
  const selectors = ids.length
    ? await db
        .selectFrom('selector_sightings as ss')
        .innerJoin('selectors as s', 's.id', 'ss.selector_id')
        .innerJoin('vendors as v', 'v.id', 'ss.vendor_id')
        .select(['s.kind', 's.value', 's.meta', 's.tlp', 's.first_seen', 'v.handle'])
        .where('ss.vendor_id', 'in', ids)
        .where('s.kind', 'in', kinds)
        .where((eb) => eb.or([eb('s.agency_id', '=', o.agencyId), eb('s.tlp', 'in', ['CLEAR', 'GREEN'])]))
        .where((eb) => eb.or([eb('ss.agency_id', '=', o.agencyId), eb('ss.tlp', 'in', ['CLEAR', 'GREEN'])]))
        .orderBy('v.handle')
        .orderBy('s.value')
        .execute()
    : [];
  if (o.kind === 'postal') {
    const traits = await vendorShippingTraits(db, ids, (a) => sql<boolean>`(${sql.ref(`${a}.agency_id`)} = ${o.agencyId} or ${sql.ref(`${a}.tlp`)} in ('CLEAR', 'GREEN'))`);
    for (const v of chosen) {
      const dir = [v.ships_from ? `ships from ${cc}` : '', v.ships_to ? `ships to ${cc}` : v.worldwide ? 'ships worldwide' : '', traits.get(v.id) ?? ''].filter(Boolean).join(', ');
      push({ kind: 'vendor_handle', value: v.handle, label: `dark-web vendor, ${dir}`, firstSeen: v.first_seen.toISOString() });
    }
  }
  for (const s of selectors) {
    if (!isRegisteredSelectorKind(s.kind)) continue;
    const meta = (typeof s.meta === 'string' ? JSON.parse(s.meta) : s.meta) as { country?: string; role?: string } | null;
    const country = s.kind === 'postal_address' ? (meta?.country ?? cc) : undefined;
    try {
      push({
        kind: s.kind,
        value: s.value,
        label: s.kind === 'postal_address' ? `${meta?.role ?? 'drop or return address'} of vendor ${s.handle}` : `wallet of vendor ${s.handle}`,
        ...(country ? { country } : {}),
        firstSeen: s.first_seen.toISOString(),
      });
      tlp = strictestTlp(tlp, s.tlp);
    } catch {
      // A stored value that no longer normalises is left out of partner feeds.
    }
  }
  return { entries, tlp, vendors: chosen.length };
}
