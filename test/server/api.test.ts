import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scaleByFeedbackRate } from '../../src/analyse/index.ts';
import { API_REVENUE_OPTIONS, buildServer, DEFAULT_THROTTLE, MemoryCaptchaQueue, type App } from '../../src/server/index.ts';
import { verifyAuditChain } from '../../src/store/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie } from './helpers.ts';
import { PASSWORD, seed, type Seeded } from './seed.ts';

let store: TestStore;
let app: App;
let s: Seeded;
const captchas = new MemoryCaptchaQueue();
const warcDir = mkdtempSync(join(tmpdir(), 'dp-api-warc-'));

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, captchas, webRoot: false, warcRoot: warcDir, throttle: { ...DEFAULT_THROTTLE, pair: { free: 2, baseMs: 60_000, maxMs: 60_000 }, account: { free: 4, baseMs: 60_000, maxMs: 60_000 } }, rateLimit: false });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const lastAudit = () => store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();

describe('auth', () => {
  it('logs in with an HttpOnly SameSite=Strict cookie, answers /me, and logs out', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: s.username('NL-POL', 'analyst'), password: PASSWORD } });
    expect(r.statusCode).toBe(200);
    const c = r.cookies.find((x) => x.name === 'dp_session')!;
    expect(c.httpOnly).toBe(true);
    expect(c.sameSite).toBe('Strict');
    const stored = await store.db.selectFrom('sessions').select('token_hash').execute();
    expect(stored.some((x) => x.token_hash === c.value)).toBe(false); // only the hash is stored
    const cookie = `dp_session=${c.value}`;
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(me.json().user).toMatchObject({ username: 'analyst-nl-pol', role: 'analyst', agencyCode: 'NL-POL' });
    // The session's CSRF token comes with /me (and with login); a state-changing call without it is refused.
    const csrf = String(me.headers['x-csrf-token']);
    expect(csrf).toBe(String(r.headers['x-csrf-token']));
    const without = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(without.statusCode).toBe(403);
    expect(without.json()).toMatchObject({ error: 'csrf' });
    expect((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': 'x'.repeat(43) } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie, 'x-csrf-token': csrf } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).statusCode).toBe(401);
  });

  it('refuses a wrong password with a clear 401 and audits it', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'analyst-de-bka', password: 'wrong password!' } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: 'invalid_credentials' });
    expect(await lastAudit()).toMatchObject({ action: 'auth.login.failed', actor: 'login:analyst-de-bka' });
  });

  it('throttles failed logins by account and address with a growing delay, answering unknown and known users alike; an admin lifts it', async () => {
    const known = 'investigator-de-bka';
    const unknown = 'investigator-xx-none';
    const attempt = (username: string, password: string, ip: string) => app.inject({ method: 'POST', url: '/api/auth/login', payload: { username, password }, remoteAddress: ip });
    // From one address: two free failures per account, then that pair is delayed — for a real account and an unknown name the same way.
    for (const u of [known, unknown]) {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const r = await attempt(u, `nope-${i}-xxxxxxx`, '10.0.0.1');
        answers.push([r.statusCode, r.json().error, r.json().message.replace(/\d+ s$/, 'N s')]);
      }
      expect(answers).toEqual([
        [401, 'invalid_credentials', 'wrong username or password'],
        [401, 'invalid_credentials', 'wrong username or password'],
        [401, 'invalid_credentials', 'wrong username or password'],
        [429, 'throttled', 'too many failed logins from this address or for this account; try again in N s'],
      ]);
    }
    // The delayed pair is refused before the password is checked, even the right one, with a Retry-After.
    const delayed = await attempt(known, PASSWORD, '10.0.0.1');
    expect(delayed.statusCode).toBe(429);
    expect(Number(delayed.headers['retry-after'])).toBeGreaterThan(0);
    // The owner, from another address, is not locked out: the account itself has had 3 failures of its 4 free ones.
    expect((await attempt(known, PASSWORD, '10.0.0.2')).statusCode).toBe(200);
    // Five failures from five addresses delay the account for everyone (briefly: its cap is short) — an unknown name too.
    for (const u of [known, unknown]) {
      const codes = [];
      for (let i = 0; i < 6; i++) codes.push((await attempt(u, `nope-${i}-xxxxxxx`, `10.1.0.${i}`)).statusCode);
      expect(codes).toEqual(u === known ? [401, 401, 401, 401, 401, 429] : [401, 401, 429, 429, 429, 429]);
    }
    expect((await attempt(known, PASSWORD, '10.9.9.9')).statusCode).toBe(429);
    const audit = await store.db.selectFrom('audit_log').select(['action', 'detail']).where('actor', '=', `login:${known}`).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(audit.action).toBe('auth.login.throttled');
    const admin = await loginCookie(app, 'admin-de-bka');
    const user = await store.db.selectFrom('users').select('id').where('username', '=', known).executeTakeFirstOrThrow();
    expect((await app.inject({ method: 'PATCH', url: `/api/users/${user.id}`, headers: admin, payload: { unlock: true } })).statusCode).toBe(200);
    expect((await attempt(known, PASSWORD, '10.9.9.9')).statusCode).toBe(200);
    expect((await attempt(known, PASSWORD, '10.0.0.1')).statusCode).toBe(200);
  });

  it('answers 401 without credentials and 401 for a forged cookie', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/vendors' })).statusCode).toBe(401);
    const r = await app.inject({ method: 'GET', url: '/api/vendors', headers: { cookie: 'dp_session=dps_forged' } });
    expect(r.statusCode).toBe(401);
    expect(r.json()).toMatchObject({ error: 'unauthenticated' });
  });
});

