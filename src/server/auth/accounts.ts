import type { Kysely } from 'kysely';
import { isRole, type Role } from '../../domain/role.ts';
import type { Database } from '../../store/index.ts';
import { hashPassword, PasswordHashBusyError, verifyPassword, type ScryptParams } from './password.ts';
import { hashSecret, newSecret } from './secrets.ts';
import type { Principal } from './principal.ts';
import { clearAccount, DEFAULT_THROTTLE, recordFailure, throttleKeys, throttleWait, type ThrottlePolicy } from './throttle.ts';

export const SESSION_TTL_MS = 12 * 3600_000;

export interface NewUser {
  agencyCode: string;
  username: string;
  role: Role;
  password: string;
  displayName?: string;
}

/** Creates a user of an existing agency with a scrypt password hash. */
export async function createUser(db: Kysely<Database>, u: NewUser, params?: ScryptParams): Promise<{ id: number; agencyId: number }> {
  if (!isRole(u.role)) throw new RangeError(`unknown role ${u.role}`);
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(u.username)) throw new RangeError('username: 2-64 characters of a-z, 0-9, . _ -');
  const agency = await db.selectFrom('agencies').select('id').where('code', '=', u.agencyCode).executeTakeFirst();
  if (!agency) throw new RangeError(`no agency with code ${u.agencyCode}`);
  const taken = await db.selectFrom('users').select('id').where('username', '=', u.username).executeTakeFirst();
  if (taken) throw new RangeError(`username ${u.username} is taken`);
  const row = await db
    .insertInto('users')
    .values({
      agency_id: agency.id,
      username: u.username,
      display_name: u.displayName ?? u.username,
      role: u.role,
      password_hash: await hashPassword(u.password, params),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, agencyId: agency.id };
}

export type LoginResult =
  | { ok: true; token: string; principal: Principal; expiresAt: Date }
  | { ok: false; reason: 'throttled'; retryAfterMs: number }
  /** Too many password checks already wait (password.ts): refused before the password is looked at, for any name. */
  | { ok: false; reason: 'busy'; retryAfterMs: number }
  /** `why` is for the audit log only: the caller answers every one of these the same way. */
  | { ok: false; reason: 'invalid'; why: 'unknown-user' | 'wrong-password' | 'disabled'; userId?: number; agencyId?: number };

/**
 * Checks a password and opens a session, under login throttling (throttle.ts): while the account name, the
 * client address or the pair is delayed, the attempt is refused before any password is checked. Every other
 * failure — unknown user, wrong password, disabled account — costs the same scrypt work and the same database
 * writes and gives the same answer, so neither timing nor answers tell them apart. The scrypt check waits its turn
 * in password.ts's bounded queue (the dummy hash of an unknown user too); when that queue is full the attempt is
 * answered `busy` and counts as no failure.
 */
