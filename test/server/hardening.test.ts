import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS, buildServer, type App } from '../../src/server/index.ts';
import type { ExchangeServerOptions } from '../../src/server/exchange/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { PASSWORD, seed, type Seeded } from './seed.ts';

/** Regression tests of the reviewer's findings 4, 7, 8 and 9 (issue 14). */
let store: TestStore;
let app: App;
let s: Seeded;
const logLines: string[] = [];
let nl: SessionHeaders;
let de: SessionHeaders;

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => (logLines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
  const opts: Parameters<typeof buildServer>[0] & ExchangeServerOptions = {
    store,
    webRoot: false,
    rateLimit: false,
    logger: { level: 'info', stream },
    exchange: { clearRegistrationBudget: { capacity: 5, refillPerSecond: 0.001 } },
  };
  app = await buildServer(opts);
  // A route that fails the way a bug would, to see what the client and the log get.
  app.get('/api/test/boom', { config: { access: ACCESS.public } }, async () => {
    throw Object.assign(new Error('syntax error at or near "secret-selector-value"'), { code: '42601', severity: 'ERROR' });
  });
  await app.ready();
  nl = await loginCookie(app, 'investigator-nl-pol');
  de = await loginCookie(app, 'analyst-de-bka');
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('4: NUL bytes, database errors and logs', () => {
  it('answers NUL bytes in a query, a path or a body with a clear 400, never a 500', async () => {
    for (const url of ['/api/search?q=%00abc', '/api/vendors?q=a%00b', '/api/listings?q=%00']) {
      const r = await app.inject({ method: 'GET', url, headers: nl });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error, url).toBe('nul_character');
    }
    const c = await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: nl, payload: { reference: 'OP-\u0000X', title: 't', contactPoint: 'c' } });
    expect(c.statusCode).toBe(400);
    expect(c.json()).toMatchObject({ error: 'nul_character' });
    expect(c.json().message).toContain('/reference');
  });

  it('answers an unexpected error with an id to quote, logs it under that id, and echoes nothing of the database', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/test/boom?q=secret-query-term' });
    expect(r.statusCode).toBe(500);
    const id = r.headers['x-request-id'] as string;
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(r.json()).toMatchObject({ error: 'internal', details: { requestId: id } });
    expect(r.json().message).toContain(id);
    expect(r.body).not.toContain('syntax error');
    const logged = logLines.map((l) => JSON.parse(l) as { reqId?: string; level: number; err?: { code?: string; message?: string } }).filter((l) => l.reqId === id);
    expect(logged.some((l) => l.level === 50 && l.err?.code === '42601')).toBe(true);
  });

  it('logs a line per request with its id, route and status, and no secret or captured content', async () => {
    await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'analyst-nl-pol', password: PASSWORD } });
    await app.inject({ method: 'GET', url: '/api/search?q=zorblax-secret-term', headers: nl });
    const cookieSecret = nl.cookie.split('=')[1]!;
    const all = logLines.join('\n');
    for (const secret of [PASSWORD, cookieSecret, nl['x-csrf-token'], 'zorblax-secret-term', 'secret-query-term', 'secret-selector-value', 'profile of nl-pol']) expect(all).not.toContain(secret);
    const done = logLines.map((l) => JSON.parse(l) as { msg: string; reqId: string; req?: { route?: string }; res?: { statusCode: number }; actor?: string }).filter((l) => l.msg === 'request completed');
    expect(done.length).toBeGreaterThan(3);
    expect(done.every((l) => /^[0-9a-f]{12}$/.test(l.reqId) && typeof l.res?.statusCode === 'number')).toBe(true);
    expect(done.some((l) => l.actor === 'user:investigator-nl-pol')).toBe(true);
  });
});

