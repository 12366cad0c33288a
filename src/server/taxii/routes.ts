/**
 * The TAXII 2.1 server (OASIS Standard, 10 June 2021) at /taxii2/: discovery, one API root, collections, objects,
 * manifests, single objects and their versions, status. Every resource is `application/taxii+json;version=2.1`;
 * an Accept header that admits no TAXII 2.1 answer gets 406, an Add Objects body of another type 415, every error a
 * TAXII error message. Authentication is the API's (bearer token) or HTTP Basic with an API token as password
 * (src/server/app.ts). What a caller reads is its agency view (staff) or its partner view (CLEAR/GREEN of the
 * collections addressed to it), the same filters as every other route; every call is audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  acceptsTaxii21,
  addObjects,
  collectionResource,
  canWriteCollection,
  DATE_ADDED_FIRST,
  DATE_ADDED_LAST,
  isTaxii21ContentType,
  manifestRecord,
  objectVisible,
  queryObjects,
  readStatus,
  TAXII_MEDIA_TYPE,
  TaxiiQueryError,
  visibleCollection,
  visibleCollections,
} from '../../exchange/index.ts';
import type { CollectionRow, ObjectQuery, ObjectRecord, TaxiiError, TaxiiReader } from '../../exchange/index.ts';
import { ACCESS, feedSql, visibleSql } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError } from '../errors.ts';
import { who } from '../routes/common.ts';
import type { App, ServerOptions } from '../types.ts';

export const TAXII_PREFIX = '/taxii2';
export const API_ROOT = 'darkpatrol';
/** Largest Add Objects body (the API root's max_content_length). */
export const TAXII_MAX_CONTENT = 16 * 1024 * 1024;

const taxiiError = (status: number, title: string, description: string) => new ApiError(status, title, description);

/** Which view a principal reads TAXII through: the API's access policy, not a filter of its own. */
export function taxiiReader(p: Principal): TaxiiReader {
  if (p.role === 'partner') return { kind: 'partner', agencyId: p.agencyId, objects: feedSql };
  return { kind: 'agency', agencyId: p.agencyId, canWrite: (ACCESS.exchange.roles as readonly string[]).includes(p.role), objects: (a) => visibleSql(p, a) };
}

const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));

const filterQuery = z.object({
  added_after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(1_000_000).optional(),
  next: z.string().max(200).optional(),
  'match[id]': z.string().max(100_000).optional(),
  'match[type]': z.string().max(10_000).optional(),
  'match[version]': z.string().max(10_000).optional(),
  'match[spec_version]': z.string().max(100).optional(),
});
type FilterQuery = z.infer<typeof filterQuery>;

function objectQuery(q: FilterQuery, objectId?: string): ObjectQuery {
  return {
    ...(q.added_after !== undefined ? { addedAfter: q.added_after } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.next !== undefined ? { next: q.next } : {}),
    ...(q['match[id]'] !== undefined ? { ids: list(q['match[id]']) } : {}),
    ...(q['match[type]'] !== undefined ? { types: list(q['match[type]']) } : {}),
    ...(q['match[version]'] !== undefined ? { versions: list(q['match[version]']) } : {}),
    ...(q['match[spec_version]'] !== undefined ? { specVersions: list(q['match[spec_version]']) } : {}),
    ...(objectId !== undefined ? { objectId } : {}),
  };
}

function send(reply: FastifyReply, body: unknown, status = 200) {
  return reply.code(status).header('content-type', TAXII_MEDIA_TYPE).send(Buffer.from(JSON.stringify(body)));
}

/** X-TAXII-Date-Added-First/Last: the first and last date_added of the records in this response (§3.4.1). */
function dateAddedHeaders(reply: FastifyReply, items: ObjectRecord[]): void {
  if (!items.length) return;
  void reply.header(DATE_ADDED_FIRST, items[0]!.dateAdded).header(DATE_ADDED_LAST, items[items.length - 1]!.dateAdded);
}

/** The TAXII error message resource for any error body the API produced (`{error, message}`), keeping the status. */
function toTaxiiError(status: number, payload: string): string {
  let e: { error?: string; message?: string; title?: string } = {};
  try {
    e = JSON.parse(payload) as typeof e;
  } catch {
    // not JSON: describe by status alone
  }
  if (e.title !== undefined) return payload;
  const body: TaxiiError = {
    title: e.error ?? `HTTP ${status}`,
    description: e.message ?? '',
    http_status: String(status),
    ...(e.error ? { error_code: e.error } : {}),
  };
  return JSON.stringify(body);
}

