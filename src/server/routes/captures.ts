import { z } from 'zod';
import { ACCESS, visibleSql } from '../access/policy.ts';
import { captureViewDocument, CAPTURE_VIEW_CSP, sanitizeCapture } from '../captures/sanitize.ts';
import { ApiError } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, visibleOr404, who } from './common.ts';

/** Capture metadata, and the only two ways to look at captured bytes: sanitised HTML, inside a sandboxed frame. */
export function register({ app, opts, captureBodies }: RouteContext): void {
  const db = opts.store.db;

  app.get(
    '/captures',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'capture.list' } },
      schema: { tags: ['captures'], summary: 'Evidence captures (metadata only)', querystring: z.object({ ...page, marketId: z.coerce.number().int().positive().optional(), sha256: z.string().regex(/^[0-9a-f]{64}$/).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      let sel = db.selectFrom('captures as c').select(['c.id', 'c.kind', 'c.market_id', 'c.url', 'c.http_status', 'c.content_type', 'c.payload_sha256', 'c.payload_size', 'c.fetched_at', 'c.warc_record_id', 'c.tlp']).where(visibleSql(p, 'c'));
      if (q.marketId) sel = sel.where('c.market_id', '=', q.marketId);
      if (q.sha256) sel = sel.where('c.payload_sha256', '=', q.sha256);
      return toPage(await sel.orderBy('c.fetched_at', 'desc').orderBy('c.id').limit(q.limit + 1).offset(q.offset).execute(), q.limit, q.offset);
    },
  );

  const load = async (req: { principal: Parameters<typeof who>[0] }, id: number) =>
    visibleOr404(who(req.principal), await db.selectFrom('captures').selectAll().where('id', '=', id).executeTakeFirst(), 'capture', id);

  app.get('/captures/:id', { config: { access: { ...ACCESS.intelRead, audit: 'capture.read' } }, schema: { tags: ['captures'], summary: 'Capture metadata: WARC location and digests', params: idParams } }, async (req) => {
    const c = await load(req, req.params.id);
    req.auditObject = { type: 'capture', id: String(c.id) };
    return { capture: c };
  });

  const sanitised = async (id: number, req: Parameters<typeof load>[0]) => {
    const c = await load(req, id);
    const body = await captureBodies.read(c);
    if (!body) throw new ApiError(404, 'no_payload', `the bytes of capture ${id} are not available here (WARC file missing or too large)`);
    if (body.contentType && !/html|text|xml/i.test(body.contentType))
      throw new ApiError(415, 'not_renderable', `capture ${id} is ${body.contentType}; only text and HTML are rendered (sanitised)`);
    return { c, html: sanitizeCapture(body.bytes.toString('utf8')) };
  };

  app.get('/captures/:id/sanitized', { config: { access: { ...ACCESS.intelRead, audit: 'capture.view' } }, schema: { tags: ['captures'], summary: 'The captured page as sanitised HTML (no scripts, styles, URLs or attributes)', params: idParams } }, async (req) => {
    const { c, html } = await sanitised(req.params.id, req);
    req.auditObject = { type: 'capture', id: String(c.id) };
    return { id: c.id, url: c.url, sha256: c.payload_sha256, html };
  });

  app.get('/captures/:id/view', { config: { access: { ...ACCESS.intelRead, audit: 'capture.view' } }, schema: { tags: ['captures'], summary: 'A sanitised, inert HTML document for a sandboxed frame (CSP default-src none + sandbox)', params: idParams } }, async (req, reply) => {
    const { c, html } = await sanitised(req.params.id, req);
    req.auditObject = { type: 'capture', id: String(c.id) };
    return reply
      .header('content-security-policy', CAPTURE_VIEW_CSP)
      .header('x-frame-options', 'SAMEORIGIN')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(captureViewDocument({ id: c.id, url: c.url, sha256: c.payload_sha256, fetchedAt: c.fetched_at }, html));
  });
}