describe('API tokens', () => {
  it('issues a scoped token shown once, enforces its scope and role, and revokes it', async () => {
    const admin = await loginCookie(app, 'admin-nl-pol');
    const r = await app.inject({ method: 'POST', url: '/api/tokens', headers: admin, payload: { name: 'postal-feed', role: 'partner', scopes: ['feed'] } });
    expect(r.statusCode).toBe(201);
    const { token, id } = r.json();
    expect(token).toMatch(/^dpt_/);
    const auth = { authorization: `Bearer ${token}` };
    const feed = await app.inject({ method: 'GET', url: '/api/feed/shipping?days=3650', headers: auth });
    expect(feed.statusCode).toBe(200);
    // partners see only CLEAR/GREEN aggregates: every seeded snapshot ships NL → DE/FR; 2 agencies × 2 shared TLPs
    expect(feed.json().flows).toEqual(expect.arrayContaining([{ from: 'NL', to: 'DE', listings: 4 }]));
    expect((await app.inject({ method: 'GET', url: '/api/vendors', headers: auth })).statusCode).toBe(403);
    const list = await app.inject({ method: 'GET', url: '/api/tokens', headers: admin });
    expect(JSON.stringify(list.json())).not.toContain(token);
    expect((await app.inject({ method: 'DELETE', url: `/api/tokens/${id}`, headers: admin })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/api/feed/shipping', headers: auth })).statusCode).toBe(401);
  });

  it('a worker token without the needed scope is refused even with the right role', async () => {
    const admin = await loginCookie(app, 'admin-nl-pol');
    const { token } = (await app.inject({ method: 'POST', url: '/api/tokens', headers: admin, payload: { name: 'reader', role: 'analyst', scopes: ['intel:read'] } })).json();
    const auth = { authorization: `Bearer ${token}` };
    expect((await app.inject({ method: 'GET', url: '/api/vendors', headers: auth })).statusCode).toBe(200);
    const r = await app.inject({ method: 'POST', url: `/api/links/${s.rows['NL-POL'].AMBER.link}/confirm`, headers: auth, payload: {} });
    expect(r.statusCode).toBe(403);
    expect(r.json().message).toContain('intel:write');
  });
});

describe('validation and errors', () => {
  it('answers 400 with {error, message, details} for bad input', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const r = await app.inject({ method: 'GET', url: '/api/vendors?limit=100000', headers: cookie });
    expect(r.statusCode).toBe(400);
    const b = r.json();
    expect(b.error).toBe('validation_failed');
    expect(b.message).toMatch(/limit/);
    expect(Array.isArray(b.details)).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/api/vendors/abc', headers: cookie })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: '' } })).json().error).toBe('validation_failed');
    expect((await app.inject({ method: 'GET', url: '/api/nothing-here', headers: cookie })).json()).toMatchObject({ error: 'not_found' });
  });

  it('hides rows of other agencies above GREEN as 404, not 403', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const r = await app.inject({ method: 'GET', url: `/api/vendors/${s.rows['DE-BKA'].AMBER.vendor}`, headers: cookie });
    expect(r.statusCode).toBe(404);
    expect(r.json().error).toBe('not_found');
  });
});

