import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { AUTH_CACHE_TTL_MS, buildServer, MemoryCaptchaQueue, resolveApiToken, resolveSession, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie } from './helpers.ts';
import { seed } from './seed.ts';

// Sessions and tokens are cached for AUTH_CACHE_TTL_MS (src/server/auth/accounts.ts): changes made through the
// server take effect on the next request; changes made elsewhere (another process, direct SQL) within the bound.
let store: TestStore;
let app: App;

beforeAll(async () => {
  store = await openTestStore();
  await seed(store.db);
  app = await buildServer({ store, captchas: new MemoryCaptchaQueue(), webRoot: false, rateLimit: false });
  await app.ready();
});
afterAll(async () => {
  vi.useRealTimers();
  await app?.close();
  await store?.close();
});

const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/auth/me', headers });
const userId = async (username: string) => (await store.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow()).id;

describe('session and token cache', () => {
  it('a disabled user is refused on the very next request, though the session was just served from the cache', async () => {
    const admin = await loginCookie(app, 'admin-nl-pol');
    const analyst = await loginCookie(app, 'analyst-nl-pol');
    for (let i = 0; i < 3; i++) expect((await me(analyst)).statusCode).toBe(200); // cached after the first
    const r = await app.inject({ method: 'PATCH', url: `/api/users/${await userId('analyst-nl-pol')}`, headers: admin, payload: { disabled: true } });
    expect(r.statusCode).toBe(200);
    expect((await me(analyst)).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/api/vendors', headers: analyst })).statusCode).toBe(401);
  });

  it('a role change applies to the next request of a cached session', async () => {
    const admin = await loginCookie(app, 'admin-nl-pol');
    const user = await loginCookie(app, 'investigator-nl-pol');
    expect((await me(user)).json().user.role).toBe('investigator');
    expect((await me(user)).json().user.role).toBe('investigator');
    const r = await app.inject({ method: 'PATCH', url: `/api/users/${await userId('investigator-nl-pol')}`, headers: admin, payload: { role: 'analyst' } });
    expect(r.statusCode).toBe(200);
    expect((await me(user)).json().user.role).toBe('analyst');
  });

  it('logout and token revocation end a cached session or token at once', async () => {
    const user = await loginCookie(app, 'supervisor-nl-pol');
    expect((await me(user)).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: user })).statusCode).toBe(200);
    expect((await me(user)).statusCode).toBe(401);

    const admin = await loginCookie(app, 'admin-nl-pol');
    const { token, id } = (await app.inject({ method: 'POST', url: '/api/tokens', headers: admin, payload: { name: 'cache-probe', role: 'analyst', scopes: ['intel:read'] } })).json();
    const bearer = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: 'GET', url: '/api/vendors', headers: bearer })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: admin })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/vendors', headers: bearer })).statusCode).toBe(401);
  });

  it('a change made outside this process takes effect within AUTH_CACHE_TTL_MS, and expiry is honoured from the cache', async () => {
    const admin = await loginCookie(app, 'admin-de-bka');
    const { token, id } = (await app.inject({ method: 'POST', url: '/api/tokens', headers: admin, payload: { name: 'outside', role: 'analyst', scopes: ['intel:read'] } })).json();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      expect(await resolveApiToken(store.db, token)).toMatchObject({ tokenId: id });
      // Revoked by direct SQL (as another server process or an operator would): this process is not told.
      await sql`update api_tokens set revoked_at = now() where id = ${id}`.execute(store.db);
      expect(await resolveApiToken(store.db, token)).toMatchObject({ tokenId: id }); // still cached: the stated bound
      vi.setSystemTime(Date.now() + AUTH_CACHE_TTL_MS + 1);
      expect(await resolveApiToken(store.db, token)).toBeNull();

      // A session cached with its expiry is refused once the expiry passes, whatever the cache's own bound.
      const cookie = (await loginCookie(app, 'analyst-de-bka')).cookie.replace('dp_session=', '');
      const principal = await resolveSession(store.db, cookie);
      expect(principal).toMatchObject({ username: 'analyst-de-bka' });
      const row = await store.db.selectFrom('sessions').select('expires_at').where('id', '=', principal!.sessionId!).executeTakeFirstOrThrow();
      expect(await resolveSession(store.db, cookie, new Date(row.expires_at.getTime() + 1))).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
