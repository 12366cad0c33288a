import { z } from 'zod';
import { ACCESS, visibleSql } from '../access/policy.ts';
import { createHash } from 'node:crypto';
import { captureViewDocument, CAPTURE_VIEW_CSP, safeRendering, sendInertHtml } from '../captures/sanitize.ts';
import { ApiError } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, visibleOr404, who } from './common.ts';

/**
 * Capture metadata, and the ways to look at captured bytes: an inert rendering faithful to the bytes (for the
 * sandboxed frame, or as JSON) and the raw bytes themselves, paged, for the hex view.
 */
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

  const body = async (id: number, req: Parameters<typeof load>[0]) => {
    const c = await load(req, id);
    const b = await captureBodies.read(c);
    if (!b) throw new ApiError(404, 'no_payload', `the bytes of capture ${id} are not available here (WARC file missing or too large)`);
    return { c, b };
  };

  app.get('/captures/:id/sanitized', { config: { access: { ...ACCESS.intelRead, audit: 'capture.view' } }, schema: { tags: ['captures'], summary: 'The captured payload rendered inert: HTML as the text of every element (no scripts, styles, attributes or URLs), other text as text, images as images', params: idParams } }, async (req) => {
    const { c, b } = await body(req.params.id, req);
    const r = safeRendering(b.bytes, b.contentType);
    req.auditObject = { type: 'capture', id: String(c.id) };
    return { id: c.id, url: c.url, sha256: c.payload_sha256, contentType: b.contentType, mode: r.mode, notes: r.notes, html: r.html };
  });

  app.get('/captures/:id/view', { config: { access: { ...ACCESS.intelRead, audit: 'capture.view' } }, schema: { tags: ['captures'], summary: 'The inert rendering as an HTML document for a sandboxed frame (CSP default-src none + sandbox)', params: idParams } }, async (req, reply) => {
    const { c, b } = await body(req.params.id, req);
    req.auditObject = { type: 'capture', id: String(c.id) };
    return sendInertHtml(reply, CAPTURE_VIEW_CSP, captureViewDocument({ id: c.id, url: c.url, sha256: c.payload_sha256, fetchedAt: c.fetched_at }, safeRendering(b.bytes, b.contentType)));
  });

  app.get(
    '/captures/:id/bytes',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'capture.bytes' } },
      schema: {
        tags: ['captures'],
        summary: 'The raw payload bytes (as hex), a page at a time, with the SHA-256 of the whole payload as read',
        params: idParams,
        querystring: z.object({ offset: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(0), length: z.coerce.number().int().min(1).max(MAX_BYTES_PAGE).default(4096) }),
      },
    },
    async (req) => {
      const { c, b } = await body(req.params.id, req);
      const { offset, length } = req.query;
      const page = b.bytes.subarray(Math.min(offset, b.bytes.length), Math.min(offset + length, b.bytes.length));
      req.auditObject = { type: 'capture', id: String(c.id), detail: { offset, length: page.length } };
      const sha256 = createHash('sha256').update(b.bytes).digest('hex');
      return {
        id: c.id,
        size: b.bytes.length,
        offset,
        length: page.length,
        contentType: b.contentType,
        contentEncoding: b.contentEncoding ?? null,
        sha256,
        // The recorded payload digest covers the body as sent; a body sent compressed is shown decoded.
        matchesRecordedDigest: b.contentEncoding ? null : sha256 === c.payload_sha256,
        hex: page.toString('hex'),
      };
    },
  );
}

/** Most bytes one page of the hex view carries. */
const MAX_BYTES_PAGE = 64 * 1024;
