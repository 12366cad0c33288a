import { sql } from 'kysely';
import { z } from 'zod';
import { createCollection, publishSubject, PublishError, SubjectNotFoundError, PackageInputError, TaxiiCollectionError, ownCollection, taxiiDb } from '../../exchange/index.ts';
import { ACCESS } from '../access/policy.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { tlpEnum, who } from './common.ts';

/** Managing the TAXII server's collections: list, create (admin), publish a subject into one. */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;
  const t = taxiiDb(db);

  app.get('/taxii/collections', { config: { access: { ...ACCESS.exchange, audit: 'taxii.collection.list' } }, schema: { tags: ['taxii'], summary: "The agency's TAXII collections, with their object counts" } }, async (req) => {
    const p = who(req.principal);
    const rows = await sql<{ id: string; title: string; description: string; alias: string | null; tlp: string; partner: string | null; objects: number }>`
      select c.id::text as id, c.title, c.description, c.alias, c.tlp, a.code as partner, (select count(*)::int from taxii_objects o where o.collection_id = c.id) as objects
      from taxii_collections c left join agencies a on a.id = c.partner_agency_id
      where c.agency_id = ${p.agencyId} order by c.created_at, c.id`.execute(db);
    return { items: rows.rows };
  });

  app.post(
    '/taxii/collections',
    {
      config: { access: { ...ACCESS.admin, audit: 'taxii.collection.create' } },
      schema: {
        tags: ['taxii'],
        summary: 'Create a TAXII collection of the agency (a partner collection when partner names a partner agency)',
        body: z.object({
          title: z.string().min(1).max(300),
          description: z.string().max(5000).optional(),
          alias: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).optional(),
          tlp: tlpEnum.default('AMBER'),
          partner: z.string().min(1).max(32).optional(),
        }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const b = req.body;
      let partnerAgencyId: number | undefined;
      if (b.partner) {
        const a = await t.selectFrom('agencies').select('id').where('code', '=', b.partner.toUpperCase()).executeTakeFirst();
        if (!a) throw badRequest(`no agency ${b.partner}`);
        partnerAgencyId = a.id;
      }
      try {
        const c = await createCollection(db, { agencyId: p.agencyId, title: b.title, tlp: b.tlp, ...(b.description ? { description: b.description } : {}), ...(b.alias ? { alias: b.alias } : {}), ...(partnerAgencyId ? { partnerAgencyId } : {}) });
        req.auditObject = { type: 'taxii_collection', id: c.id, detail: { partner: b.partner ?? null, tlp: b.tlp } };
        return await reply.code(201).send(c);
      } catch (e) {
        if (e instanceof TaxiiCollectionError) throw conflict(e.message);
        throw e;
      }
    },
  );

  app.post(
    '/taxii/publish',
    {
      config: { access: { ...ACCESS.exchange, audit: 'taxii.publish' } },
      schema: {
        tags: ['taxii'],
        summary: 'Publish a vendor, identity or case (as the agency sees it) into one of its TAXII collections',
        body: z.object({ collection: z.string().min(1).max(100), kind: z.enum(['vendor', 'identity', 'case']), id: z.number().int().positive().max(2 ** 31 - 1), tlp: tlpEnum.optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const c = await ownCollection(db, p.agencyId, req.body.collection);
      if (!c) throw notFound('collection', req.body.collection);
      try {
        const r = await publishSubject(db, c, { agencyId: p.agencyId, kind: req.body.kind, id: req.body.id, ...(req.body.tlp ? { tlp: req.body.tlp } : {}) });
        req.auditObject = { type: 'taxii_collection', id: c.id, detail: { subject: `${req.body.kind}-${req.body.id}`, tlp: r.tlp, status: r.status.id, added: r.status.success_count } };
        return { status: r.status, tlp: r.tlp, omitted: r.omitted };
      } catch (e) {
        if (e instanceof SubjectNotFoundError) throw notFound(e.kind, e.id);
        if (e instanceof PackageInputError || e instanceof PublishError) throw badRequest(e.message);
        throw e;
      }
    },
  );
}
