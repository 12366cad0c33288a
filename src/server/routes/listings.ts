import { sql } from 'kysely';
import { z } from 'zod';
import { ACCESS, visibleSql } from '../access/policy.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, visibleOr404, who } from './common.ts';
import { escapeLike } from './markets.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/listings',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'listing.search' } },
      schema: {
        tags: ['listings'],
        summary: 'Full-text search over listing titles and descriptions (trigram / ILIKE), with filters',
        querystring: z.object({ ...page, q: z.string().max(200).optional(), marketId: z.coerce.number().int().positive().optional(), vendorId: z.coerce.number().int().positive().optional(), substance: z.string().max(100).optional(), substanceClass: z.string().max(100).optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      let sel = db
        .selectFrom('listings as l').innerJoin('markets as m', 'm.id', 'l.market_id').leftJoin('vendors as v', 'v.id', 'l.vendor_id')
        .select(['l.id', 'l.title', 'l.substance', 'l.substance_class', 'l.quantity', 'l.unit', 'l.market_id', 'm.name as market', 'l.vendor_id', 'v.handle as vendor', 'l.tlp', 'l.last_seen'])
        .where(visibleSql(p, 'l'));
      if (q.marketId) sel = sel.where('l.market_id', '=', q.marketId);
      if (q.vendorId) sel = sel.where('l.vendor_id', '=', q.vendorId);
      if (q.substance) sel = sel.where('l.substance', '=', q.substance);
      if (q.substanceClass) sel = sel.where('l.substance_class', '=', q.substanceClass);
      if (q.q) {
        const like = `%${escapeLike(q.q)}%`;
        sel = sel.where((eb) => eb.or([eb('l.title', 'ilike', like), eb('l.description', 'ilike', like)])).orderBy(sql`similarity(l.title, ${q.q})`, 'desc');
      }
      return toPage(await sel.orderBy('l.last_seen', 'desc').orderBy('l.id').limit(q.limit + 1).offset(q.offset).execute(), q.limit, q.offset);
    },
  );

  app.get('/listings/:id', { config: { access: { ...ACCESS.intelRead, audit: 'listing.read' } }, schema: { tags: ['listings'], summary: 'A listing with its price/stock/shipping time series', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const l = visibleOr404(p, await db.selectFrom('listings').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'listing', req.params.id);
    const snapshots = await db.selectFrom('listing_snapshots as s').selectAll().where('s.listing_id', '=', l.id).where(visibleSql(p, 's')).orderBy('observed_at').limit(2000).execute();
    req.auditObject = { type: 'listing', id: String(l.id) };
    return { listing: l, snapshots };
  });

  app.get(
    '/search',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'search' } },
      schema: { tags: ['listings'], summary: 'One box: listings (title, description), vendor accounts (handle, profile) and selectors', querystring: z.object({ q: z.string().trim().min(2).max(200), limit: z.coerce.number().int().min(1).max(100).default(20) }) },
    },
    async (req) => {
      const p = who(req.principal);
      const { q, limit } = req.query;
      const like = `%${escapeLike(q)}%`;
      const [listings, vendors, selectors] = await Promise.all([
        db.selectFrom('listings as l').innerJoin('markets as m', 'm.id', 'l.market_id').leftJoin('vendors as v', 'v.id', 'l.vendor_id')
          .select(['l.id', 'l.title', 'l.substance', 'm.name as market', 'l.vendor_id', 'v.handle as vendor'])
          .where(visibleSql(p, 'l')).where((eb) => eb.or([eb('l.title', 'ilike', like), eb('l.description', 'ilike', like)]))
          .orderBy(sql`similarity(l.title, ${q})`, 'desc').limit(limit).execute(),
        db.selectFrom('vendors as v').innerJoin('markets as m', 'm.id', 'v.market_id')
          .select(['v.id', 'v.handle', 'm.name as market', 'v.last_seen'])
          .where(visibleSql(p, 'v')).where((eb) => eb.or([eb('v.handle_norm', 'like', `%${escapeLike(q.toLowerCase())}%`), eb('v.profile_text', 'ilike', like)]))
          .orderBy(sql`similarity(v.handle_norm, ${q.toLowerCase()})`, 'desc').limit(limit).execute(),
        db.selectFrom('selectors as s').select(['s.id', 's.kind', 's.value']).where(visibleSql(p, 's')).where('s.value', 'ilike', like).limit(limit).execute(),
      ]);
      req.auditObject = { type: 'search', id: '', detail: { q } };
      return { q, listings, vendors, selectors };
    },
  );
}