describe('7: small cross-agency leaks', () => {
  it('search results do not name an identity the caller cannot open', async () => {
    const nlId = s.agencyIds['NL-POL'];
    const secretIdentity = await store.db.insertInto('identities').values({ agency_id: nlId, tlp: 'AMBER', label: 'amber identity' }).returning('id').executeTakeFirstOrThrow();
    const v = await store.db.insertInto('vendors').values({ agency_id: nlId, tlp: 'GREEN', market_id: s.rows['NL-POL'].GREEN.market, handle: 'leakcheck-green', handle_norm: 'leakcheck-green', first_seen: new Date(), last_seen: new Date(), capture_id: s.rows['NL-POL'].AMBER.capture }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('identity_members').values({ identity_id: secretIdentity.id, vendor_id: v.id }).execute();
    const search = (await app.inject({ method: 'GET', url: '/api/search?q=leakcheck', headers: de })).json();
    expect(search.vendors.map((x: { id: number; identity_id: number | null }) => [x.id, x.identity_id])).toEqual([[v.id, null]]);
    const list = (await app.inject({ method: 'GET', url: '/api/vendors?q=leakcheck-green', headers: de })).json();
    expect(list.items[0]).toMatchObject({ id: v.id, identity_id: null });
    // The owner still sees both.
    const own = (await app.inject({ method: 'GET', url: '/api/vendors?q=leakcheck-green', headers: nl })).json();
    expect(own.items[0]).toMatchObject({ id: v.id, identity_id: secretIdentity.id });

    // A GREEN profile taken from an AMBER capture does not carry that capture's id to another agency.
    const profile = (await app.inject({ method: 'GET', url: `/api/vendors/${v.id}`, headers: de })).json();
    expect(profile.vendor.capture_id).toBeNull();
    expect(profile.identity).toBeNull();
    expect(JSON.stringify(profile)).not.toContain(`"capture_id":${s.rows['NL-POL'].AMBER.capture}`);
    expect((await app.inject({ method: 'GET', url: `/api/vendors/${v.id}`, headers: nl })).json().vendor.capture_id).toBe(s.rows['NL-POL'].AMBER.capture);
  });

  it('audit verification counts only the own agency\'s entries', async () => {
    const sup = await loginCookie(app, 'supervisor-de-bka');
    const r = (await app.inject({ method: 'GET', url: '/api/audit/verify', headers: sup })).json();
    const own = await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('agency_id', '=', s.agencyIds['DE-BKA']).executeTakeFirstOrThrow();
    const all = await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(r.ok).toBe(true);
    expect(Number(all.n)).toBeGreaterThan(Number(own.n) + 1);
    // Entries written after the count (this call's own audit) may be included: never another agency's.
    expect(r.entries).toBeGreaterThanOrEqual(Number(own.n) - 1);
    expect(r.entries).toBeLessThanOrEqual(Number(own.n));
  });
});

describe('8: clear-mode de-confliction has a budget', () => {
  it('charges every submitted selector against the agency budget and answers 429 with Retry-After past it', async () => {
    const kase = (await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: nl, payload: { reference: 'OP-BUDGET', title: 'budget', contactPoint: 'desk@nl.invalid' } })).json();
    const reg = (values: string[]) => app.inject({ method: 'POST', url: `/api/deconflict/cases/${kase.id}/selectors`, headers: nl, payload: { selectors: values.map((value) => ({ kind: 'email', value })) } });
    expect((await reg(['a@x.invalid', 'b@x.invalid', 'c@x.invalid'])).statusCode).toBe(200);
    expect((await reg(['a@x.invalid', 'd@x.invalid'])).statusCode).toBe(200); // a repeat is a guess too
    const refused = await reg(['e@x.invalid']);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    const registered = await store.db.selectFrom('deconflict_selectors' as never).select((eb) => eb.fn.countAll<number>().as('n')).where('case_id' as never, '=', kase.id as never).executeTakeFirstOrThrow();
    expect(Number(registered.n)).toBe(4);
    const many = await reg(Array.from({ length: 10_000 }, (_, i) => `g${i}@x.invalid`));
    expect(many.statusCode).toBe(429);
  });
});

