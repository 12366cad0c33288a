import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/role.ts';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import { blindingClient } from '../../src/deconflict/index.ts';
import { exportPublicKeyJwk, generateAgencyKeyPair } from '../../src/exchange/index.ts';
import { buildServer, createApiToken, routeCatalog, SCOPES, type App, type RouteInfo } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { kindOf, leaks, newOwnedId, PRIVATE_KINDS, seedOwned, UNMARKED_KINDS, visibleRow, type Kind, type Owned } from './owned.ts';
import { AGENCIES, seed, type AgencyCode, type Seeded } from './seed.ts';

/**
 * Every route × role × caller agency × (owner agency × TLP of the row it touches), generated from the live route
 * table. The expected answer is computed from the written policy (test/server/owned.ts), independently of the
 * server's code: other agencies see CLEAR/GREEN only; only the owner writes; partners reach only feed and self routes.
 * Every allowed answer is also scanned for the tags of rows the caller must not see.
 */
let store: TestStore;
let app: App;
let s: Seeded;
let owned: Owned;
const tokens = new Map<string, string>();

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  for (const a of AGENCIES)
    for (const role of ROLES) tokens.set(`${a}:${role}`, (await createApiToken(store.db, { agencyId: s.agencyIds[a], name: `${role}-${a}`, role, scopes: SCOPES })).token);
  owned = await seedOwned(store, s);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

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
    'POST /api/deconflict/cases': { reference: `m${seq}`, title: 'matrix', contactPoint: 'matrix@x.invalid' },
    'POST /api/deconflict/cases/:id/selectors': { selectors: [{ kind: 'email', value: `m${seq}@matrix.invalid` }] },
    'POST /api/cases/:id/evidence': { captureIds: [999_999] },
    'POST /api/deconflict/oprf/evaluate': { blindedElements: [blindingClient.prepare('email', `m${seq}@x.invalid`).request.blindedElement] },
    'POST /api/deconflict/blinded/tokens': { caseRef: `m${seq}`, contact: 'matrix@x.invalid', tokens: [seq.toString(16).padStart(128, '0')] },
    'POST /api/exchange/trusted-keys': { jwk: exportPublicKeyJwk(generateAgencyKeyPair(`TK-${seq}`)) },
    'POST /api/packages/export': { kind: 'vendor', id: s.rows[AGENCIES[0]].CLEAR.vendor },
    'POST /api/federation/peers': { name: `p${seq}`, baseUrl: 'http://127.0.0.1:9', installationId: `dp-x${seq}`, jwk: exportPublicKeyJwk(generateAgencyKeyPair(`PX-${seq}`)) },
    'POST /api/federation/peers/:id/packages': { kind: 'vendor', id: s.rows[AGENCIES[0]].CLEAR.vendor },
    'POST /api/federation/inbound/oprf/evaluate': { blindedElements: [blindingClient.prepare('email', 'x@x.invalid').request.blindedElement] },
    'POST /api/federation/inbound/tokens': { caseRef: 'x', contact: 'y', tokens: ['ab'.repeat(64)] },
    'POST /api/jobs': { kind: 'relink', payload: {} },
  };
  return bodies[`${method} ${url}`] ?? {};
}

type Outcome = 'ok' | 401 | 403 | 404;
function outcomeOf(status: number, error: string | undefined): Outcome {
  if (status === 401 || status === 403) return status;
  if (status === 404 && error === 'not_found') return 404;
  if (status === 502 && error === 'peer_error') return 'ok'; // a call to a federation peer, made after access was granted
  if (status >= 500) throw new Error(`server error ${status}`);
  return 'ok'; // 2xx, or a semantic answer given only after access was granted (409 re-solve, 400 not a member, 404 no_payload)
}

function expected(r: RouteInfo, caller: AgencyCode | null, role: Role | null, owner?: AgencyCode, tlp?: Tlp): Outcome {
  const a = r.access!;
  if (a.peer) return 401; // only a signed request of a registered installation gets in; no user or token does
  if (a.public) return 'ok';
  if (!caller || !role) return 401;
  if (!a.roles.includes(role)) return 403;
  const kind = kindOf(r.url);
  if (r.url === '/api/identities/merge') return 404; // nonexistent ids: the route answers only after the role check
  if (!kind || !owner || !tlp) return 'ok';
  if (PRIVATE_KINDS.includes(kind)) return caller === owner ? 'ok' : 404; // agency-private
  if (kind === 'hit') return 'ok'; // the seeded hit is between the two agencies: each acknowledges its own side
  if (!visibleRow(caller, role, owner, tlp)) return 404;
  if (r.method !== 'GET' && caller !== owner) return 403;
  return 'ok';
}

const idFor = (kind: Kind, owner: AgencyCode, tlp: Tlp) => newOwnedId(store, s, owned, kind, owner, tlp);

describe('access-control matrix', () => {
  it('every route declares an access rule, and partners reach only feed and self routes', () => {
    const routes = routeCatalog(app).filter((r) => r.url.startsWith('/api'));
    expect(routes.length).toBeGreaterThan(30);
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    for (const u of ['POST /api/deconflict/cases/:id/selectors', 'POST /api/deconflict/oprf/evaluate', 'POST /api/packages/import', 'GET /api/feed/postal', 'GET /api/feed/financial', 'POST /api/federation/peers/:id/sync', 'POST /api/federation/inbound/tokens', 'GET /api/identities/:id/money', 'POST /api/identities/:id/money/trace', 'POST /api/identities/:id/money/requests', 'GET /api/feed/financial/requests', 'GET /api/exchange/seized-markets', 'POST /api/exchange/split'])
      expect(urls).toContain(u);
    for (const r of routes.filter((x) => x.access?.peer)) expect(r.access!.public, `${r.url}: peer routes are public to the role check and verify signatures themselves`).toBe(true);
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
      const tlps: readonly Tlp[] = kind && UNMARKED_KINDS.includes(kind) ? ['CLEAR'] : TLP_LEVELS;
      const targets: [AgencyCode, Tlp][] = kind ? AGENCIES.flatMap((o) => tlps.map((t) => [o, t] as [AgencyCode, Tlp])) : [[AGENCIES[0], 'CLEAR']];
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
              const l = leaks(res.body, caller, role, r.access!.scope === 'feed');
              if (l.length) failures.push(`${role}@${caller} ${r.method} ${url} leaked ${l.join(', ')}`);
            }
          }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(1500);
  }, 600_000);
});
