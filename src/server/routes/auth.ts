import { z } from 'zod';
import { appendAudit } from '../../store/index.ts';
import { ACCESS } from '../access/policy.ts';
import { endSession, login } from '../auth/accounts.ts';
import { CSRF_HEADER, csrfTokenFor } from '../auth/csrf.ts';
import { SESSION_COOKIE } from '../app.ts';
import { ApiError } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;
  app.post(
    '/auth/login',
    {
      // 30 a minute per client unless configured otherwise; throttling per account and address comes on top.
      config: { access: ACCESS.public, rateLimit: { max: opts.rateLimit === false ? 1e9 : (opts.rateLimit?.loginMax ?? 30), timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password; sets an HttpOnly SameSite=Strict session cookie and answers the session CSRF token in X-CSRF-Token',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      },
    },
    async (req, reply) => {
      const r = await login(db, req.body.username, req.body.password, { throttle: opts.throttle, ip: req.ip });
      if (!r.ok) {
        await appendAudit(db, {
          agencyId: r.reason === 'invalid' ? (r.agencyId ?? null) : null,
          userId: r.reason === 'invalid' ? (r.userId ?? null) : null,
          actor: `login:${req.body.username.slice(0, 64)}`,
          action: r.reason === 'throttled' ? 'auth.login.throttled' : r.reason === 'busy' ? 'auth.login.busy' : 'auth.login.failed',
          objectType: 'user',
          objectId: r.reason === 'invalid' && r.userId ? String(r.userId) : '',
          detail: { ip: req.ip, reason: r.reason === 'invalid' ? r.why : r.reason },
        });
        if (r.reason === 'throttled') {
          const s = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
          void reply.header('retry-after', String(s));
          throw new ApiError(429, 'throttled', `too many failed logins from this address or for this account; try again in ${s} s`, { retryAfterMs: r.retryAfterMs });
        }
        if (r.reason === 'busy') {
          const s = Math.max(1, Math.ceil(r.retryAfterMs / 1000));
          void reply.header('retry-after', String(s));
          throw new ApiError(503, 'login_busy', `too many logins are being checked right now; try again in ${s} s`, { retryAfterMs: r.retryAfterMs });
        }
        throw new ApiError(401, 'invalid_credentials', 'wrong username or password');
      }
      const p = r.principal;
      await appendAudit(db, { agencyId: p.agencyId, userId: p.userId, actor: p.actor, action: 'auth.login', objectType: 'user', objectId: String(p.userId), detail: { ip: req.ip } });
      void reply.setCookie(SESSION_COOKIE, r.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: opts.secureCookies ?? false,
        path: '/',
        expires: r.expiresAt,
      });
      void reply.header(CSRF_HEADER, csrfTokenFor(r.token));
      return { user: publicPrincipal(p) };
    },
  );

  app.post('/auth/logout', { config: { access: { ...ACCESS.self, audit: 'auth.logout' } }, schema: { tags: ['auth'], summary: 'End the session' } }, async (req, reply) => {
    const p = who(req.principal);
    if (p.sessionId) await endSession(db, p.sessionId);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/auth/me', { config: { access: { ...ACCESS.self, audit: 'auth.me' } }, schema: { tags: ['auth'], summary: 'Who am I (with a session: its CSRF token in X-CSRF-Token)' } }, async (req, reply) => {
    if (req.sessionToken) void reply.header(CSRF_HEADER, csrfTokenFor(req.sessionToken));
    return { user: publicPrincipal(who(req.principal)) };
  });
}

function publicPrincipal(p: ReturnType<typeof who>) {
  return { kind: p.kind, id: p.userId, username: p.username, role: p.role, agencyId: p.agencyId, agencyCode: p.agencyCode, scopes: p.scopes };
}
