import { z } from 'zod';
import { appendAudit } from '../../store/index.ts';
import { ACCESS } from '../access/policy.ts';
import { endSession, login } from '../auth/accounts.ts';
import { SESSION_COOKIE } from '../app.ts';
import { ApiError } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;
  app.post(
    '/auth/login',
    {
      config: { access: ACCESS.public, rateLimit: { max: opts.rateLimit ? (opts.rateLimit.loginMax ?? 30) : 1e9, timeWindow: 60_000 } },
      schema: {
        tags: ['auth'],
        summary: 'Log in with a username and password; sets an HttpOnly SameSite=Strict session cookie',
        body: z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      },
    },
    async (req, reply) => {
      const r = await login(db, req.body.username, req.body.password, { lockout: opts.lockout, ip: req.ip });
      if (!r.ok) {
        await appendAudit(db, {
          agencyId: r.agencyId ?? null,
          userId: r.userId ?? null,
          actor: `login:${req.body.username.slice(0, 64)}`,
          action: r.reason === 'locked' ? 'auth.login.locked' : 'auth.login.failed',
          objectType: 'user',
          objectId: r.userId ? String(r.userId) : '',
          detail: { ip: req.ip, reason: r.reason },
        });
        if (r.reason === 'locked')
          throw new ApiError(423, 'locked', `account locked after repeated failures until ${r.lockedUntil?.toISOString()}`, { lockedUntil: r.lockedUntil });
        throw new ApiError(401, 'invalid_credentials', r.reason === 'disabled' ? 'this account is disabled' : 'wrong username or password');
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
      return { user: publicPrincipal(p) };
    },
  );

  app.post('/auth/logout', { config: { access: { ...ACCESS.self, audit: 'auth.logout' } }, schema: { tags: ['auth'], summary: 'End the session' } }, async (req, reply) => {
    const p = who(req.principal);
    if (p.sessionId) await endSession(db, p.sessionId);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/auth/me', { config: { access: { ...ACCESS.self, audit: 'auth.me' } }, schema: { tags: ['auth'], summary: 'Who am I' } }, async (req) => ({
    user: publicPrincipal(who(req.principal)),
  }));
}

function publicPrincipal(p: ReturnType<typeof who>) {
  return { kind: p.kind, id: p.userId, username: p.username, role: p.role, agencyId: p.agencyId, agencyCode: p.agencyCode, scopes: p.scopes };
}
