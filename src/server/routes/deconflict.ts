import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import {
  acknowledgeBlindedHit,
  acknowledgeHit,
  BlindedMatchError,
  DeconflictError,
  detectLinkedHits,
  listBlindedNotices,
  listNotices,
  MAX_SELECTORS_PER_CALL,
  MAX_TOKENS_PER_CALL,
  OprfError,
  RateLimitedError,
  readRegistrationBudget,
  REGISTERED_SELECTOR_KINDS,
  DEFAULT_CLEAR_BUDGET,
  registerCaseSelectors,
  registerTokens,
} from '../../deconflict/index.ts';
import type { Actor } from '../../deconflict/index.ts';
import { ACCESS } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import { evaluatorFor, exchangeDb, exchangeOptions } from '../exchange/index.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, tlpEnum, toPage, who } from './common.ts';

export const actorOf = (p: Principal): Actor => ({ agencyId: p.agencyId, userId: p.userId, actor: p.actor });

/** De-confliction library errors as API answers; another agency's case answers 404 like a missing one. */
export function deconflictApiError(e: unknown, reply?: FastifyReply): unknown {
  if (e instanceof DeconflictError) return e.code === 'invalid' ? badRequest(e.message) : new ApiError(404, 'not_found', e.message.replace(/belongs to another agency/, 'does not exist or is not visible to you'));
  if (e instanceof BlindedMatchError) return badRequest(e.message);
  if (e instanceof OprfError) return badRequest(`${e.code}: ${e.message}`);
  if (e instanceof RateLimitedError) {
    if (reply && Number.isFinite(e.retryAfterMs)) void reply.header('retry-after', String(Math.max(1, Math.ceil(e.retryAfterMs / 1000))));
    return new ApiError(429, 'rate_limited', e.message, { retryAfterMs: Number.isFinite(e.retryAfterMs) ? Math.ceil(e.retryAfterMs) : null });
  }
  return e;
}

const selectorList = z.array(z.object({ kind: z.enum(REGISTERED_SELECTOR_KINDS), value: z.string().min(1).max(1024) })).min(1).max(MAX_SELECTORS_PER_CALL);
const hex64 = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a blinded element is 64 hex characters (32 bytes)');
/** `?unacknowledged=true`: only notices the agency has not acknowledged (clear and blinded listings alike). */
const noticesQuery = z.object({ unacknowledged: z.enum(['true', 'false']).optional() });
export const evaluateBody = z.object({ blindedElements: z.array(hex64).min(1).max(1000) });
export const tokensBody = z.object({
  caseRef: z.string().min(1).max(200),
  contact: z.string().min(1).max(500),
  tokens: z.array(z.string().regex(/^[0-9a-fA-F]{128}$/, 'a token is the 128-hex-character OPRF output')).min(1).max(MAX_TOKENS_PER_CALL),
});

