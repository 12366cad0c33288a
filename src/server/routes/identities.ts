import { sql } from 'kysely';
import { z } from 'zod';
import { ACCESS, canWriteRow, visibleSql } from '../access/policy.ts';
import { badRequest, conflict, forbidden } from '../errors.ts';
import { profileRevenue } from '../services/revenue.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, visibleOr404, who } from './common.ts';
import { cursorOf, keysetPage, toKeysetPage } from './keyset.ts';
import { linksOf } from './vendors.ts';

/**
 * Identities, links and the link graph. Link decisions here update `links` directly and are audited; when the link
 * stage (src/link) exposes confirm/reject/split/merge services, these handlers should call them instead.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/identities',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'identity.list' } },
      schema: { tags: ['identities'], summary: 'Identities (clusters of accounts), largest first', querystring: z.object({ ...page, q: z.string().max(200).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      // identity_sizes (migration 0522) keeps the member counts, so the page walks its index instead of counting all.
      let sel = db
        .selectFrom('identity_sizes as z')
        .innerJoin('identities as i', 'i.id', 'z.identity_id')
        .select(['i.id', 'i.label', 'i.tlp', 'i.agency_id', 'i.updated_at', 'z.members as accounts'])
        .where(visibleSql(p, 'i'));
      if (q.q) sel = sel.where('i.label', 'ilike', `%${q.q.replace(/[%_\\]/g, '\\$&')}%`);
      return toPage(await sel.orderBy('z.members', 'desc').orderBy('z.identity_id').limit(q.limit + 1).offset(q.offset).execute(), q.limit, q.offset);
    },
  );

  app.get('/identities/:id', { config: { access: { ...ACCESS.intelRead, audit: 'identity.read' } }, schema: { tags: ['identities'], summary: 'An identity: member accounts, shared selectors, link evidence, revenue', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const i = visibleOr404(p, await db.selectFrom('identities').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'identity', req.params.id);
    const members = await db
      .selectFrom('identity_members as im').innerJoin('vendors as v', 'v.id', 'im.vendor_id').leftJoin('markets as m', (j) => j.onRef('m.id', '=', 'v.market_id').on(visibleSql(p, 'm')))
      .select(['v.id', 'v.handle', 'v.market_id', 'm.name as market', 'm.status as market_status', 'v.first_seen', 'v.last_seen', 'im.added_at'])
      .where('im.identity_id', '=', i.id).where(visibleSql(p, 'v')).orderBy('v.first_seen').execute();
    const ids = members.map((m) => m.id);
    const [links, selectors, revenue] = await Promise.all([
      linksOf(db, p, ids),
      ids.length
        ? sql<{ kind: string; value: string; accounts: number }>`
            select s.kind, s.value, count(distinct ss.vendor_id)::int as accounts from selector_sightings ss join selectors s on s.id = ss.selector_id
            where ss.vendor_id = any(${ids}::int[]) and ${visibleSql(p, 'ss')} and ${visibleSql(p, 's')}
            group by s.kind, s.value order by accounts desc, s.kind limit 200`.execute(db).then((r) => r.rows)
        : Promise.resolve([]),
      profileRevenue(db, p, ids),
    ]);
    req.auditObject = { type: 'identity', id: String(i.id) };
    return { identity: i, members, links, selectors, revenue: revenue.series, revenueTotal: revenue.total };
  });

  app.post(
    '/identities/merge',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'identity.merge' } },
      schema: { tags: ['identities'], summary: 'Merge identities into the first one', body: z.object({ ids: z.array(z.number().int().positive()).min(2).max(50), label: z.string().min(1).max(200).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const ids = [...new Set(req.body.ids)];
      if (ids.length < 2) throw badRequest('give at least two different identities');
      const rows = await db.selectFrom('identities').selectAll().where('id', 'in', ids).execute();
      for (const id of ids) {
        const r = visibleOr404(p, rows.find((x) => x.id === id), 'identity', id);
        if (!canWriteRow(p, r)) throw forbidden(`identity ${id} belongs to another agency`);
      }
      const [target, ...rest] = ids as [number, ...number[]];
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('identity_members').set({ identity_id: target }).where('identity_id', 'in', rest).execute();
        await trx.deleteFrom('identities').where('id', 'in', rest).execute();
        await trx.updateTable('identities').set({ updated_at: new Date(), ...(req.body.label ? { label: req.body.label } : {}) }).where('id', '=', target).execute();
      });
      req.auditObject = { type: 'identity', id: String(target), detail: { merged: rest } };
      return { id: target, merged: rest };
    },
  );

  app.post(
    '/identities/:id/split',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'identity.split' } },
      schema: { tags: ['identities'], summary: 'Move some accounts out into a new identity', params: idParams, body: z.object({ vendorIds: z.array(z.number().int().positive()).min(1).max(500), label: z.string().min(1).max(200).optional() }) },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const i = visibleOr404(p, await db.selectFrom('identities').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'identity', req.params.id);
      if (!canWriteRow(p, i)) throw forbidden('only the owning agency may split this identity');
      const members = (await db.selectFrom('identity_members').select('vendor_id').where('identity_id', '=', i.id).execute()).map((m) => m.vendor_id);
      const moving = [...new Set(req.body.vendorIds)];
      const stray = moving.filter((v) => !members.includes(v));
      if (stray.length) throw badRequest(`accounts ${stray.join(', ')} are not members of identity ${i.id}`);
      if (moving.length === members.length) throw conflict('a split must leave at least one account behind');
      const created = await db.transaction().execute(async (trx) => {
        const n = await trx.insertInto('identities').values({ agency_id: i.agency_id, tlp: i.tlp, label: req.body.label ?? `${i.label} (split)` }).returning('id').executeTakeFirstOrThrow();
        await trx.updateTable('identity_members').set({ identity_id: n.id, added_at: new Date() }).where('vendor_id', 'in', moving).execute();
        await trx.updateTable('identities').set({ updated_at: new Date() }).where('id', '=', i.id).execute();
        return n.id;
      });
      req.auditObject = { type: 'identity', id: String(i.id), detail: { newIdentity: created, moved: moving } };
      return reply.code(201).send({ id: created, moved: moving });
    },
  );

  app.get(
    '/links',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'link.list' } },
      schema: { tags: ['links'], summary: 'Links between accounts, strongest first (keyset order (score, id) descending)', querystring: z.object({ ...keysetPage, status: z.enum(['proposed', 'confirmed', 'rejected']).optional(), minScore: z.coerce.number().min(0).max(1).default(0), vendorId: z.coerce.number().int().positive().optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      let sel = db
        .selectFrom('links as k').innerJoin('vendors as va', 'va.id', 'k.vendor_a').innerJoin('vendors as vb', 'vb.id', 'k.vendor_b')
        .select(['k.id', 'k.vendor_a', 'k.vendor_b', 'va.handle as handle_a', 'vb.handle as handle_b', 'k.score', 'k.status', 'k.evidence', 'k.tlp', 'k.decided_at'])
        .where(visibleSql(p, 'k')).where(visibleSql(p, 'va')).where(visibleSql(p, 'vb')).where('k.score', '>=', q.minScore);
      if (q.status) sel = sel.where('k.status', '=', q.status);
      if (q.vendorId) sel = sel.where((eb) => eb.or([eb('k.vendor_a', '=', q.vendorId!), eb('k.vendor_b', '=', q.vendorId!)]));
      const after = cursorOf(q, ['number', 'number']);
      if (after) sel = sel.where(sql<boolean>`(k.score, k.id) < (${after[0]}::float8, ${after[1]}::int)`);
      const rows = await sel.orderBy('k.score', 'desc').orderBy('k.id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
      return toKeysetPage(rows, q, (k) => [k.score, k.id]);
    },
  );

  for (const decision of ['confirm', 'reject'] as const) {
    app.post(
      `/links/:id/${decision}`,
      {
        config: { access: { ...ACCESS.intelWrite, audit: `link.${decision}` } },
        schema: { tags: ['links'], summary: `${decision === 'confirm' ? 'Confirm' : 'Reject'} a proposed link (analyst decision, audited)`, params: idParams, body: z.object({ note: z.string().max(2000).optional() }).optional() },
      },
      async (req) => {
        const p = who(req.principal);
        const k = visibleOr404(p, await db.selectFrom('links').selectAll().where('id', '=', req.params.id).executeTakeFirst(), 'link', req.params.id);
        if (!canWriteRow(p, k)) throw forbidden('only the owning agency may decide this link');
        const status = decision === 'confirm' ? 'confirmed' : 'rejected';
        await db.updateTable('links').set({ status, decided_by: p.userId, decided_at: new Date() }).where('id', '=', k.id).execute();
        req.auditObject = { type: 'link', id: String(k.id), detail: { from: k.status, to: status, note: req.body?.note ?? '' } };
        return { id: k.id, status };
      },
    );
  }

  app.get(
    '/graph',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'graph.read' } },
      schema: { tags: ['links'], summary: 'The link graph: accounts as nodes, links as edges (bounded)', querystring: z.object({ limit: z.coerce.number().int().min(1).max(20000).default(3000), minScore: z.coerce.number().min(0).max(1).default(0), vendorId: z.coerce.number().int().positive().optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      const edges = await sql<{ id: number; source: number; target: number; score: number; status: string }>`
        select k.id, k.vendor_a as source, k.vendor_b as target, k.score, k.status from links k
        join vendors va on va.id = k.vendor_a and ${visibleSql(p, 'va')} join vendors vb on vb.id = k.vendor_b and ${visibleSql(p, 'vb')}
        where ${visibleSql(p, 'k')} and k.score >= ${q.minScore} and k.status <> 'rejected'
        ${q.vendorId ? sql`and (k.vendor_a = ${q.vendorId} or k.vendor_b = ${q.vendorId})` : sql``}
        order by k.score desc limit ${q.limit}`.execute(db);
      const ids = [...new Set(edges.rows.flatMap((e) => [e.source, e.target]))];
      const nodes = ids.length
        ? await db.selectFrom('vendors as v').leftJoin('markets as m', (j) => j.onRef('m.id', '=', 'v.market_id').on(visibleSql(p, 'm'))).leftJoin('identity_members as im', 'im.vendor_id', 'v.id')
            .select(['v.id', 'v.handle', 'm.name as market', 'v.market_id', 'im.identity_id']).where('v.id', 'in', ids).execute()
        : [];
      return { nodes, edges: edges.rows };
    },
  );
}