describe('9: admins and request bodies', () => {
  it('refuses to demote or disable the last admin of an agency', async () => {
    const admin = await loginCookie(app, 'admin-de-bka');
    const self = await store.db.selectFrom('users').select('id').where('username', '=', 'admin-de-bka').executeTakeFirstOrThrow();
    for (const payload of [{ role: 'analyst' }, { disabled: true }]) {
      const r = await app.inject({ method: 'PATCH', url: `/api/users/${self.id}`, headers: admin, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(409);
      expect(r.json().message).toContain('last enabled admin');
    }
    const other = await store.db.selectFrom('users').select('id').where('username', '=', 'supervisor-de-bka').executeTakeFirstOrThrow();
    expect((await app.inject({ method: 'PATCH', url: `/api/users/${other.id}`, headers: admin, payload: { role: 'admin' } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'PATCH', url: `/api/users/${self.id}`, headers: admin, payload: { role: 'analyst' } })).statusCode).toBe(200);
  });

  it('refuses unknown fields in request bodies, at any depth, and bodies on routes that take none', async () => {
    const top = await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: nl, payload: { reference: 'OP-X1', title: 't', contactPoint: 'c', agency_id: 2 } });
    expect(top.statusCode).toBe(400);
    expect(top.json().message).toMatch(/agency_id/);
    const kase = (await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: nl, payload: { reference: 'OP-X2', title: 't', contactPoint: 'c' } })).json();
    const nested = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${kase.id}/selectors`, headers: nl, payload: { selectors: [{ kind: 'email', value: 'n@x.invalid', case_id: 1 }] } });
    expect(nested.statusCode).toBe(400);
    expect(nested.json().message).toMatch(/case_id/);
    const bodyless = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${kase.id}/close`, headers: nl, payload: { force: true } });
    expect(bodyless.statusCode).toBe(400);
    const plain = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${kase.id}/close`, headers: { ...nl, 'content-type': 'text/plain' }, payload: '{}' });
    expect(plain.statusCode).toBe(415);
    expect((await app.inject({ method: 'POST', url: `/api/deconflict/cases/${kase.id}/close`, headers: nl, payload: {} })).statusCode).toBe(200);
  });
});

/** Found by the attack suite (test/server/attack-suite.test.ts) on its first runs. */
describe('attack-suite findings', () => {
  const auditCount = async () => Number((await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  it("audits a route's own refusal (a 403 from the handler, not the access rule) under the caller", async () => {
    // DE's analyst may write identities (the role allows it) but not split NL's GREEN identity: the route refuses.
    const before = await store.db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow();
    const r = await app.inject({ method: 'POST', url: `/api/identities/${s.rows['NL-POL'].GREEN.identity}/split`, headers: de, payload: { vendorIds: [s.rows['NL-POL'].GREEN.vendor2] } });
    expect(r.statusCode).toBe(403);
    const entries = await store.db.selectFrom('audit_log').select(['actor', 'detail']).where('id', '>', Number(before.m ?? 0)).execute();
    expect(entries.map((e) => [e.actor, (e.detail as { status?: number }).status])).toContainEqual(['user:analyst-de-bka', 403]);
  });

  it('audits a write whose path parameter holds NUL, and answers the clear 400 (not the database error of the audit insert)', async () => {
    const before = await auditCount();
    const r = await app.inject({ method: 'POST', url: '/api/deconflict/cases/%00/close', headers: nl, payload: {} });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('nul_character');
    expect(r.body).not.toMatch(/UTF8|byte sequence|22021/);
    expect(await auditCount()).toBe(before + 1);
  });

  it('answers URLs the router cannot take, and unparsable bodies sent to no route, in the API error shape', async () => {
    const bad = await app.inject({ method: 'GET', url: '/api/vendors/%ff%fe', headers: nl });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'bad_url', message: 'the URL is not valid (bad percent-encoding)' }]);
    const long = await app.inject({ method: 'GET', url: `/api/vendors/${'9'.repeat(201)}`, headers: nl });
    expect([long.statusCode, long.json().error]).toEqual([414, 'uri_too_long']);
    const nowhere = await app.inject({ method: 'DELETE', url: '/api/tokens/%2e%2e', headers: { ...nl, 'content-type': 'application/json' }, payload: '{"a":' });
    expect([nowhere.statusCode, nowhere.json().error]).toEqual([404, 'not_found']);
  });
});
