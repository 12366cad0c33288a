import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { TLP_LEVELS, type Tlp } from '../../src/domain/tlp.ts';
import type { Role } from '../../src/domain/role.ts';
import { registerTokens } from '../../src/deconflict/index.ts';
import { generateAgencyKeyPair } from '../../src/exchange/index.ts';
import { taxiiDb } from '../../src/exchange/index.ts';
import { createApiToken } from '../../src/server/index.ts';
import { exchangeDb } from '../../src/server/exchange/index.ts';
import { adapterFromJson } from '../../src/extract/index.ts';
import { saveInducedAdapter } from '../../src/extract/store/induced.ts';
import type { TestStore } from '../helpers/store.ts';
import { AGENCIES, type AgencyCode, type Seeded } from './seed.ts';

/**
 * The written policy, independently of the server's code, and the agency-private rows it is checked against: shared
 * by the access matrix (every route × role × agency × TLP) and the attack suite (generated hostile input).
 *   other agencies see CLEAR/GREEN only; only the owner writes; partners reach only feed and self routes.
 */

/** Marks text that must never leave its agency (case references and titles, imports, peers), whatever the TLP. */
export const privateMark = (agency: AgencyCode) => `private-${agency.toLowerCase()}`;
/** The tag the seed writes into every row of an owner agency and TLP (handles, titles, URLs, labels). */
export const tagOf = (agency: AgencyCode, tlp: Tlp) => `${agency}-${tlp}`.toLowerCase().replace(/[^a-z0-9]+/g, '-');
export const visibleRow = (caller: AgencyCode, role: Role, owner: AgencyCode, tlp: Tlp) => role !== 'partner' && (caller === owner || tlp === 'CLEAR' || tlp === 'GREEN');

export type Kind = 'market' | 'vendor' | 'identity' | 'link' | 'listing' | 'capture' | 'captcha' | 'user' | 'token' | PrivateKind | 'hit';
/** Objects that belong to one agency whatever their marking: others get 404. */
export type PrivateKind = 'case' | 'import' | 'intelImport' | 'trustedKey' | 'peer' | 'fnotice' | 'bnotice' | 'job' | 'adapter';
export const PRIVATE_KINDS: readonly Kind[] = ['user', 'token', 'captcha', 'case', 'import', 'intelImport', 'trustedKey', 'peer', 'fnotice', 'bnotice', 'job', 'adapter'];
/** Kinds whose rows carry no TLP: one target per owner agency is enough. */
export const UNMARKED_KINDS: readonly Kind[] = ['hit', 'import', 'intelImport', 'trustedKey', 'peer', 'fnotice', 'bnotice', 'job', 'adapter'];
const PATH_KINDS: [string, Kind][] = [
  ['/api/deconflict/cases/:id', 'case'],
  ['/api/cases/:id', 'case'],
  ['/api/deconflict/notices/:id', 'hit'],
  ['/api/deconflict/blinded/notices/:id', 'bnotice'],
  ['/api/packages/imports/:id', 'import'],
  ['/api/intel/imports/:id', 'intelImport'],
  ['/api/exchange/trusted-keys/:id', 'trustedKey'],
  ['/api/federation/peers/:id', 'peer'],
  ['/api/federation/notices/:id', 'fnotice'],
  ['/api/jobs/:id', 'job'],
  ['/api/adapters/:id', 'adapter'],
];
/** Which owned row a parametrised route (Fastify form, `:id`) touches, from its path. */
export function kindOf(url: string): Kind | null {
  if (!url.includes(':id')) return null;
  const byPath = PATH_KINDS.find(([prefix]) => url.startsWith(prefix));
  if (byPath) return byPath[1];
  const seg = url.split('/')[2]!;
  const k = ({ markets: 'market', vendors: 'vendor', identities: 'identity', links: 'link', listings: 'listing', captures: 'capture', captchas: 'captcha', users: 'user', tokens: 'token' } as const)[seg as 'markets'];
  if (!k) throw new Error(`the policy oracle does not know which row ${url} touches: add it to kindOf`);
  return k;
}

/**
 * Tags of rows the caller must not see that appear in an answer. `feed`: partner feeds publish shared (CLEAR/GREEN)
 * rows to whoever may read the feed. `echoed`: text the caller sent itself (an answer may quote the request).
 */
export function leaks(body: string, caller: AgencyCode, role: Role, feed: boolean, echoed = ''): string[] {
  const found: string[] = [];
  for (const owner of AGENCIES) {
    if (owner !== caller && body.includes(privateMark(owner)) && !echoed.includes(privateMark(owner))) found.push(privateMark(owner));
    for (const tlp of TLP_LEVELS) {
      if (feed ? tlp === 'CLEAR' || tlp === 'GREEN' : visibleRow(caller, role, owner, tlp)) continue;
      const re = new RegExp(`${tagOf(owner, tlp)}(?![a-z0-9-])`);
      if (re.test(body) && !re.test(echoed)) found.push(tagOf(owner, tlp));
    }
  }
  return found;
}

