import { z } from 'zod';
import { readThirdParty, storeThirdParty, taxiiDb, ThirdPartyImportError } from '../../exchange/index.ts';
import { ACCESS } from '../access/policy.ts';
import { ApiError, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, tlpEnum, toPage, who } from './common.ts';
import { PACKAGE_BODY_LIMIT } from './packages.ts';

/**
 * Unsigned third-party STIX (MISP, OpenCTI, OASIS examples, files from anywhere): imported as unverified
 * intelligence, apart from verified signed packages (/api/packages/import), with its source and a TLP the importer
 * chooses (raised to the bundle's own strictest marking). Imports belong to the importing agency.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.post(
    '/intel/imports',
    {
      bodyLimit: PACKAGE_BODY_LIMIT,
      config: { access: { ...ACCESS.exchange, audit: 'intel.import' } },
      schema: {
        tags: ['exchange'],
        summary: 'Import an unsigned STIX 2.1 bundle as unverified third-party intelligence (source and TLP chosen by the importer)',
        querystring: z.object({ source: z.string().min(1).max(2000), tlp: tlpEnum }),
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      try {
        const read = readThirdParty(req.body, { tlp: req.query.tlp });
        const stored = await storeThirdParty(db, { agencyId: p.agencyId, source: req.query.source, via: 'api', read, userId: p.userId });
        req.auditObject = { type: 'intel_import', id: String(stored.id), detail: { source: req.query.source, tlp: stored.tlp, objects: stored.objects, sha256: read.sha256 } };
        return await reply.code(201).send({ ...stored, verified: false, source: req.query.source, bundleId: read.result.bundleId, warnings: read.result.warnings.slice(0, 50) });
      } catch (e) {
        if (e instanceof ThirdPartyImportError) {
          req.auditObject = { type: 'intel_import', id: '', detail: { rejected: e.code, source: req.query.source } };
          throw new ApiError(422, 'intel_rejected', `${e.code}: ${e.message}`, { reason: e.code, issues: e.issues.slice(0, 20) });
        }
        throw e;
      }
    },
  );

  app.get(
    '/intel/imports',
    { config: { access: { ...ACCESS.exchange, audit: 'intel.import.list' } }, schema: { tags: ['exchange'], summary: 'Unverified third-party imports of the agency', querystring: z.object(page) } },
    async (req) => {
      const q = req.query;
      const rows = await taxiiDb(db)
        .selectFrom('intel_imports')
        .select(['id', 'tlp', 'source', 'via', 'bundle_id', 'sha256', 'summary', 'imported_at'])
        .where('agency_id', '=', who(req.principal).agencyId)
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .offset(q.offset)
        .execute();
      return toPage(rows, q.limit, q.offset);
    },
  );

  app.get('/intel/imports/:id', { config: { access: { ...ACCESS.exchange, audit: 'intel.import.read' } }, schema: { tags: ['exchange'], summary: 'One third-party import, objects as received', params: idParams } }, async (req) => {
    const row = await taxiiDb(db).selectFrom('intel_imports').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    if (!row || row.agency_id !== who(req.principal).agencyId) throw notFound('intel import', req.params.id);
    req.auditObject = { type: 'intel_import', id: String(row.id) };
    return row;
  });
}