export async function registerTaxii(app: App, opts: ServerOptions): Promise<void> {
  const db = opts.store.db;
  await app.register(
    async (taxii: FastifyInstance) => {
      const t = taxii as unknown as App;
      t.addContentTypeParser('application/taxii+json', { parseAs: 'string', bodyLimit: TAXII_MAX_CONTENT }, (_req, body, done) => {
        try {
          done(null, JSON.parse(String(body)));
        } catch (err) {
          done(Object.assign(new Error(`body is not JSON: ${(err as Error).message.slice(0, 120)}`), { statusCode: 400, code: 'bad_request' }), undefined);
        }
      });
      t.addHook('onRequest', async (req, reply) => {
        if (!acceptsTaxii21(req.headers.accept)) {
          return send(reply, { title: 'not_acceptable', description: `this server answers ${TAXII_MEDIA_TYPE} only; Accept was ${String(req.headers.accept).slice(0, 200)}`, http_status: '406' } satisfies TaxiiError, 406);
        }
      });
      t.addHook('onSend', async (_req, reply, payload) => {
        if (reply.statusCode < 400) return payload;
        void reply.header('content-type', TAXII_MEDIA_TYPE);
        if (reply.statusCode === 401) void reply.header('www-authenticate', 'Basic realm="DarkPatrol TAXII", Bearer realm="DarkPatrol TAXII"');
        return toTaxiiError(reply.statusCode, typeof payload === 'string' ? payload : String(payload ?? ''));
      });
      t.setNotFoundHandler((req, reply) => send(reply, { title: 'not_found', description: `no TAXII resource ${req.method} ${req.url.split('?')[0]}`, http_status: '404' } satisfies TaxiiError, 404));

      const access = (audit: string) => ({ access: { ...ACCESS.taxii, audit } });
      const tags = ['taxii'];
      const collectionOr404 = async (req: FastifyRequest, id: string): Promise<{ reader: TaxiiReader; c: CollectionRow }> => {
        const reader = taxiiReader(who(req.principal));
        const c = await visibleCollection(db, reader, id);
        if (!c) throw taxiiError(404, 'not_found', `collection ${id.slice(0, 100)} does not exist or is not visible to you`);
        return { reader, c };
      };
      const query = async <T>(fn: () => Promise<T>): Promise<T> => {
        try {
          return await fn();
        } catch (e) {
          if (e instanceof TaxiiQueryError) throw taxiiError(400, 'bad_request', e.message);
          throw e;
        }
      };
      const collectionParams = z.object({ collection: z.string().min(1).max(100) });
      const objectParams = collectionParams.extend({ object: z.string().min(1).max(300) });

      t.get('/', { config: access('taxii.discovery'), schema: { hide: true, tags, summary: 'TAXII 2.1 discovery' } }, async (req, reply) => {
        const base = `${req.protocol}://${req.host}${TAXII_PREFIX}`;
        return send(reply, {
          title: 'DarkPatrol TAXII 2.1 server',
          description: 'STIX 2.1 intelligence of the agencies of this installation, each caller reading its own agency view.',
          default: `${base}/${API_ROOT}/`,
          api_roots: [`${base}/${API_ROOT}/`],
        });
      });

      t.get(`/${API_ROOT}/`, { config: access('taxii.api_root'), schema: { hide: true, tags, summary: 'TAXII 2.1 API root' } }, async (_req, reply) =>
        send(reply, { title: 'DarkPatrol', description: 'Collections of agency and partner intelligence', versions: [TAXII_MEDIA_TYPE], max_content_length: TAXII_MAX_CONTENT }),
      );

      t.get(`/${API_ROOT}/status/:status/`, { config: access('taxii.status'), schema: { hide: true, tags, summary: 'Status of an Add Objects request', params: z.object({ status: z.string().max(100) }) } }, async (req, reply) => {
        const s = await readStatus(db, who(req.principal).agencyId, req.params.status);
        if (!s) throw taxiiError(404, 'not_found', `status ${req.params.status.slice(0, 100)} does not exist or is not yours`);
        req.auditObject = { type: 'taxii_status', id: s.id };
        return send(reply, s);
      });

      t.get(`/${API_ROOT}/collections/`, { config: access('taxii.collections'), schema: { hide: true, tags, summary: 'Collections visible to the caller' } }, async (req, reply) => {
        const reader = taxiiReader(who(req.principal));
        const rows = await visibleCollections(db, reader);
        req.auditObject = { type: 'taxii_collection', id: '', detail: { collections: rows.length } };
        return send(reply, rows.length ? { collections: rows.map((c) => collectionResource(reader, c)) } : {});
      });

      t.get(`/${API_ROOT}/collections/:collection/`, { config: access('taxii.collection'), schema: { hide: true, tags, summary: 'One collection', params: collectionParams } }, async (req, reply) => {
        const { reader, c } = await collectionOr404(req, req.params.collection);
        req.auditObject = { type: 'taxii_collection', id: c.id };
        return send(reply, collectionResource(reader, c));
      });

      t.get(
        `/${API_ROOT}/collections/:collection/manifest/`,
        { config: access('taxii.manifest'), schema: { hide: true, tags, summary: 'Manifest of the objects the caller may see', params: collectionParams, querystring: filterQuery } },
        async (req, reply) => {
          const { reader, c } = await collectionOr404(req, req.params.collection);
          const page = await query(() => queryObjects(db, c.id, reader.objects, objectQuery(req.query)));
          req.auditObject = { type: 'taxii_collection', id: c.id, detail: { records: page.items.length, query: req.query } };
          dateAddedHeaders(reply, page.items);
          return send(reply, page.items.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.items.map(manifestRecord) } : { more: false });
        },
      );

      t.get(
        `/${API_ROOT}/collections/:collection/objects/`,
        { config: access('taxii.objects.read'), schema: { hide: true, tags, summary: 'Objects the caller may see (envelope; added_after, limit, next, match[…])', params: collectionParams, querystring: filterQuery } },
        async (req, reply) => {
          const { reader, c } = await collectionOr404(req, req.params.collection);
          const page = await query(() => queryObjects(db, c.id, reader.objects, objectQuery(req.query)));
          req.auditObject = { type: 'taxii_collection', id: c.id, detail: { objects: page.items.length, ids: page.items.slice(0, 200).map((i) => i.stixId), query: req.query } };
          dateAddedHeaders(reply, page.items);
          return send(reply, page.items.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.items.map((i) => i.object) } : { more: false });
        },
      );

      t.post(
        `/${API_ROOT}/collections/:collection/objects/`,
        {
          bodyLimit: TAXII_MAX_CONTENT,
          config: { ...access('taxii.objects.add'), bodyCheckedByHandler: true },
          schema: { hide: true, tags, summary: 'Add objects (envelope) to a collection of your agency; answered with a status resource', params: collectionParams },
        },
        async (req, reply) => {
          if (!isTaxii21ContentType(req.headers['content-type'])) throw taxiiError(415, 'unsupported_media_type', `send the envelope as ${TAXII_MEDIA_TYPE}`);
          const { reader, c } = await collectionOr404(req, req.params.collection);
          if (!canWriteCollection(reader, c)) throw taxiiError(403, 'forbidden', 'you may not add objects to this collection');
          const body = req.body as { objects?: unknown } | null;
          if (typeof body !== 'object' || body === null || Array.isArray(body) || (body.objects !== undefined && !Array.isArray(body.objects))) {
            throw taxiiError(422, 'unprocessable', 'the body must be a TAXII envelope: {"objects": [...]}');
          }
          const objects = (body.objects ?? []) as unknown[];
          if (objects.length > 10_000) throw taxiiError(413, 'too_many_objects', 'at most 10,000 objects per request');
          const p = who(req.principal);
          const status = await addObjects(db, { collection: c, objects, source: `taxii:${p.actor}` });
          req.auditObject = { type: 'taxii_collection', id: c.id, detail: { status: status.id, total: status.total_count, failures: status.failure_count } };
          return send(reply, status, 202);
        },
      );

      t.get(
        `/${API_ROOT}/collections/:collection/objects/:object/`,
        { config: access('taxii.object.read'), schema: { hide: true, tags, summary: 'One object (its versions per match[version], default last)', params: objectParams, querystring: filterQuery } },
        async (req, reply) => {
          const { reader, c } = await collectionOr404(req, req.params.collection);
          if (!(await objectVisible(db, c.id, reader.objects, req.params.object))) throw taxiiError(404, 'not_found', `object ${req.params.object.slice(0, 120)} is not in this collection or not visible to you`);
          const page = await query(() => queryObjects(db, c.id, reader.objects, objectQuery(req.query, req.params.object)));
          req.auditObject = { type: 'taxii_object', id: req.params.object, detail: { collection: c.id, versions: page.items.length } };
          dateAddedHeaders(reply, page.items);
          return send(reply, page.items.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), objects: page.items.map((i) => i.object) } : { more: false });
        },
      );

      t.get(
        `/${API_ROOT}/collections/:collection/objects/:object/versions/`,
        { config: access('taxii.object.versions'), schema: { hide: true, tags, summary: 'Versions of one object the caller may see', params: objectParams, querystring: filterQuery.pick({ added_after: true, limit: true, next: true, 'match[spec_version]': true }) } },
        async (req, reply) => {
          const { reader, c } = await collectionOr404(req, req.params.collection);
          if (!(await objectVisible(db, c.id, reader.objects, req.params.object))) throw taxiiError(404, 'not_found', `object ${req.params.object.slice(0, 120)} is not in this collection or not visible to you`);
          const page = await query(() => queryObjects(db, c.id, reader.objects, { ...objectQuery(req.query, req.params.object), versions: ['all'] }));
          req.auditObject = { type: 'taxii_object', id: req.params.object, detail: { collection: c.id, versions: page.items.length } };
          dateAddedHeaders(reply, page.items);
          return send(reply, page.items.length ? { more: page.more, ...(page.next ? { next: page.next } : {}), versions: page.items.map((i) => i.version) } : { more: false });
        },
      );
    },
    { prefix: TAXII_PREFIX },
  );
}