/** Agency-private objects of the de-confliction, exchange, federation and job routes, per owner agency. */
export interface Owned {
  captchaIds: Map<string, number>;
  caseIds: Map<string, number>;
  importIds: Map<string, number>;
  intelImportIds: Map<string, number>;
  noticeIds: Map<string, number>;
  /** Per agency: a blinded hit between the agency and a peer agency (ZZ-PEER), so only that agency is part of it. */
  blindedHitIds: Map<string, number>;
  hitId: number;
}

let seq = 0;

/** Writes the agency-private rows (each carrying privateMark of its agency) beside the seed's marked rows. */
export async function seedOwned(store: TestStore, s: Seeded): Promise<Owned> {
  const captchaIds = new Map<string, number>();
  const caseIds = new Map<string, number>();
  const importIds = new Map<string, number>();
  const intelImportIds = new Map<string, number>();
  const noticeIds = new Map<string, number>();
  const blindedHitIds = new Map<string, number>();
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
    const peer = await newPeer(store, s, a);
    const n = await xdb
      .insertInto('federation_notices')
      .values({ agency_id, peer_id: peer, remote_hit_id: 1, token_id: '0'.repeat(32), other_agency: 'ZZ', other_contact: `${privateMark(a)}-notice` })
      .returning('id')
      .executeTakeFirstOrThrow();
    noticeIds.set(a, n.id);
    const token = createHash('sha512').update(`blinded-${a}`).digest('hex');
    await registerTokens(store.db, { owner: 'ZZ-PEER', caseRef: 'zz-handle', contact: 'zz desk', tokens: [token] });
    const b = await registerTokens(store.db, { owner: a, caseRef: `${privateMark(a)}-handle`, contact: `desk-${a.toLowerCase()}@blinded.invalid`, tokens: [token] });
    blindedHitIds.set(a, b.notices[0]!.hitId);
  }
  const [sa, sb] = await xdb.selectFrom('deconflict_selectors').select('id').where('value', '=', 'shared@matrix.invalid').orderBy('id').execute();
  const hitId = (await xdb.insertInto('deconflict_hits').values({ via: 'selector', selector_a: sa!.id, selector_b: sb!.id }).returning('id').executeTakeFirstOrThrow()).id;
  return { captchaIds, caseIds, importIds, intelImportIds, noticeIds, blindedHitIds, hitId };
}

/** A federation peer of an agency at an address nothing listens on: calls to it fail after access was granted. */
export async function newPeer(store: TestStore, s: Seeded, a: AgencyCode): Promise<number> {
  const k = generateAgencyKeyPair(`PEER-${++seq}`);
  const r = await exchangeDb(store.db)
    .insertInto('federation_peers')
    .values({ agency_id: s.agencyIds[a], name: `${privateMark(a)}-peer`, base_url: 'http://127.0.0.1:9', installation_id: `dp-peer-${seq}-${randomUUID().slice(0, 8)}`, peer_agency: k.agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** A row id of an owner's object of a kind (new rows for tokens, jobs, peers and trusted keys: routes may delete them). */
export async function newOwnedId(store: TestStore, s: Seeded, o: Owned, kind: Kind, owner: AgencyCode, tlp: Tlp): Promise<string> {
  const row = s.rows[owner][tlp];
  switch (kind) {
    case 'captcha': return String(o.captchaIds.get(`${owner}:${tlp}`));
    case 'user': return String((await store.db.selectFrom('users').select('id').where('username', '=', s.username(owner, 'analyst')).executeTakeFirstOrThrow()).id);
    case 'token': return String((await createApiToken(store.db, { agencyId: s.agencyIds[owner], name: 'throwaway', role: 'analyst', scopes: ['intel:read'] })).id);
    case 'case': return String(o.caseIds.get(`${owner}:${tlp}`));
    case 'hit': return String(o.hitId);
    case 'import': return String(o.importIds.get(owner));
    case 'intelImport': return String(o.intelImportIds.get(owner));
    case 'fnotice': return String(o.noticeIds.get(owner));
    case 'bnotice': return String(o.blindedHitIds.get(owner));
    case 'job': {
      // A queued job row of the owner with a private payload; cancel/pause/resume then answer after the access check.
      const id = randomUUID();
      await store.db.insertInto('jobs').values({ id, kind: 'crawl', agency_id: s.agencyIds[owner], requested_by: privateMark(owner), payload: JSON.stringify({ market: privateMark(owner) }) }).execute();
      return id;
    }
    case 'peer': return String(await newPeer(store, s, owner));
    case 'adapter': {
      // An induced adapter saved by the owner (agency-scoped, whatever the marking): others get 404.
      const id = `adapter-${owner.toLowerCase()}`;
      const adapter = adapterFromJson(JSON.stringify({ id, version: '1.0.0', market: privateMark(owner), hosts: [], pageTypes: [], pages: {} }));
      await saveInducedAdapter(store.db, { agencyId: s.agencyIds[owner], userId: null, actor: 'seed' }, adapter);
      return id;
    }
    case 'trustedKey': {
      const k = generateAgencyKeyPair(`TT-${++seq}`);
      const r = await exchangeDb(store.db).insertInto('exchange_trusted_keys').values({ agency_id: s.agencyIds[owner], partner: k.agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey), note: privateMark(owner) }).returning('id').executeTakeFirstOrThrow();
      return String(r.id);
    }
    default: return String(row[kind]);
  }
}
