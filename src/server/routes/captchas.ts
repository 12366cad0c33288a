import { z } from 'zod';
import { ACCESS } from '../access/policy.ts';
import { dbCaptchaQueue } from '../captchas/queue.ts';
import { ApiError, conflict, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

const idParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

/** The crawler's CAPTCHA hand-off: an analyst of the crawling agency sees the parked image and types the answer. */
export function register({ app, opts }: RouteContext): void {
  const q = opts.captchas === undefined ? dbCaptchaQueue(opts.store.db) : opts.captchas;
  const queue = () => {
    if (!q) throw new ApiError(503, 'no_captcha_queue', 'no crawler CAPTCHA queue is connected to this server');
    return q;
  };
  const own = async (id: string, agencyId: number) => {
    const t = await queue().get(id);
    if (!t || t.agencyId !== agencyId) throw notFound('captcha', id);
    return t;
  };

  app.get('/captchas', { config: { access: { ...ACCESS.captcha, audit: 'captcha.list' } }, schema: { tags: ['captchas'], summary: "The agency's CAPTCHA queue; `job`: only those the collection job parked", querystring: z.object({ status: z.enum(['pending', 'solved', 'expired']).default('pending'), job: z.string().uuid().optional() }) } }, async (req) => ({
    items: await queue().list({ agencyId: who(req.principal).agencyId, status: req.query.status, ...(req.query.job ? { job: req.query.job } : {}) }),
  }));

  app.get('/captchas/:id/image', { config: { access: { ...ACCESS.captcha, audit: 'captcha.image' } }, schema: { tags: ['captchas'], summary: 'The parked CAPTCHA image', params: idParam } }, async (req, reply) => {
    await own(req.params.id, who(req.principal).agencyId);
    const img = await queue().image(req.params.id);
    if (!img) throw notFound('captcha image', req.params.id);
    if (!/^image\/(png|jpeg|gif|webp)$/.test(img.contentType)) throw new ApiError(415, 'not_an_image', `captcha ${req.params.id} is not a raster image`);
    req.auditObject = { type: 'captcha', id: req.params.id };
    return reply.type(img.contentType).header('content-security-policy', "default-src 'none'").header('cache-control', 'no-store').send(Buffer.from(img.bytes));
  });

  app.post('/captchas/:id/solve', { config: { access: { ...ACCESS.captcha, audit: 'captcha.solve' } }, schema: { tags: ['captchas'], summary: 'Answer a CAPTCHA; the crawler resumes', params: idParam, body: z.object({ answer: z.string().trim().min(1).max(64) }) } }, async (req) => {
    const p = who(req.principal);
    await own(req.params.id, p.agencyId);
    if (!(await queue().solve(req.params.id, req.body.answer, { userId: p.userId, actor: p.actor }))) throw conflict(`captcha ${req.params.id} is no longer pending`);
    req.auditObject = { type: 'captcha', id: req.params.id };
    return { id: req.params.id, status: 'solved' };
  });
}