export async function login(
  db: Kysely<Database>,
  username: string,
  password: string,
  opts: { throttle?: ThrottlePolicy; ip?: string; now?: Date } = {},
): Promise<LoginResult> {
  const policy = opts.throttle ?? DEFAULT_THROTTLE;
  const now = opts.now ?? new Date();
  const keys = throttleKeys(username, opts.ip);
  const wait = await throttleWait(db, keys, now);
  if (wait > 0) return { ok: false, reason: 'throttled', retryAfterMs: wait };
  const user = await db
    .selectFrom('users')
    .innerJoin('agencies', 'agencies.id', 'users.agency_id')
    .select(['users.id', 'users.agency_id', 'users.username', 'users.role', 'users.password_hash', 'users.disabled', 'agencies.code'])
    .where('users.username', '=', username)
    .executeTakeFirst();
  let matches: boolean;
  try {
    matches = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
  } catch (e) {
    if (e instanceof PasswordHashBusyError) return { ok: false, reason: 'busy', retryAfterMs: e.retryAfterMs };
    throw e;
  }
  if (!user || !user.password_hash || !matches || user.disabled) {
    await recordFailure(db, keys, policy, now);
    const why = !user || !user.password_hash ? 'unknown-user' : !matches ? 'wrong-password' : 'disabled';
    return { ok: false, reason: 'invalid', why, ...(user ? { userId: user.id, agencyId: user.agency_id } : {}) };
  }
  await clearAccount(db, username, opts.ip);
  const token = newSecret('dps_');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const session = await db
    .insertInto('sessions')
    .values({ token_hash: hashSecret(token), user_id: user.id, expires_at: expiresAt, ip: opts.ip ?? '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    ok: true,
    token,
    expiresAt,
    principal: {
      kind: 'user',
      userId: user.id,
      agencyId: user.agency_id,
      agencyCode: user.code,
      role: user.role,
      actor: `user:${user.username}`,
      username: user.username,
      scopes: [],
      sessionId: session.id,
    },
  };
}

// A well-formed hash with the default scrypt parameters that no password matches, so unknown usernames cost as
// much as known ones.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/**
 * Resolved sessions and API tokens are kept in memory for at most AUTH_CACHE_TTL_MS, so a burst of requests costs
 * one lookup, not one each. Only valid answers are kept (an unknown or refused secret is looked up every time, and
 * hostile guesses fill nothing); entries are keyed by the secret's hash. Every change made through this process —
 * logout, a user disabled or given another role, a token revoked — drops the whole cache before it answers, and a
 * lookup that raced with such a change is not kept (generation check). A change made by another process (a second
 * `serve`, direct SQL) takes effect within AUTH_CACHE_TTL_MS. An expired session or token is refused from the
 * cache too (its expiry is kept with it).
 */
export const AUTH_CACHE_TTL_MS = 2_000;
let authCacheTtlMs = AUTH_CACHE_TTL_MS;
/** For benchmarks comparing with and without the cache (0 turns it off); never raised above AUTH_CACHE_TTL_MS. */
export function setAuthCacheTtl(ms: number): void {
  authCacheTtlMs = Math.max(0, Math.min(AUTH_CACHE_TTL_MS, ms));
  invalidateAuthCache();
}
const AUTH_CACHE_MAX = 10_000;
interface Cached {
  generation: number;
  principal: Principal;
  until: number;
  expiresAt: Date | null;
}
const authCaches = new WeakMap<Kysely<Database>, Map<string, Cached>>();
let authGeneration = 0;

/** Forget every cached session and token (all stores of this process). */
export function invalidateAuthCache(): void {
  authGeneration++; // every entry of an older generation is stale
}

async function cachedPrincipal(
  db: Kysely<Database>,
  key: string,
  now: Date,
  lookup: () => Promise<{ principal: Principal; expiresAt: Date | null } | null>,
): Promise<Principal | null> {
  let cache = authCaches.get(db);
  if (!cache) authCaches.set(db, (cache = new Map()));
  const hit = cache.get(key);
  if (hit && hit.generation === authGeneration && hit.until > Date.now()) {
    if (hit.expiresAt && hit.expiresAt <= now) return null;
    return { ...hit.principal };
  }
  if (hit) cache.delete(key);
  const generation = authGeneration;
  const found = await lookup();
  if (!found) return null;
  if (generation === authGeneration && authCacheTtlMs > 0) {
    if (cache.size >= AUTH_CACHE_MAX) {
      for (const [k, v] of cache) if (v.generation !== authGeneration || v.until <= Date.now()) cache.delete(k);
      if (cache.size >= AUTH_CACHE_MAX) cache.clear();
    }
    cache.set(key, { generation, principal: found.principal, until: Date.now() + authCacheTtlMs, expiresAt: found.expiresAt });
  }
  return { ...found.principal };
}

export async function resolveSession(db: Kysely<Database>, token: string, now = new Date()): Promise<Principal | null> {
  if (!token.startsWith('dps_') || token.length > 100) return null;
  return cachedPrincipal(db, hashSecret(token), now, () => lookupSession(db, token, now));
}

async function lookupSession(db: Kysely<Database>, token: string, now: Date): Promise<{ principal: Principal; expiresAt: Date } | null> {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .innerJoin('agencies', 'agencies.id', 'users.agency_id')
    .select(['sessions.id as sid', 'sessions.expires_at', 'users.id', 'users.username', 'users.role', 'users.agency_id', 'users.disabled', 'agencies.code'])
    .where('sessions.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.disabled || row.expires_at <= now) return null;
  return {
    expiresAt: row.expires_at,
    principal: {
      kind: 'user',
      userId: row.id,
      agencyId: row.agency_id,
      agencyCode: row.code,
      role: row.role,
      actor: `user:${row.username}`,
      username: row.username,
      scopes: [],
      sessionId: row.sid,
    },
  };
}

export async function endSession(db: Kysely<Database>, sessionId: number): Promise<void> {
  invalidateAuthCache();
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
  invalidateAuthCache();
}

export interface NewApiToken {
  agencyId: number;
  userId?: number | null;
  name: string;
  role: Role;
  scopes: readonly string[];
  expiresAt?: Date | null;
}

/** Issues an API token; the secret is returned once and only its hash is stored. */
export async function createApiToken(db: Kysely<Database>, t: NewApiToken): Promise<{ id: number; token: string }> {
  const token = newSecret('dpt_');
  const row = await db
    .insertInto('api_tokens')
    .values({
      agency_id: t.agencyId,
      user_id: t.userId ?? null,
      name: t.name,
      token_hash: hashSecret(token),
      role: t.role,
      scopes: [...t.scopes],
      expires_at: t.expiresAt ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

export async function resolveApiToken(db: Kysely<Database>, token: string, now = new Date()): Promise<Principal | null> {
  if (!token.startsWith('dpt_') || token.length > 100) return null;
  return cachedPrincipal(db, hashSecret(token), now, () => lookupApiToken(db, token, now));
}

async function lookupApiToken(db: Kysely<Database>, token: string, now: Date): Promise<{ principal: Principal; expiresAt: Date | null } | null> {
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('agencies', 'agencies.id', 'api_tokens.agency_id')
    .select(['api_tokens.id', 'api_tokens.name', 'api_tokens.role', 'api_tokens.scopes', 'api_tokens.agency_id', 'api_tokens.user_id', 'api_tokens.expires_at', 'api_tokens.revoked_at', 'agencies.code'])
    .where('api_tokens.token_hash', '=', hashSecret(token))
    .executeTakeFirst();
  if (!row || row.revoked_at || (row.expires_at && row.expires_at <= now)) return null;
  return {
    expiresAt: row.expires_at,
    principal: {
      kind: 'token',
      userId: row.user_id,
      agencyId: row.agency_id,
      agencyCode: row.code,
      role: row.role,
      actor: `token:${row.name}`,
      username: row.name,
      scopes: row.scopes,
      tokenId: row.id,
    },
  };
}

export async function revokeApiToken(db: Kysely<Database>, agencyId: number, id: number): Promise<boolean> {
  invalidateAuthCache();
  const r = await db
    .updateTable('api_tokens')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('agency_id', '=', agencyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  invalidateAuthCache();
  return Number(r.numUpdatedRows) > 0;
}
