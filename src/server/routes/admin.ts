import { sql } from 'kysely';
import { z } from 'zod';
import { ROLES } from '../../domain/role.ts';
import { verifyAuditChain } from '../../store/index.ts';
import { ACCESS, SCOPES } from '../access/policy.ts';
import { createApiToken, createUser, invalidateAuthCache, revokeApiToken } from '../auth/accounts.ts';
import { accountDelayedUntil, unthrottleAccount } from '../auth/throttle.ts';
import { badRequest, conflict, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, toPage, who } from './common.ts';

/** Agencies, users, API tokens and the audit log. Admins manage only their own agency. */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;

  app.get('/agencies', { config: { access: { ...ACCESS.intelRead, audit: 'agency.list' } }, schema: { tags: ['admin'], summary: 'Agencies of this installation (names and contact points)' } }, async () => ({
    items: await db.selectFrom('agencies').select(['id', 'code', 'name', 'country', 'contact_point']).orderBy('id').execute(),
  }));

  app.post(
    '/agencies',
    {
      config: { access: { ...ACCESS.admin, audit: 'agency.create' } },
      schema: {
        tags: ['admin'],
        summary: 'Register a federated agency',
        body: z.object({ code: z.string().regex(/^[A-Z0-9][A-Z0-9_-]{1,31}$/), name: z.string().min(1).max(200), country: z.string().regex(/^[A-Z]{2}$/), contactPoint: z.string().max(500).default('') }),
      },
    },
    async (req, reply) => {
      const b = req.body;
      if (await db.selectFrom('agencies').select('id').where('code', '=', b.code).executeTakeFirst()) throw conflict(`agency ${b.code} exists`);
      const row = await db.insertInto('agencies').values({ code: b.code, name: b.name, country: b.country, contact_point: b.contactPoint }).returningAll().executeTakeFirstOrThrow();
      req.auditObject = { type: 'agency', id: String(row.id) };
      return reply.code(201).send(row);
    },
  );

  app.get('/users', { config: { access: { ...ACCESS.admin, audit: 'user.list' } }, schema: { tags: ['admin'], summary: "Users of the admin's agency" } }, async (req) => {
    const p = who(req.principal);
    const users = await db.selectFrom('users').select(['id', 'username', 'display_name', 'role', 'disabled', 'created_at']).where('agency_id', '=', p.agencyId).orderBy('id').execute();
    const delayed = await accountDelayedUntil(db, users.map((u) => u.username));
    return { items: users.map((u) => ({ ...u, login_delayed_until: delayed.get(u.username) ?? null })) };
  });

  app.post(
    '/users',
    {
      config: { access: { ...ACCESS.admin, audit: 'user.create' } },
      schema: {
        tags: ['admin'],
        summary: "Create a user in the admin's agency",
        body: z.object({ username: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/), role: z.enum(ROLES), password: z.string().min(10).max(1024), displayName: z.string().max(200).optional() }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      try {
        const u = await createUser(db, { agencyCode: p.agencyCode, ...req.body });
        req.auditObject = { type: 'user', id: String(u.id), detail: { role: req.body.role } };
        return reply.code(201).send({ id: u.id, username: req.body.username, role: req.body.role });
      } catch (e) {
        if (e instanceof RangeError) throw badRequest(e.message);
        throw e;
      }
    },
  );

  app.patch(
    '/users/:id',
    {
      config: { access: { ...ACCESS.admin, audit: 'user.update' } },
      schema: { tags: ['admin'], summary: 'Lift login delays, disable or change the role of a user (the last enabled admin of an agency stays one)', params: idParams, body: z.object({ unlock: z.boolean().optional(), disabled: z.boolean().optional(), role: z.enum(ROLES).optional() }) },
    },
    async (req) => {
      const p = who(req.principal);
      const u = await db.selectFrom('users').select(['id', 'agency_id', 'username', 'role', 'disabled']).where('id', '=', req.params.id).executeTakeFirst();
      if (!u || u.agency_id !== p.agencyId) throw notFound('user', req.params.id);
      const set: { disabled?: boolean; role?: (typeof ROLES)[number] } = {};
      if (req.body.disabled !== undefined) set.disabled = req.body.disabled;
      if (req.body.role) set.role = req.body.role;
      if (Object.keys(set).length === 0 && !req.body.unlock) throw badRequest('nothing to change');
      // Cached sessions and tokens (auth/accounts.ts) are dropped before and after the change: no request
      // authenticated after this answer sees the old role or an enabled account.
      invalidateAuthCache();
      await db.transaction().execute(async (trx) => {
        const losesAdmin = u.role === 'admin' && !u.disabled && ((set.role !== undefined && set.role !== 'admin') || set.disabled === true);
        if (losesAdmin) {
          // Serialise with other admin changes of the agency, then count who would be left.
          await sql`select id from users where agency_id = ${u.agency_id} and role = 'admin' for update`.execute(trx);
          const others = await trx.selectFrom('users').select('id').where('agency_id', '=', u.agency_id).where('role', '=', 'admin').where('disabled', '=', false).where('id', '!=', u.id).execute();
          if (others.length === 0) throw conflict(`${u.username} is the last enabled admin of the agency: make another user admin first`);
        }
        if (Object.keys(set).length) await trx.updateTable('users').set(set).where('id', '=', u.id).execute();
        if (req.body.disabled) await trx.deleteFrom('sessions').where('user_id', '=', u.id).execute();
      });
      invalidateAuthCache();
      if (req.body.unlock) await unthrottleAccount(db, u.username);
      req.auditObject = { type: 'user', id: String(u.id), detail: req.body };
      return { ok: true };
    },
  );

  app.get('/tokens', { config: { access: { ...ACCESS.admin, audit: 'token.list' } }, schema: { tags: ['admin'], summary: 'API tokens of the agency (never their secrets)' } }, async (req) => ({
    items: await db
      .selectFrom('api_tokens')
      .select(['id', 'name', 'role', 'scopes', 'user_id', 'created_at', 'expires_at', 'revoked_at', 'last_used'])
      .where('agency_id', '=', who(req.principal).agencyId)
      .orderBy('id')
      .execute(),
  }));

  app.post(
    '/tokens',
    {
      config: { access: { ...ACCESS.admin, audit: 'token.create' } },
      schema: {
        tags: ['admin'],
        summary: 'Issue an API token for a worker or partner; the secret is shown once',
        body: z.object({ name: z.string().min(1).max(100), role: z.enum(ROLES), scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length), expiresInDays: z.number().int().min(1).max(3650).optional() }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const b = req.body;
      const t = await createApiToken(db, {
        agencyId: p.agencyId,
        userId: null,
        name: b.name,
        role: b.role,
        scopes: b.scopes,
        expiresAt: b.expiresInDays ? new Date(Date.now() + b.expiresInDays * 86_400_000) : null,
      });
      req.auditObject = { type: 'api_token', id: String(t.id), detail: { role: b.role, scopes: b.scopes } };
      return reply.code(201).send({ id: t.id, token: t.token, name: b.name, role: b.role, scopes: b.scopes });
    },
  );

  app.delete('/tokens/:id', { config: { access: { ...ACCESS.admin, audit: 'token.revoke' } }, schema: { tags: ['admin'], summary: 'Revoke a token', params: idParams } }, async (req) => {
    if (!(await revokeApiToken(db, who(req.principal).agencyId, req.params.id))) throw notFound('token', req.params.id);
    return { ok: true };
  });

  app.get(
    '/audit',
    {
      config: { access: { ...ACCESS.audit, audit: 'audit.read' } },
      schema: {
        tags: ['audit'],
        summary: "The agency's audit log, newest first",
        querystring: z.object({ ...page, action: z.string().max(100).optional(), actor: z.string().max(100).optional(), userId: z.coerce.number().int().positive().optional() }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const q = req.query;
      let sel = db
        .selectFrom('audit_log')
        .select(['id', 'at', 'actor', 'user_id', 'action', 'object_type', 'object_id', 'detail', 'hash'])
        .where('agency_id', '=', p.agencyId);
      if (q.action) sel = sel.where('action', 'like', `${q.action.replace(/[%_\\]/g, '\\$&')}%`);
      if (q.actor) sel = sel.where('actor', '=', q.actor);
      if (q.userId) sel = sel.where('user_id', '=', q.userId);
      const rows = await sel.orderBy('id', 'desc').limit(q.limit + 1).offset(q.offset).execute();
      return toPage(rows, q.limit, q.offset);
    },
  );

  app.get(
    '/audit/verify',
    { config: { access: { ...ACCESS.audit, audit: 'audit.verify' } }, schema: { tags: ['audit'], summary: "Re-compute the hash chain of the whole log; counts only the agency's own entries" } },
    async (req) => {
      const p = who(req.principal);
      // The chain spans every agency, so it is checked whole; how much other agencies did is not this agency's to know.
      const v = await verifyAuditChain(db);
      const own = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('agency_id', '=', p.agencyId).executeTakeFirstOrThrow();
      let brokenAt: { id?: number; reason: 'prev_hash' | 'hash'; ownEntry: boolean } | undefined;
      if (v.brokenAt) {
        const e = await db.selectFrom('audit_log').select('agency_id').where('id', '=', v.brokenAt.id).executeTakeFirst();
        const ownEntry = e?.agency_id === p.agencyId;
        brokenAt = ownEntry ? { id: v.brokenAt.id, reason: v.brokenAt.reason, ownEntry } : { reason: v.brokenAt.reason, ownEntry };
      }
      return { ok: v.ok, entries: Number(own.n), ...(brokenAt ? { brokenAt } : {}) };
    },
  );
}