/** Cases, clear-mode selector registration, hit/no-hit notices, and the blinded (OPRF) mode. Own agency only. */
export function register({ app, opts }: RouteContext): void {
  const db = exchangeDb(opts.store.db);
  const evaluator = evaluatorFor(opts);

  app.get(
    '/deconflict/cases',
    { config: { access: { ...ACCESS.deconflict, audit: 'case.list' } }, schema: { tags: ['deconflict'], summary: "The agency's cases", querystring: z.object({ ...page, open: z.enum(['true', 'false']).optional() }) } },
    async (req) => {
      const p = who(req.principal);
      let sel = db.selectFrom('cases').select(['id', 'reference', 'title', 'contact_point', 'tlp', 'created_at', 'closed_at']).where('agency_id', '=', p.agencyId);
      if (req.query.open === 'true') sel = sel.where('closed_at', 'is', null);
      if (req.query.open === 'false') sel = sel.where('closed_at', 'is not', null);
      return toPage(await sel.orderBy('id', 'desc').limit(req.query.limit + 1).offset(req.query.offset).execute(), req.query.limit, req.query.offset);
    },
  );

  app.post(
    '/deconflict/cases',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'case.create' } },
      schema: {
        tags: ['deconflict'],
        summary: 'Open a case (its contact point is what other agencies are told on a hit)',
        body: z.object({ reference: z.string().min(1).max(200), title: z.string().min(1).max(500), contactPoint: z.string().min(1).max(500), tlp: tlpEnum.default('AMBER') }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const b = req.body;
      if (await db.selectFrom('cases').select('id').where('agency_id', '=', p.agencyId).where('reference', '=', b.reference).executeTakeFirst()) throw conflict(`case ${b.reference} exists`);
      const row = await db
        .insertInto('cases')
        .values({ agency_id: p.agencyId, tlp: b.tlp, reference: b.reference, title: b.title, contact_point: b.contactPoint, created_by: p.userId })
        .returning(['id', 'reference', 'title', 'contact_point', 'tlp', 'created_at', 'closed_at'])
        .executeTakeFirstOrThrow();
      req.auditObject = { type: 'case', id: String(row.id) };
      return reply.code(201).send(row);
    },
  );

  const ownCase = async (p: Principal, id: number) => {
    const c = await db.selectFrom('cases').select(['id', 'agency_id', 'reference', 'title', 'contact_point', 'tlp', 'created_at', 'closed_at']).where('id', '=', id).executeTakeFirst();
    // Cases never leave their agency, whatever their marking: de-confliction tells others only who to call.
    if (!c || c.agency_id !== p.agencyId) throw notFound('case', id);
    return c;
  };

  app.get(
    '/deconflict/cases/:id',
    { config: { access: { ...ACCESS.deconflict, audit: 'case.read' } }, schema: { tags: ['deconflict'], summary: 'A case of the agency with its registered selectors', params: idParams } },
    async (req) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      const selectors = await db.selectFrom('deconflict_selectors').select(['id', 'kind', 'value', 'registered_at']).where('case_id', '=', c.id).orderBy('id').limit(10_000).execute();
      req.auditObject = { type: 'case', id: String(c.id) };
      return { case: c, selectors };
    },
  );

  app.post(
    '/deconflict/cases/:id/close',
    { config: { access: { ...ACCESS.deconflict, audit: 'case.close' } }, schema: { tags: ['deconflict'], summary: 'Close a case: its selectors stop producing hits', params: idParams } },
    async (req) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      if (!c.closed_at) await db.updateTable('cases').set({ closed_at: new Date() }).where('id', '=', c.id).execute();
      req.auditObject = { type: 'case', id: String(c.id) };
      return { ok: true };
    },
  );

  app.post(
    '/deconflict/cases/:id/selectors',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'case.selectors.register' } },
      schema: {
        tags: ['deconflict'],
        summary: 'Register selectors against a case (clear mode); answers the hit notices they raise',
        params: idParams,
        body: z.object({ selectors: selectorList }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      try {
        const r = await registerCaseSelectors(opts.store.db, actorOf(p), req.params.id, req.body.selectors, { budget: exchangeOptions(opts).clearRegistrationBudget });
        req.auditObject = { type: 'case', id: String(req.params.id), detail: { submitted: req.body.selectors.length, registered: r.registered, hits: r.notices.length } };
        return r;
      } catch (e) {
        throw deconflictApiError(e, reply);
      }
    },
  );

  app.get(
    '/deconflict/budget',
    { config: { access: { ...ACCESS.deconflict, audit: 'deconflict.budget.read' } }, schema: { tags: ['deconflict'], summary: "The agency's clear-mode registration budget: one token per submitted selector, refilled over time" } },
    async (req) => readRegistrationBudget(opts.store.db, who(req.principal).agencyId, exchangeOptions(opts).clearRegistrationBudget ?? DEFAULT_CLEAR_BUDGET),
  );

  app.get(
    '/deconflict/notices',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.notices.list' } },
      schema: { tags: ['deconflict'], summary: "Hit/no-hit notices of the agency: its case and selector, the other agency's contact point", querystring: noticesQuery },
    },
    async (req) => {
      const items = await listNotices(opts.store.db, actorOf(who(req.principal)), { unacknowledgedOnly: req.query.unacknowledged === 'true' });
      req.auditObject = { type: 'deconflict_notices', id: '', detail: { count: items.length } };
      return { items };
    },
  );

  app.post(
    '/deconflict/notices/:id/acknowledge',
    { config: { access: { ...ACCESS.deconflict, audit: 'deconflict.notice.acknowledge' } }, schema: { tags: ['deconflict'], summary: "Acknowledge the agency's side of a hit", params: idParams } },
    async (req) => {
      try {
        const notice = await acknowledgeHit(opts.store.db, actorOf(who(req.principal)), req.params.id);
        req.auditObject = { type: 'deconflict_hit', id: String(req.params.id) };
        return notice;
      } catch (e) {
        throw deconflictApiError(e);
      }
    },
  );

  app.post(
    '/deconflict/detect-linked',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.detect_linked' } },
      schema: {
        tags: ['deconflict'],
        summary: 'Look for hits that crawl data and linking created since registration (selectors tied to one identity); for every agency',
        body: z.object({ identityIds: z.array(z.number().int().positive()).max(100_000).optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const created = await detectLinkedHits(opts.store.db, p.actor, req.body.identityIds);
      req.auditObject = { type: 'deconflict', id: '', detail: { newHits: created, identities: req.body.identityIds?.length ?? 'all' } };
      // The caller learns only its own side: its unacknowledged identity notices (not how many hits others got).
      const notices = (await listNotices(opts.store.db, actorOf(p), { unacknowledgedOnly: true })).filter((n) => n.via === 'identity');
      return { notices };
    },
  );

  app.post(
    '/deconflict/oprf/evaluate',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.oprf.evaluate' } },
      schema: {
        tags: ['deconflict'],
        summary: 'Blinded mode: evaluate blinded elements with the OPRF key (RFC 9497 mode 0x00, ristretto255-SHA512), rate-limited per agency',
        body: evaluateBody,
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      try {
        const r = await evaluator.evaluate(`agency:${p.agencyCode}`, req.body.blindedElements);
        req.auditObject = { type: 'oprf', id: '', detail: { elements: req.body.blindedElements.length } };
        return r;
      } catch (e) {
        throw deconflictApiError(e, reply);
      }
    },
  );

  app.post(
    '/deconflict/blinded/tokens',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.blinded.register' } },
      schema: { tags: ['deconflict'], summary: 'Blinded mode: register OPRF outputs (never selectors) against an opaque case handle and a contact point', body: tokensBody },
    },
    async (req) => {
      const p = who(req.principal);
      try {
        const r = await registerTokens(opts.store.db, { owner: p.agencyCode, ...req.body });
        req.auditObject = { type: 'blinded_case', id: req.body.caseRef, detail: { submitted: req.body.tokens.length, registered: r.registered, hits: r.notices.length } };
        return { registered: r.registered, notices: r.notices };
      } catch (e) {
        throw deconflictApiError(e);
      }
    },
  );

  app.get(
    '/deconflict/blinded/notices',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.blinded.notices' } },
      schema: { tags: ['deconflict'], summary: "Blinded mode: the agency's hits (token id, its case handle, the other agency's contact point, its own acknowledgement)", querystring: noticesQuery },
    },
    async (req) => {
      const items = await listBlindedNotices(opts.store.db, actorOf(who(req.principal)), { unacknowledgedOnly: req.query.unacknowledged === 'true' });
      req.auditObject = { type: 'blinded_notices', id: '', detail: { count: items.length } };
      return { items };
    },
  );

  app.post(
    '/deconflict/blinded/notices/:id/acknowledge',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'deconflict.blinded.notice.acknowledge' } },
      schema: { tags: ['deconflict'], summary: "Blinded mode: acknowledge the agency's side of a hit (the other agency is not told)", params: idParams },
    },
    async (req) => {
      try {
        const notice = await acknowledgeBlindedHit(opts.store.db, actorOf(who(req.principal)), req.params.id);
        req.auditObject = { type: 'blinded_hit', id: String(req.params.id) };
        return notice;
      } catch (e) {
        throw deconflictApiError(e);
      }
    },
  );
}