describe('audit', () => {
  it('writes every read and write with the user, and the chain verifies', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const v = s.rows['NL-POL'].RED.vendor;
    expect((await app.inject({ method: 'GET', url: `/api/vendors/${v}`, headers: cookie })).statusCode).toBe(200);
    expect(await lastAudit()).toMatchObject({ action: 'vendor.read', actor: 'user:analyst-nl-pol', object_type: 'vendor', object_id: String(v) });
    const link = s.rows['NL-POL'].AMBER.link;
    const r = await app.inject({ method: 'POST', url: `/api/links/${link}/confirm`, headers: cookie, payload: { note: 'same PGP key' } });
    expect(r.json()).toEqual({ id: link, status: 'confirmed' });
    const a = await lastAudit();
    expect(a).toMatchObject({ action: 'link.confirm', object_id: String(link) });
    expect(a.detail).toMatchObject({ from: 'proposed', to: 'confirmed', note: 'same PGP key' });
    const row = await store.db.selectFrom('links').selectAll().where('id', '=', link).executeTakeFirstOrThrow();
    expect(row.status).toBe('confirmed');
    const sup = await loginCookie(app, 'supervisor-nl-pol');
    const log = await app.inject({ method: 'GET', url: '/api/audit?action=link.&limit=5', headers: sup });
    expect(log.json().items[0]).toMatchObject({ action: 'link.confirm' });
    const verified = (await app.inject({ method: 'GET', url: '/api/audit/verify', headers: sup })).json();
    expect(verified).toMatchObject({ ok: true });
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  });

  it('audits refused calls as access.denied', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    expect((await app.inject({ method: 'GET', url: '/api/audit', headers: cookie })).statusCode).toBe(403);
    expect(await lastAudit()).toMatchObject({ action: 'access.denied', actor: 'user:analyst-nl-pol', object_id: 'GET /api/audit' });
  });
});

