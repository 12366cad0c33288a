import { sql, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import { z } from 'zod';
import { ACCESS, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { hideInvisibleRefs } from '../access/refs.ts';
import { profileRevenue } from '../services/revenue.ts';
import type { RouteContext } from '../types.ts';
import type { Database } from '../../store/index.ts';
import { idParams, visibleOr404, who } from './common.ts';
import { keysetPage, prefixTsQuery, sliceSql, tieredPage, type After, type FetchMode, type Tier } from './keyset.ts';
import { escapeLike } from './markets.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/vendors',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'vendor.list' } },
      schema: {
        tags: ['vendors'],
        summary: 'Vendor accounts, newest first; with q: exact handle, then handles containing q (trigram), then full-text matches in profiles',
        querystring: z.object({ ...keysetPage, q: z.string().max(200).optional(), marketId: z.coerce.number().int().positive().optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      const filters = q.marketId ? sql<boolean>`${visibleSql(p, 'v')} and v.market_id = ${q.marketId}` : visibleSql(p, 'v');
      const tiers = q.q === undefined || q.q.trim() === '' ? [{ name: '', where: sql<boolean>`true` }] : vendorTiers(q.q);
      return tieredPage(tiers, (where, after, limit, mode, tag) => vendorRows(db, filters, p, where, after, limit, mode, tag), q);
    },
  );

  app.get('/vendors/:id', { config: { access: { ...ACCESS.intelRead, audit: 'vendor.read' } }, schema: { tags: ['vendors'], summary: 'A vendor profile: accounts across markets, selectors, listings, feedback, links, captures, revenue', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const head = await profileHead(db, p, req.params.id);
    const v = visibleOr404(p, head?.vendor, 'vendor', req.params.id);
    await hideInvisibleRefs(db, p, [v], { capture_id: 'captures' });
    const { market, identity: membership, feedback } = head!;
    const [accounts, selectors, listings, links, captures, revenue] = await Promise.all([
      membership
        ? db.selectFrom('identity_members as im').innerJoin('vendors as v', 'v.id', 'im.vendor_id').leftJoin('markets as m', (j) => j.onRef('m.id', '=', 'v.market_id').on(visibleSql(p, 'm')))
            .select(['v.id', 'v.handle', 'm.name as market', 'v.market_id', 'v.first_seen', 'v.last_seen']).where('im.identity_id', '=', membership.id).where(visibleSql(p, 'v')).orderBy('v.first_seen').execute()
        : Promise.resolve([]),
      db.selectFrom('selector_sightings as ss').innerJoin('selectors as s', 's.id', 'ss.selector_id')
        .select(['s.id', 's.kind', 's.value', (eb) => eb.fn.count<number>('ss.id').as('sightings'), (eb) => eb.fn.min('ss.observed_at').as('first_seen'), (eb) => eb.fn.max('ss.observed_at').as('last_seen')])
        .where('ss.vendor_id', '=', v.id).where(visibleSql(p, 'ss')).where(visibleSql(p, 's')).groupBy(['s.id', 's.kind', 's.value']).orderBy('s.kind').limit(200).execute(),
      sql<{ id: number; title: string; substance: string | null; price_usd: number | null; ships_from: string | null; ships_to: string[] | null; last_seen: Date }>`
        select l.id, l.title, l.substance, l.last_seen, s.price_usd, s.ships_from, s.ships_to from listings l
        left join lateral (select price_usd, ships_from, ships_to from listing_snapshots s where s.listing_id = l.id and ${visibleSql(p, 's')} order by observed_at desc limit 1) s on true
        where l.vendor_id = ${v.id} and ${visibleSql(p, 'l')} order by l.last_seen desc limit 100`.execute(db).then((r) => r.rows),
      linksOf(db, p, [v.id]),
      db.selectFrom('captures as c').select(['c.id', 'c.url', 'c.fetched_at', 'c.payload_sha256', 'c.content_type'])
        .where((eb) => eb.or([eb('c.id', '=', v.capture_id ?? -1), eb('c.id', 'in', eb.selectFrom('listings').select('capture_id').where('vendor_id', '=', v.id).where('capture_id', 'is not', null))]))
        .where(visibleSql(p, 'c')).orderBy('c.fetched_at', 'desc').limit(50).execute(),
      profileRevenue(db, p, [v.id]),
    ]);
    req.auditObject = { type: 'vendor', id: String(v.id) };
    return { vendor: v, market, identity: membership, accounts, selectors, listings, feedback, links, captures, revenue: revenue.series, revenueTotal: revenue.total };
  });
}

interface ProfileHead {
  /** Every vendor column but the search vector, in the table's order. */
  vendor: Selectable<Database['vendors']>;
  /** Shown only to those who may see it: a vendor row may be marked less strictly than its market. */
  market: Pick<Selectable<Database['markets']>, 'id' | 'name' | 'slug' | 'status' | 'kind'> | null;
  /** The visible identity the account belongs to (at most one: identity_members' key is vendor_id). */
  identity: Pick<Selectable<Database['identities']>, 'id' | 'label' | 'tlp' | 'agency_id'> | null;
  /** The visible feedback's count, mean rating and dates. */
  feedback: { count: number; avg_rating: number | null; first: Date | null; last: Date | null };
}

/** The head's one row: the vendor's columns, then its market's (m_), identity's (i_) and feedback summary's (f_). */
type Nullable<T> = { [K in keyof T]: T[K] | null };
type Prefixed<T, P extends string> = { [K in keyof T & string as `${P}${K}`]: T[K] };
type HeadRow = ProfileHead['vendor'] & Prefixed<Nullable<NonNullable<ProfileHead['market']>>, 'm_'> & Prefixed<Nullable<NonNullable<ProfileHead['identity']>>, 'i_'> & Prefixed<ProfileHead['feedback'], 'f_'>;

/**
 * A profile's head in one statement: the vendor row, its market, its identity and its feedback summary, each side
 * tested for visibility as before (the caller still answers 404 for a vendor p may not see, whose other parts are
 * then dropped unread). One round trip instead of four: on a server the API's own thread, not the database, was the
 * profile's limit, and a third of it was writing statements to the pool's sockets (docs/benchmarks.md, api8).
 */
async function profileHead(db: Kysely<Database>, p: Principal, id: number): Promise<ProfileHead | undefined> {
  const r = await sql<HeadRow>`
    select v.id, v.agency_id, v.tlp, v.market_id, v.handle, v.handle_norm, v.external_id, v.profile_text, v.rating, v.first_seen, v.last_seen, v.capture_id, v.adapter,
      m.id as m_id, m.name as m_name, m.slug as m_slug, m.status as m_status, m.kind as m_kind,
      i.id as i_id, i.label as i_label, i.tlp as i_tlp, i.agency_id as i_agency_id,
      f.count as f_count, f.avg_rating as f_avg_rating, f.first as f_first, f.last as f_last
    from vendors v
    left join markets m on m.id = v.market_id and ${visibleSql(p, 'm')}
    left join lateral (select i.id, i.label, i.tlp, i.agency_id from identity_members im join identities i on i.id = im.identity_id where im.vendor_id = v.id and ${visibleSql(p, 'i')}) i on true
    cross join lateral (select count(*)::int as count, avg(rating)::float8 as avg_rating, min(left_at) as first, max(left_at) as last from feedback f where f.vendor_id = v.id and ${visibleSql(p, 'f')}) f
    where v.id = ${id}`.execute(db);
  const row = r.rows[0];
  if (!row) return undefined;
  const { m_id, m_name, m_slug, m_status, m_kind, i_id, i_label, i_tlp, i_agency_id, f_count, f_avg_rating, f_first, f_last, ...vendor } = row;
  return {
    vendor,
    market: m_id === null ? null : { id: m_id, name: m_name!, slug: m_slug!, status: m_status!, kind: m_kind! },
    identity: i_id === null ? null : { id: i_id, label: i_label!, tlp: i_tlp!, agency_id: i_agency_id! },
    feedback: { count: f_count, avg_rating: f_avg_rating, first: f_first, last: f_last },
  };
}

/**
 * Vendor search tiers: the exact handle, then handles containing q (trigram index from 3 characters, a prefix below
 * that), then every word (as a prefix) in the handle or profile text (tsvector).
 */
export function vendorTiers(q: string): Tier[] {
  const norm = q.normalize('NFKC').trim().toLowerCase();
  const words = prefixTsQuery(q);
  const tiers: Tier[] = [{ name: 'handle_exact', where: sql<boolean>`v.handle_norm = ${norm}`, selective: true }];
  // Handle substrings and profile words are read from their indexes first (`probe`): a search usually names one
  // account, and testing the newest ~1,000 accounts (the shared window) cost more than both index lookups.
  tiers.push({ name: 'handle', where: sql<boolean>`v.handle_norm like ${norm.length >= 3 ? `%${escapeLike(norm)}%` : `${escapeLike(norm)}%`}`, probe: true });
  if (words) tiers.push({ name: 'profile', where: sql<boolean>`v.search_tsv @@ to_tsquery('simple', ${words})`, probe: true });
  return tiers;
}

export interface VendorRow {
  id: number;
  handle: string;
  market_id: number;
  market: string;
  tlp: string;
  agency_id: number;
  first_seen: Date;
  last_seen: Date;
  rating: string | null;
  identity_id: number | null;
  k_seen: string;
  k_hits?: number;
}

/** One newest-first slice of vendor accounts (keyset order (last_seen, id) desc): see sliceSql for the modes. */
/** Its market and identity are named only if `p` may see them (a row can be marked less strictly than its market). */
export function vendorRows(db: Kysely<Database>, filters: RawBuilder<boolean>, p: Principal, tier: RawBuilder<boolean>, after: After | null, limit: number, mode: FetchMode, tag?: RawBuilder<number>): Promise<VendorRow[]> {
  return sliceSql({
    table: 'vendors',
    alias: 'v',
    // Market and identity as scalar lookups (one market per account, at most one identity: identity_members' key is
    // vendor_id), not left joins: the same answer, and each of the 3–4 queries of a search plans in about half the time.
    select: sql`v.id, v.handle, v.market_id, (select m.name from markets m where m.id = v.market_id and ${visibleSql(p, 'm')}) as market, v.tlp, v.agency_id, v.first_seen, v.last_seen, v.rating,
      (select i.id from identity_members im join identities i on i.id = im.identity_id and ${visibleSql(p, 'i')} where im.vendor_id = v.id) as identity_id, v.last_seen::text as k_seen`,
    joins: sql``,
    filters,
    tier,
    after,
    limit,
    mode,
    tag,
  })
    .execute(db)
    .then((r) => r.rows as VendorRow[]);
}

export interface LinkView {
  id: number;
  vendor_a: number;
  vendor_b: number;
  handle_a: string;
  handle_b: string;
  market_a: string | null;
  market_b: string | null;
  score: number;
  evidence: unknown;
  status: string;
  decided_by: number | null;
  decided_at: Date | null;
  tlp: string;
  agency_id: number;
}

/** Links touching any of the given accounts, with both ends' handles and markets, visible to p. */
export async function linksOf(db: RouteContext['opts']['store']['db'], p: Parameters<typeof visibleSql>[0], vendorIds: number[], status?: string): Promise<LinkView[]> {
  if (vendorIds.length === 0) return [];
  const r = await sql<LinkView>`
    select k.id, k.vendor_a, k.vendor_b, va.handle as handle_a, vb.handle as handle_b, ma.name as market_a, mb.name as market_b,
           k.score, k.evidence, k.status, k.decided_by, k.decided_at, k.tlp, k.agency_id
    from links k join vendors va on va.id = k.vendor_a join vendors vb on vb.id = k.vendor_b
    left join markets ma on ma.id = va.market_id and ${visibleSql(p, 'ma')} left join markets mb on mb.id = vb.market_id and ${visibleSql(p, 'mb')}
    where (k.vendor_a = any(${vendorIds}::int[]) or k.vendor_b = any(${vendorIds}::int[]))
      and ${visibleSql(p, 'k')} and ${visibleSql(p, 'va')} and ${visibleSql(p, 'vb')}
      ${status ? sql`and k.status = ${status}` : sql``}
    order by k.score desc limit 500`.execute(db);
  return r.rows;
}
