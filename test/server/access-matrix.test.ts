import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/role.ts';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import { blindingClient } from '../../src/deconflict/index.ts';
import { exportPublicKeyJwk, generateAgencyKeyPair } from '../../src/exchange/index.ts';
import { buildServer, createApiToken, routeCatalog, SCOPES, type App, type RouteInfo } from '../../src/server/index.ts';
import { exchangeDb } from '../../src/server/exchange/index.ts';
import { taxiiDb } from '../../src/exchange/index.ts';
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
/** Agency-private objects of the de-confliction, exchange and federation routes, per owner agency. */
const caseIds = new Map<string, number>();
const importIds = new Map<string, number>();
const intelImportIds = new Map<string, number>();
const noticeIds = new Map<string, number>();
let hitId = 0;
/** Marks text that must never leave its agency (case references and titles, imports, peers), whatever the TLP. */
const privateMark = (agency: AgencyCode) => `private-${agency.toLowerCase()}`;

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
  const xdb = exchangeDb(store.db);
  for (const a of AGENCIES) {
    const agency_id = s.agencyIds[a];
    for (const tlp of TLP_LEVELS) {
      const c = await xdb.insertInto('cases').values({ agency_id, tlp, reference: `${privateMark(a)}-case-${tagOf(a, tlp)}`, title: `${privateMark(a)} title`, contact_point: `desk-${a.toLowerCase()}@cases.invalid` }).returning('id').executeTakeFirstOrThrow();
      caseIds.set(`${a}:${tlp}`, c.id);
    }
    await xdb.insertInto('deconflict_selectors').values({ case_id: caseIds.get(`${a}:CLEAR`)!, agency_id, kind: 'email', value: 'shared@matrix.invalid' }).execute();
    const imp = await xdb
      .insertInto('exchange_imports')
      .values({ agency_id, tlp: 'CLEAR', bundle_id: 'bundle--x', signer_agency: 'XX', signer_key_id: 'ed25519:x', via: 'api', manifest: '{}', package: JSON.stringify({ note: privateMark(a) }), markings: '[]', summary: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    importIds.set(a, imp.id);
    const intel = await taxiiDb(store.db)
      .insertInto('intel_imports')
      .values({ agency_id, tlp: 'CLEAR', source: `${privateMark(a)}-source`, via: 'file', bundle_id: 'bundle--x', sha256: '0'.repeat(64), objects: '[]', markings: '[]', summary: '{}' })
      .returning('id')
      .executeTakeFirstOrThrow();
    intelImportIds.set(a, intel.id);
    const peer = await newPeer(a);
    const n = await xdb
      .insertInto('federation_notices')
      .values({ agency_id, peer_id: peer, remote_hit_id: 1, token_id: '0'.repeat(32), other_agency: 'ZZ', other_contact: `${privateMark(a)}-notice` })
      .returning('id')
      .executeTakeFirstOrThrow();
    noticeIds.set(a, n.id);
  }
  const [sa, sb] = await xdb.selectFrom('deconflict_selectors').select('id').where('value', '=', 'shared@matrix.invalid').orderBy('id').execute();
  hitId = (await xdb.insertInto('deconflict_hits').values({ via: 'selector', selector_a: sa!.id, selector_b: sb!.id }).returning('id').executeTakeFirstOrThrow()).id;
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
}, 180_000);