describe('intel routes', () => {
  it('searches listings and vendors, serves profiles, reports and the graph', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const search = (await app.inject({ method: 'GET', url: '/api/search?q=cocaine', headers: cookie })).json();
    // own agency: 5 TLPs; other agency: CLEAR+GREEN
    expect(search.listings).toHaveLength(7);
    const profile = (await app.inject({ method: 'GET', url: `/api/vendors/${s.rows['NL-POL'].AMBER.vendor}`, headers: cookie })).json();
    expect(profile.accounts).toHaveLength(2);
    expect(profile.selectors[0]).toMatchObject({ kind: 'btc_address' });
    // Revenue is src/analyse's estimate (feedback ÷ feedback rate × price × units per sale) over visible rows only.
    const est = (feedback: number) => {
      const o = API_REVENUE_OPTIONS;
      const n = scaleByFeedbackRate(feedback, o.feedbackRate, o.feedbackRateRange);
      const k = 100 * (o.unitsPerSale ?? 1);
      const r2 = (x: number) => Math.round(x * 100) / 100;
      return { period: '2025-01-01', feedback, sales: r2(n.value), usd: r2(n.value * k), usdLow: r2(n.low * k), usdHigh: r2(n.high * k) };
    };
    // The model is src/analyse's default (stock decrements where snapshots show them; one snapshot here, so every
    // feedback entry is scaled): the value is exact, the interval is the stock path's and brackets it.
    const point = (feedback: number) => {
      const { usdLow: _l, usdHigh: _h, ...e } = est(feedback);
      return expect.objectContaining(e);
    };
    const brackets = (ps: { usd: number; usdLow: number; usdHigh: number }[]) => ps.forEach((p) => expect(p.usdLow <= p.usd && p.usd <= p.usdHigh).toBe(true));
    expect(profile.revenue).toEqual([point(1)]);
    brackets(profile.revenue);
    expect(profile.revenueTotal).toMatchObject({ feedback: 1, usd: est(1).usd });
    const overview = (await app.inject({ method: 'GET', url: '/api/reports/overview?bucket=month&days=3650', headers: cookie })).json();
    expect(overview.counts.vendors).toBe(14);
    expect(overview.revenue).toEqual([point(7)]); // own agency: 5 TLPs; other agency: CLEAR+GREEN
    brackets(overview.revenue);
    expect(overview.revenueTotal).toMatchObject({ feedback: 7, usd: est(7).usd });
    const graph = (await app.inject({ method: 'GET', url: '/api/graph', headers: cookie })).json();
    expect(graph.nodes.length).toBe(graph.edges.length * 2);
    const targets = (await app.inject({ method: 'GET', url: '/api/reports/targets', headers: cookie })).json();
    expect(Object.keys(targets.items[0].factors)).toEqual(expect.arrayContaining(['revenue', 'harm', 'reach', 'persistence', 'identifiability']));
    const visibleVendors = new Set((await app.inject({ method: 'GET', url: '/api/vendors?limit=200', headers: cookie })).json().items.map((v: { id: number }) => v.id));
    for (const t of targets.items as { kind: string; id: number }[]) if (t.kind === 'vendor') expect(visibleVendors.has(t.id)).toBe(true);
    const flowMap = (await app.inject({ method: 'GET', url: '/api/reports/shipping-flows?days=3650', headers: cookie })).json();
    expect(flowMap.flows).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'NL', to: 'DE', listings: 7, fromPlace: { kind: 'country', alpha2: 'NL', numeric: '528', name: 'Netherlands' } })]));
    expect(flowMap.origins).toEqual([expect.objectContaining({ label: 'NL', listings: 7 })]);
    expect(flowMap.origins[0].revenueUsd.value).toBeCloseTo(est(7).usd, 1);
    // The CLI's reports over the API: computed by src/analyse over the caller's rows only.
    const byVendor = (await app.inject({ method: 'GET', url: '/api/reports/revenue?by=vendor&limit=1000', headers: cookie })).json();
    expect(byVendor.items.reduce((a: number, r: { feedback: number }) => a + r.feedback, 0)).toBe(7);
    expect(byVendor.items.reduce((a: number, r: { revenueUsd: { value: number } }) => a + r.revenueUsd.value, 0)).toBeCloseTo(est(7).usd, 1);
    for (const r of byVendor.items as { key: string }[]) expect(visibleVendors.has(Number(r.key))).toBe(true);
    const handles = new Map((await app.inject({ method: 'GET', url: '/api/vendors?limit=200', headers: cookie })).json().items.map((v: { id: number; handle: string; market: string }) => [String(v.id), `${v.handle} @ ${v.market}`]));
    for (const r of byVendor.items as { key: string; label: string }[]) expect(r.label).toBe(handles.get(r.key));
    expect((await app.inject({ method: 'GET', url: '/api/reports/revenue?by=planet', headers: cookie })).statusCode).toBe(400);
    const markets = (await app.inject({ method: 'GET', url: '/api/reports/markets', headers: cookie })).json();
    const visibleMarkets = new Set((await app.inject({ method: 'GET', url: '/api/markets?limit=200', headers: cookie })).json().items.map((m: { id: number }) => m.id));
    expect(markets.lifecycles.length).toBe(visibleMarkets.size);
    expect(markets.months.reduce((a: number, m: { revenueUsd: { value: number } | null }) => a + (m.revenueUsd?.value ?? 0), 0)).toBeCloseTo(est(7).usd, 1);
    const warnings = await app.inject({ method: 'GET', url: '/api/reports/warnings?windowDays=365', headers: cookie });
    expect(warnings.statusCode).toBe(200);
    expect(Array.isArray(warnings.json().items)).toBe(true);
    const page1 = (await app.inject({ method: 'GET', url: '/api/vendors?limit=5', headers: cookie })).json();
    const page2 = (await app.inject({ method: 'GET', url: `/api/vendors?limit=5&offset=${page1.nextOffset}`, headers: cookie })).json();
    expect(page1.items).toHaveLength(5);
    expect(page2.items[0].id).not.toBe(page1.items[0].id);
  });

  it('records a market seizure, updating status', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const m = s.rows['NL-POL'].GREEN.market;
    const r = await app.inject({ method: 'POST', url: `/api/markets/${m}/events`, headers: cookie, payload: { kind: 'seized', detail: 'banner' } });
    expect(r.statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `/api/markets/${m}`, headers: cookie })).json().market.status).toBe('seized');
    const other = await app.inject({ method: 'POST', url: `/api/markets/${s.rows['DE-BKA'].GREEN.market}/events`, headers: cookie, payload: { kind: 'seized' } });
    expect(other.statusCode).toBe(403);
  });

  it('merges and splits identities of the own agency', async () => {
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const a = s.rows['NL-POL'].CLEAR.identity;
    const b = s.rows['NL-POL'].GREEN.identity;
    expect((await app.inject({ method: 'POST', url: '/api/identities/merge', headers: cookie, payload: { ids: [a, b] } })).statusCode).toBe(200);
    const merged = (await app.inject({ method: 'GET', url: `/api/identities/${a}`, headers: cookie })).json();
    expect(merged.members).toHaveLength(4);
    const split = await app.inject({ method: 'POST', url: `/api/identities/${a}/split`, headers: cookie, payload: { vendorIds: [s.rows['NL-POL'].GREEN.vendor] } });
    expect(split.statusCode).toBe(201);
    expect((await app.inject({ method: 'GET', url: `/api/identities/${a}`, headers: cookie })).json().members).toHaveLength(3);
    // The list's member counts (kept by triggers, migration 0522) follow merges and splits, largest first.
    const list = (await app.inject({ method: 'GET', url: '/api/identities?limit=500', headers: cookie })).json().items as { id: number; accounts: number }[];
    const counts = await store.db.selectFrom('identity_members').select(['identity_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('identity_id').execute();
    const truth = new Map(counts.map((c) => [c.identity_id, Number(c.n)]));
    for (const i of list) expect(i.accounts, `identity ${i.id}`).toBe(truth.get(i.id) ?? 0);
    expect(list.find((i) => i.id === a)?.accounts).toBe(3);
    expect(list.find((i) => i.id === split.json().id)?.accounts).toBe(1);
    expect(list.map((i) => i.accounts)).toEqual([...list.map((i) => i.accounts)].sort((x, y) => y - x));
  });

  it('serves the CAPTCHA queue of the own agency only, and hands the answer to the crawler', async () => {
    const t = captchas.add({ agencyId: s.agencyIds['NL-POL'], tlp: 'AMBER', marketId: null, marketName: 'M', url: 'http://x.onion/login', image: { contentType: 'image/png', bytes: new Uint8Array([137, 80, 78, 71]) } });
    const nl = await loginCookie(app, 'analyst-nl-pol');
    const de = await loginCookie(app, 'analyst-de-bka');
    expect((await app.inject({ method: 'GET', url: '/api/captchas', headers: nl })).json().items.map((x: { id: string }) => x.id)).toContain(t.id);
    expect((await app.inject({ method: 'GET', url: '/api/captchas', headers: de })).json().items).toEqual([]);
    expect((await app.inject({ method: 'GET', url: `/api/captchas/${t.id}/image`, headers: de })).statusCode).toBe(404);
    const img = await app.inject({ method: 'GET', url: `/api/captchas/${t.id}/image`, headers: nl });
    expect(img.headers['content-type']).toBe('image/png');
    expect((await app.inject({ method: 'POST', url: `/api/captchas/${t.id}/solve`, headers: nl, payload: { answer: ' x7k2 ' } })).statusCode).toBe(200);
    expect(captchas.answerOf(t.id)).toBe('x7k2');
    expect((await app.inject({ method: 'POST', url: `/api/captchas/${t.id}/solve`, headers: nl, payload: { answer: 'again' } })).statusCode).toBe(409);
  });

  it('serves a captured page from its WARC record only sanitised, with a CSP that forbids everything', async () => {
    const html = '<html><head><meta http-equiv="refresh" content="0;url=http://evil.example/"><script>alert(1)</script><style>body{background:url(http://evil.example/x.png)}</style></head><body><h1 onclick="x()">Shop</h1><img src="http://evil.example/p.png" onerror="alert(2)"><a href="javascript:alert(3)">click</a><iframe src="http://evil.example/"></iframe><p style="background:url(http://evil.example/y)">price 5</p></body></html>';
    const http = `HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(html)}\r\n\r\n${html}`;
    const rec = `WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nContent-Type: application/http;msgtype=response\r\nContent-Length: ${Buffer.byteLength(http)}\r\n\r\n${http}\r\n\r\n`;
    // One gzip member per record, as the evidence recorder writes it (read back with src/evidence's reader).
    const member = gzipSync(rec);
    writeFileSync(join(warcDir, 'a.warc.gz'), member);
    const id = s.rows['NL-POL'].AMBER.capture;
    await store.db.updateTable('captures').set({ warc_file: 'a.warc.gz', warc_offset: 0, warc_length: member.length }).where('id', '=', id).execute();
    const cookie = await loginCookie(app, 'analyst-nl-pol');
    const r = await app.inject({ method: 'GET', url: `/api/captures/${id}/view`, headers: cookie });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.headers['content-security-policy']).toContain('sandbox');
    expect(r.body).toContain('Shop');
    expect(r.body).toContain('price 5');
    for (const bad of ['<script', 'alert(1)', 'onerror', 'onclick', 'http-equiv', '<img', '<iframe', 'url(http', 'href=', 'style="']) expect(r.body).not.toContain(bad);
    const path = await store.db.updateTable('captures').set({ warc_file: '../../etc/passwd' }).where('id', '=', id).execute();
    expect(path).toBeTruthy();
    expect((await app.inject({ method: 'GET', url: `/api/captures/${id}/view`, headers: cookie })).statusCode).toBe(404);
  });

  it('serves the OpenAPI document', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(r.json().openapi).toMatch(/^3\./);
    expect(Object.keys(r.json().paths)).toContain('/api/vendors/{id}');
  });
});
