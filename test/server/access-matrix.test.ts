import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/role.ts';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import { buildServer, createApiToken, routeCatalog, SCOPES, type App, type RouteInfo } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { AGENCIES, seed, type AgencyCode, type Seeded } from './seed.ts';

/**
 * Every route × role × caller agency × (owner agency × TLP of the row it touches), generated from the live route
 * table. The expected answer is computed here from the written policy, independently of the server's code:
 *   other agencies see CLEAR/GREEN only; only the owner writes; partners reach only feed and self routes.
 * Every allowed answer is also scanned for the tags of rows the caller must not see.
 */
let store: TestStore;
let app: App;
let s: Seeded;
const tokens = new Map<string, string>();
const captchaIds = new Map<string, number>();

const tagOf = (agency: AgencyCode, tlp: Tlp) => `${agency}-${tlp}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const visibleRow = (caller: AgencyCode, role: Role, owner: AgencyCode, tlp: Tlp) => role !== 'partner' && (caller === owner || tlp === 'CLEAR' || tlp === 'GREEN');

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  for (const a of AGENCIES)
    for (const role of ROLES) tokens.set(`${a}:${role}`, (await createApiToken(store.db, { agencyId: s.agencyIds[a], name: `${role}-${a}`, role, scopes: SCOPES })).token);
  for (const a of AGENCIES)
    for (const tlp of TLP_LEVELS) {
      const img = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
      const r = await sql<{ id: number }>`insert into crawl_captchas (market_id, image, image_type, image_sha256, form)
        values (${s.rows[a][tlp].market}, ${img}, 'image/png', ${createHash('sha256').update(img).digest('hex')}, '{}'::jsonb) returning id`.execute(store.db);
      captchaIds.set(`${a}:${tlp}`, r.rows[0]!.id);
    }
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
}, 180_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

type Kind = 'market' | 'vendor' | 'identity' | 'link' | 'listing' | 'capture' | 'captcha' | 'user' | 'token';
/** Which owned row a parametrised route touches, from its path. */
function kindOf(url: string): Kind | null {
  if (!url.includes(':id')) return null;
  const seg = url.split('/')[2]!;
  const k = ({ markets: 'market', vendors: 'vendor', identities: 'identity', links: 'link', listings: 'listing', captures: 'capture', captchas: 'captcha', users: 'user', tokens: 'token' } as const)[seg];
  if (!k) throw new Error(`the access matrix does not know which row ${url} touches: add it to kindOf`);
  return k;
}

let seq = 0;
/** A valid body for each write route, so the only reason to refuse is access. */
function bodyFor(method: string, url: string): unknown {
  if (method === 'GET' || method === 'DELETE') return undefined;
  seq++;
  const bodies: Record<string, unknown> = {
    'POST /api/agencies': { code: `X${seq}`, name: 'x', country: 'BE' },
    'POST /api/users': { username: `u${seq}`, role: 'analyst', password: 'a long password' },
    'PATCH /api/users/:id': { unlock: true },
    'POST /api/tokens': { name: `t${seq}`, role: 'analyst', scopes: ['intel:read'] },
    'POST /api/markets/:id/events': { kind: 'up' },
    'POST /api/identities/merge': { ids: [999_998, 999_999] },
    'POST /api/identities/:id/split': { vendorIds: [999_999] },
    'POST /api/captchas/:id/solve': { answer: 'abc' },
    'POST /api/auth/logout': {},
  };
  return bodies[`${method} ${url}`] ?? {};
}

type Outcome = 'ok' | 401 | 403 | 404;
function outcomeOf(status: number, error: string | undefined): Outcome {
  if (status === 401 || status === 403) return status;
  if (status === 404 && error === 'not_found') return 404;
  if (status >= 500) throw new Error(`server error ${status}`);
  return 'ok'; // 2xx, or a semantic answer given only after access was granted (409 re-solve, 400 not a member, 404 no_payload)
}

function expected(r: RouteInfo, caller: AgencyCode | null, role: Role | null, owner?: AgencyCode, tlp?: Tlp): Outcome {
  const a = r.access!;
  if (a.public) return 'ok';
  if (!caller || !role) return 401;
  if (!a.roles.includes(role)) return 403;
  const kind = kindOf(r.url);
  if (r.url === '/api/identities/merge') return 404; // nonexistent ids: the route answers only after the role check
  if (!kind || !owner || !tlp) return 'ok';
  if (kind === 'user' || kind === 'token' || kind === 'captcha') return caller === owner ? 'ok' : 404; // agency-private
  if (!visibleRow(caller, role, owner, tlp)) return 404;
  if (r.method !== 'GET' && caller !== owner) return 403;
  return 'ok';
}

async function idFor(kind: Kind, owner: AgencyCode, tlp: Tlp): Promise<string> {
  const row = s.rows[owner][tlp];
  switch (kind) {
    case 'captcha': return String(captchaIds.get(`${owner}:${tlp}`));
    case 'user': return String((await store.db.selectFrom('users').select('id').where('username', '=', s.username(owner, 'analyst')).executeTakeFirstOrThrow()).id);
    case 'token': return String((await createApiToken(store.db, { agencyId: s.agencyIds[owner], name: 'throwaway', role: 'analyst', scopes: ['intel:read'] })).id);
    default: return String(row[kind]);
  }
}

function leaks(body: string, caller: AgencyCode, role: Role): string[] {
  const found: string[] = [];
  for (const owner of AGENCIES)
    for (const tlp of TLP_LEVELS) {
      if (visibleRow(caller, role, owner, tlp)) continue;
      if (new RegExp(`${tagOf(owner, tlp)}(?![a-z0-9-])`).test(body)) found.push(tagOf(owner, tlp));
    }
  return found;
}

describe('access-control matrix', () => {
  it('every route declares an access rule, and partners reach only feed and self routes', () => {
    const routes = routeCatalog(app).filter((r) => r.url.startsWith('/api'));
    expect(routes.length).toBeGreaterThan(30);
    for (const r of routes) {
      expect(r.access, `${r.method} ${r.url} has no access rule`).toBeDefined();
      if (r.access!.public) continue;
      expect(r.access!.roles.length).toBeGreaterThan(0);
      if (r.access!.roles.includes('partner')) expect(['feed', 'self']).toContain(r.access!.scope);
    }
  });

  it('answers every route × role × agency × TLP as the policy says, with no leak', async () => {
    const routes = routeCatalog(app).filter((r) => r.url.startsWith('/api') && r.url !== '/api/auth/login');
    const failures: string[] = [];
    let cases = 0;
    const call = async (r: RouteInfo, url: string, headers: Record<string, string>) => {
      const body = bodyFor(r.method, r.url);
      const res = await app.inject({ method: r.method as 'GET', url, headers, ...(body !== undefined ? { payload: body as object } : {}) });
      const json = String(res.headers['content-type'] ?? '').includes('json') ? (res.json() as { error?: string }) : {};
      return { res, outcome: outcomeOf(res.statusCode, json.error) };
    };
    for (const r of routes) {
      const kind = kindOf(r.url);
      const targets: [AgencyCode, Tlp][] = kind ? AGENCIES.flatMap((o) => TLP_LEVELS.map((t) => [o, t] as [AgencyCode, Tlp])) : [[AGENCIES[0], 'CLEAR']];
      for (const [owner, tlp] of targets) {
        const url = kind ? r.url.replace(':id', await idFor(kind, owner, tlp)) : r.url.replace(':id', '1');
        // anonymous
        const anon = await call(r, url, {});
        cases++;
        if (anon.outcome !== expected(r, null, null)) failures.push(`anonymous ${r.method} ${url}: got ${anon.outcome}`);
        for (const caller of AGENCIES)
          for (const role of ROLES) {
            cases++;
            const want = expected(r, caller, role, kind ? owner : undefined, kind ? tlp : undefined);
            const { res, outcome } = await call(r, url, { authorization: `Bearer ${tokens.get(`${caller}:${role}`)}` });
            if (outcome !== want) failures.push(`${role}@${caller} ${r.method} ${r.url} row ${owner}/${tlp}: expected ${want}, got ${res.statusCode} ${res.body.slice(0, 120)}`);
            else if (outcome === 'ok') {
              const l = leaks(res.body, caller, role);
              if (l.length) failures.push(`${role}@${caller} ${r.method} ${url} leaked ${l.join(', ')}`);
            }
          }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(1500);
  }, 600_000);
});