/** A federation peer of an agency at an address nothing listens on: calls to it fail after access was granted. */
async function newPeer(a: AgencyCode): Promise<number> {
  const k = generateAgencyKeyPair(`PEER-${++seq}`);
  const r = await exchangeDb(store.db)
    .insertInto('federation_peers')
    .values({ agency_id: s.agencyIds[a], name: `${privateMark(a)}-peer`, base_url: 'http://127.0.0.1:9', installation_id: `dp-peer-${seq}`, peer_agency: k.agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}
afterAll(async () => {
  await app?.close();
  await store?.close();
});

type Kind = 'market' | 'vendor' | 'identity' | 'link' | 'listing' | 'capture' | 'captcha' | 'user' | 'token' | PrivateKind | 'hit';
/** Objects that belong to one agency whatever their marking: others get 404. */
type PrivateKind = 'case' | 'import' | 'intelImport' | 'trustedKey' | 'peer' | 'fnotice' | 'job';
const PRIVATE_KINDS: readonly Kind[] = ['user', 'token', 'captcha', 'case', 'import', 'intelImport', 'trustedKey', 'peer', 'fnotice', 'job'];
/** Kinds whose rows carry no TLP: one target per owner agency is enough. */
const UNMARKED_KINDS: readonly Kind[] = ['hit', 'import', 'intelImport', 'trustedKey', 'peer', 'fnotice', 'job'];
const PATH_KINDS: [string, Kind][] = [
  ['/api/deconflict/cases/:id', 'case'],
  ['/api/deconflict/notices/:id', 'hit'],
  ['/api/packages/imports/:id', 'import'],
  ['/api/intel/imports/:id', 'intelImport'],
  ['/api/exchange/trusted-keys/:id', 'trustedKey'],
  ['/api/federation/peers/:id', 'peer'],
  ['/api/federation/notices/:id', 'fnotice'],
  ['/api/jobs/:id', 'job'],
];
/** Which owned row a parametrised route touches, from its path. */
function kindOf(url: string): Kind | null {
  if (!url.includes(':id')) return null;
  const byPath = PATH_KINDS.find(([prefix]) => url.startsWith(prefix));
  if (byPath) return byPath[1];
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
    'POST /api/deconflict/cases': { reference: `m${seq}`, title: 'matrix', contactPoint: 'matrix@x.invalid' },
    'POST /api/deconflict/cases/:id/selectors': { selectors: [{ kind: 'email', value: `m${seq}@matrix.invalid` }] },
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

async function idFor(kind: Kind, owner: AgencyCode, tlp: Tlp): Promise<string> {
  const row = s.rows[owner][tlp];
  switch (kind) {
    case 'captcha': return String(captchaIds.get(`${owner}:${tlp}`));
    case 'user': return String((await store.db.selectFrom('users').select('id').where('username', '=', s.username(owner, 'analyst')).executeTakeFirstOrThrow()).id);
    case 'token': return String((await createApiToken(store.db, { agencyId: s.agencyIds[owner], name: 'throwaway', role: 'analyst', scopes: ['intel:read'] })).id);
    case 'case': return String(caseIds.get(`${owner}:${tlp}`));
    case 'hit': return String(hitId);
    case 'import': return String(importIds.get(owner));
    case 'intelImport': return String(intelImportIds.get(owner));
    case 'fnotice': return String(noticeIds.get(owner));
    case 'job': {
      // A queued job row of the owner with a private payload; cancel/pause/resume then answer after the access check.
      const id = randomUUID();
      await store.db.insertInto('jobs').values({ id, kind: 'crawl', agency_id: s.agencyIds[owner], requested_by: privateMark(owner), payload: JSON.stringify({ market: privateMark(owner) }) }).execute();
      return id;
    }
    case 'peer': return String(await newPeer(owner));
    case 'trustedKey': {
      const k = generateAgencyKeyPair(`TT-${++seq}`);
      const r = await exchangeDb(store.db).insertInto('exchange_trusted_keys').values({ agency_id: s.agencyIds[owner], partner: k.agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey), note: privateMark(owner) }).returning('id').executeTakeFirstOrThrow();
      return String(r.id);
    }
    default: return String(row[kind]);
  }
}

function leaks(body: string, caller: AgencyCode, role: Role, feed: boolean): string[] {
  const found: string[] = [];
  for (const owner of AGENCIES) {
    if (owner !== caller && body.includes(privateMark(owner))) found.push(privateMark(owner));
    for (const tlp of TLP_LEVELS) {
      // Partner feeds publish shared (CLEAR/GREEN) rows only, to whoever may read the feed.
      if (feed ? tlp === 'CLEAR' || tlp === 'GREEN' : visibleRow(caller, role, owner, tlp)) continue;
      if (new RegExp(`${tagOf(owner, tlp)}(?![a-z0-9-])`).test(body)) found.push(tagOf(owner, tlp));
    }
  }
  return found;
}

describe('access-control matrix', () => {
  it('every route declares an access rule, and partners reach only feed and self routes', () => {
    const routes = routeCatalog(app).filter((r) => r.url.startsWith('/api'));
    expect(routes.length).toBeGreaterThan(30);
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    for (const u of ['POST /api/deconflict/cases/:id/selectors', 'POST /api/deconflict/oprf/evaluate', 'POST /api/packages/import', 'GET /api/feed/postal', 'GET /api/feed/financial', 'POST /api/federation/peers/:id/sync', 'POST /api/federation/inbound/tokens'])
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
