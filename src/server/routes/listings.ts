import { sql, type Kysely, type RawBuilder } from 'kysely';
import { z } from 'zod';
import { ACCESS, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { hideInvisibleRefs } from '../access/refs.ts';
import type { RouteContext } from '../types.ts';
import type { Database } from '../../store/index.ts';
import { idParams, visibleOr404, who } from './common.ts';
import { keysetPage, prefixTsQuery, sliceSql, tieredPage, type After, type FetchMode, type Tier } from './keyset.ts';
import { escapeLike } from './markets.ts';
import { vendorRows, vendorTiers } from './vendors.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/listings',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'listing.search' } },
      schema: {
        tags: ['listings'],
        summary: 'Listings, newest first; with q, full-text search (all words, as prefixes): title matches rank before description-only matches',
        querystring: z.object({ ...keysetPage, q: z.string().max(200).optional(), marketId: z.coerce.number().int().positive().optional(), vendorId: z.coerce.number().int().positive().optional(), substance: z.string().max(100).optional(), substanceClass: z.string().max(100).optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      const filters = sql.join<boolean>(
        [
          visibleSql(p, 'l'),
          q.marketId ? sql`l.market_id = ${q.marketId}` : null,
          q.vendorId ? sql`l.vendor_id = ${q.vendorId}` : null,
          q.substance ? sql`lower(l.substance) = lower(${q.substance})` : null,
          q.substanceClass ? sql`l.substance_class = ${q.substanceClass}` : null,
        ].filter((x) => x !== null),
        sql` and `,
      );
      const tiers = q.q === undefined || q.q.trim() === '' ? [{ name: '', where: sql<boolean>`true` }] : listingTiers(q.q);
      return tieredPage(tiers, (where, after, limit, mode) => listingRows(db, filters, p, where, after, limit, mode), q);
    },
  );

  app.get('/listings/:id', { config: { access: { ...ACCESS.intelRead, audit: 'listing.read' } }, schema: { tags: ['listings'], summary: 'A listing with its price/stock/shipping time series', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const l = visibleOr404(p, await db.selectFrom('listings').select(LISTING_COLUMNS).where('id', '=', req.params.id).executeTakeFirst(), 'listing', req.params.id);
    await hideInvisibleRefs(db, p, [l], { capture_id: 'captures', vendor_id: 'vendors' });
    const snapshots = await db.selectFrom('listing_snapshots as s').selectAll().where('s.listing_id', '=', l.id).where(visibleSql(p, 's')).orderBy('observed_at').limit(2000).execute();
    req.auditObject = { type: 'listing', id: String(l.id) };
    return { listing: l, snapshots };
  });

  app.get(
    '/search',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'search' } },
      schema: { tags: ['listings'], summary: 'One box: listings (full text), vendor accounts (handle, then profile text) and selectors (substring, 3+ characters)', querystring: z.object({ q: z.string().trim().min(2).max(200), limit: z.coerce.number().int().min(1).max(100).default(20) }) },
    },
    async (req) => {
      const p = who(req.principal);
      const { q, limit } = req.query;
      const [listings, vendors, selectors] = await Promise.all([
        tieredPage(listingTiers(q), (where, after, n, mode) => listingRows(db, visibleSql(p, 'l'), p, where, after, n, mode), { limit, offset: 0 }).then((r) => r.items),
        tieredPage(vendorTiers(q), (where, after, n, mode, tag) => vendorRows(db, visibleSql(p, 'v'), p, where, after, n, mode, tag), { limit, offset: 0 }).then((r) => r.items),
        // Substrings of selector values (addresses, keys, e-mails: short strings, trigram-indexed) from 3 characters.
        q.length >= 3
          ? db.selectFrom('selectors as s').select(['s.id', 's.kind', 's.value']).where(visibleSql(p, 's')).where('s.value', 'ilike', `%${escapeLike(q)}%`).limit(limit).execute()
          : Promise.resolve([]),
      ]);
      req.auditObject = { type: 'search', id: '', detail: { q } };
      return { q, listings, vendors, selectors };
    },
  );
}

/** Every listing column but the search vector. */
const LISTING_COLUMNS = ['id', 'agency_id', 'tlp', 'market_id', 'vendor_id', 'external_id', 'title', 'description', 'category', 'substance_class', 'substance', 'dose', 'quantity', 'unit', 'first_seen', 'last_seen', 'capture_id', 'adapter'] as const;

/** Title matches (every word in the title) rank before matches anywhere; nothing searchable matches nothing. */
export function listingTiers(q: string): Tier[] {
  const words = prefixTsQuery(q);
  if (!words) return [{ name: 'title', where: sql<boolean>`false` }];
  return [
    // listings.title_tsv: the title's stored tsvector and its GIN index (migration 0523)
    { name: 'title', where: sql<boolean>`l.title_tsv @@ to_tsquery('simple', ${words})` },
    { name: 'text', where: sql<boolean>`l.search_tsv @@ to_tsquery('simple', ${words})` },
  ];
}

export interface ListingRow {
  id: number;
  title: string;
  substance: string | null;
  substance_class: string | null;
  quantity: number | null;
  unit: string | null;
  market_id: number;
  market: string | null;
  vendor_id: number | null;
  vendor: string | null;
  tlp: string;
  last_seen: Date;
  k_seen: string;
  k_hits?: number;
}

/** One newest-first slice of listings (keyset order (last_seen, id) desc): see sliceSql for the modes. */
export function listingRows(db: Kysely<Database>, filters: RawBuilder<boolean>, p: Principal, tier: RawBuilder<boolean>, after: After | null, limit: number, mode: FetchMode): Promise<ListingRow[]> {
  return sliceSql({
    table: 'listings',
    alias: 'l',
    // Market and vendor as scalar lookups by key, not left joins: the same answer (null when not visible to p), and
    // the query plans in about half the time (planning was most of a search tier's cost on PostgreSQL).
    select: sql`l.id, l.title, l.substance, l.substance_class, l.quantity, l.unit, l.market_id, (select m.name from markets m where m.id = l.market_id and ${visibleSql(p, 'm')}) as market,
      l.vendor_id, (select v.handle from vendors v where v.id = l.vendor_id and ${visibleSql(p, 'v')}) as vendor, l.tlp, l.last_seen, l.last_seen::text as k_seen`,
    joins: sql``,
    filters,
    tier,
    after,
    limit,
    mode,
  })
    .execute(db)
    .then((r) => r.rows as ListingRow[]);
}
