import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindingClient } from '../../src/deconflict/index.ts';
import { validateBundle } from '../../src/exchange/index.ts';
import type { SignedPackage } from '../../src/exchange/index.ts';
import { buildServer, type App, type ServerOptions } from '../../src/server/index.ts';
import type { ExchangeServerOptions } from '../../src/server/exchange/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

let store: TestStore;
let app: App;
let s: Seeded;
const cookies = new Map<string, SessionHeaders>();
const as = (u: string) => cookies.get(u)!;
const NL = 'investigator-nl-pol';
const DE = 'investigator-de-bka';

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  // A tight OPRF budget, so the rate limit shows within a few calls.
  const opts: ServerOptions & ExchangeServerOptions = { store, webRoot: false, rateLimit: false, exchange: { oprfRateLimit: { capacity: 6, refillPerSecond: 0.001 } } };
  app = await buildServer(opts);
  await app.ready();
  for (const u of [NL, DE, 'admin-nl-pol', 'admin-de-bka', 'analyst-nl-pol']) cookies.set(u, await loginCookie(app, u));
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

async function openCase(user: string, reference: string, title: string, contactPoint: string): Promise<number> {
  const r = await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: as(user), payload: { reference, title, contactPoint } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().id;
}

describe('de-confliction API (clear mode)', () => {
  let nlCase: number;
  let deCase: number;

  it('opens cases that only their agency sees', async () => {
    nlCase = await openCase(NL, 'NL-2026-OP-TULIP', 'Operation Tulip: secret informant Jansen', 'tulip-desk@politie.invalid');
    deCase = await openCase(DE, 'BKA-2026-EDELWEISS', 'Edelweiss: wiretap on Berlin stash', 'edelweiss@bka.invalid');
    const own = await app.inject({ method: 'GET', url: `/api/deconflict/cases/${nlCase}`, headers: as(NL) });
    expect(own.statusCode).toBe(200);
    expect(own.json().case.reference).toBe('NL-2026-OP-TULIP');
    const other = await app.inject({ method: 'GET', url: `/api/deconflict/cases/${nlCase}`, headers: as(DE) });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain('TULIP');
    const list = await app.inject({ method: 'GET', url: '/api/deconflict/cases', headers: as(DE) });
    expect(list.json().items.map((c: { reference: string }) => c.reference)).toEqual(['BKA-2026-EDELWEISS']);
    // Registering against another agency's case answers like a missing case.
    const foreign = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${nlCase}/selectors`, headers: as(DE), payload: { selectors: [{ kind: 'email', value: 'x@y.invalid' }] } });
    expect(foreign.statusCode).toBe(404);
    // Analysts do not run cases.
    expect((await app.inject({ method: 'GET', url: '/api/deconflict/cases', headers: as('analyst-nl-pol') })).statusCode).toBe(403);
  });

  it('notifies both agencies of an overlap with the other contact point, never the other case content', async () => {
    const a = await app.inject({
      method: 'POST',
      url: `/api/deconflict/cases/${nlCase}/selectors`,
      headers: as(NL),
      payload: { selectors: [{ kind: 'btc_address', value: 'BC1QTULIPWALLET0000000000000000000000000' }, { kind: 'vendor_handle', value: '@DutchMagic' }, { kind: 'email', value: 'only-nl@mail.invalid' }] },
    });
    expect(a.statusCode, a.body).toBe(200);
    expect(a.json()).toMatchObject({ registered: 3, notices: [] });
    const b = await app.inject({
      method: 'POST',
      url: `/api/deconflict/cases/${deCase}/selectors`,
      headers: as(DE),
      payload: { selectors: [{ kind: 'btc_address', value: ' bc1qtulipwallet0000000000000000000000000 ' }, { kind: 'vendor_handle', value: 'dutchmagic' }, { kind: 'email', value: 'only-de@mail.invalid' }] },
    });
    expect(b.statusCode, b.body).toBe(200);
    expect(b.json().notices).toHaveLength(2);
    for (const n of b.json().notices) expect(n.other).toMatchObject({ agencyCode: 'NL-POL', contactPoint: 'tulip-desk@politie.invalid' });

    const nl = await app.inject({ method: 'GET', url: '/api/deconflict/notices', headers: as(NL) });
    const de = await app.inject({ method: 'GET', url: '/api/deconflict/notices', headers: as(DE) });
    expect(nl.json().items).toHaveLength(2);
    expect(de.json().items).toHaveLength(2);
    for (const n of nl.json().items) expect(n.other.contactPoint).toBe('edelweiss@bka.invalid');
    // Neither side's answers carry the other's case reference, title or non-shared selectors.
    for (const secret of ['BKA-2026-EDELWEISS', 'Edelweiss: wiretap', 'only-de@mail.invalid']) expect(nl.body).not.toContain(secret);
    for (const secret of ['NL-2026-OP-TULIP', 'informant Jansen', 'only-nl@mail.invalid']) expect(de.body + b.body).not.toContain(secret);

    const hit = nl.json().items[0].hitId;
    const ack = await app.inject({ method: 'POST', url: `/api/deconflict/notices/${hit}/acknowledge`, headers: as(NL) });
    expect(ack.statusCode).toBe(200);
    expect(ack.json().acknowledgedAt).not.toBeNull();
    const unack = await app.inject({ method: 'GET', url: '/api/deconflict/notices?unacknowledged=true', headers: as(NL) });
    expect(unack.json().items).toHaveLength(1);
    // The other side's acknowledgement is its own.
    expect((await app.inject({ method: 'GET', url: '/api/deconflict/notices?unacknowledged=true', headers: as(DE) })).json().items).toHaveLength(2);

    const actions = (await store.db.selectFrom('audit_log').select('action').execute()).map((r) => r.action);
    for (const want of ['case.create', 'case.selectors.register', 'deconflict.register', 'deconflict.hit', 'deconflict.notices.read', 'deconflict.hit.acknowledge', 'deconflict.notice.acknowledge']) expect(actions).toContain(want);
  });

  it('raises a hit when new crawl data ties two agencies\' selectors to one identity', async () => {
    const nlCase2 = await openCase(NL, 'NL-2026-LINKED', 'linked case', 'linked-desk@politie.invalid');
    const deCase2 = await openCase(DE, 'BKA-2026-LINKED', 'linked case de', 'linked@bka.invalid');
    const row = s.rows['NL-POL'].GREEN; // identity of vendor + vendor2; vendor was seen with bc1qnl-pol-green
    expect((await app.inject({ method: 'POST', url: `/api/deconflict/cases/${nlCase2}/selectors`, headers: as(NL), payload: { selectors: [{ kind: 'btc_address', value: 'bc1qnl-pol-green' }] } })).json().notices).toEqual([]);
    const de = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${deCase2}/selectors`, headers: as(DE), payload: { selectors: [{ kind: 'telegram', value: '@linked_shop' }] } });
    expect(de.json().notices).toEqual([]);
    // A later crawl sees the telegram handle on the identity's other account.
    const sel = await store.db.insertInto('selectors').values({ agency_id: s.agencyIds['NL-POL'], tlp: 'GREEN', kind: 'telegram', value: 'linked_shop' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('selector_sightings').values({ agency_id: s.agencyIds['NL-POL'], tlp: 'GREEN', selector_id: sel.id, vendor_id: row.vendor2, source: 'profile', observed_at: new Date() }).execute();
    const r = await app.inject({ method: 'POST', url: '/api/deconflict/detect-linked', headers: as(DE), payload: { identityIds: [row.identity] } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json().notices).toEqual([expect.objectContaining({ via: 'identity', yourCase: expect.objectContaining({ reference: 'BKA-2026-LINKED' }), other: expect.objectContaining({ agencyCode: 'NL-POL', contactPoint: 'linked-desk@politie.invalid' }) })]);
    expect(r.body).not.toContain('bc1qnl-pol-green');
    const nl = await app.inject({ method: 'GET', url: '/api/deconflict/notices', headers: as(NL) });
    expect(nl.json().items.filter((n: { via: string }) => n.via === 'identity')).toEqual([expect.objectContaining({ other: expect.objectContaining({ contactPoint: 'linked@bka.invalid' }) })]);
  });

  it('refuses unknown kinds and empty values with a clear 400', async () => {
    const r = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${nlCase}/selectors`, headers: as(NL), payload: { selectors: [{ kind: 'shoe_size', value: '42' }] } });
    expect(r.statusCode).toBe(400);
    expect(r.json().error).toBe('validation_failed');
    const e = await app.inject({ method: 'POST', url: `/api/deconflict/cases/${nlCase}/selectors`, headers: as(NL), payload: { selectors: [{ kind: 'vendor_handle', value: '@@@ ' }] } });
    expect(e.statusCode).toBe(400);
  });
});

describe('de-confliction API (blinded mode)', () => {
  async function tokensFor(user: string, selectors: { kind: 'btc_address' | 'email' | 'vendor_handle'; value: string }[]): Promise<string[]> {
    const prepared = selectors.map((x) => blindingClient.prepare(x.kind, x.value));
    const r = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(user), payload: { blindedElements: prepared.map((p) => p.request.blindedElement) } });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ suite: 'ristretto255-SHA512', mode: 'oprf' });
    return prepared.map((p, i) => blindingClient.finish(p.state, r.json().evaluatedElements[i]));
  }

  it('matches equal selectors written differently; stores no selector; both sides get the other contact point', async () => {
    const nlTokens = await tokensFor(NL, [{ kind: 'email', value: 'shop.owner@Protonmail.INVALID' }, { kind: 'vendor_handle', value: 'blinded-only-nl' }]);
    const deTokens = await tokensFor(DE, [{ kind: 'email', value: ' shop.owner [at] protonmail [dot] invalid' }, { kind: 'vendor_handle', value: 'blinded-only-de' }]);
    expect(nlTokens[0]).toBe(deTokens[0]);
    const a = await app.inject({ method: 'POST', url: '/api/deconflict/blinded/tokens', headers: as(NL), payload: { caseRef: 'nl-handle-1', contact: 'blind-nl@politie.invalid', tokens: nlTokens } });
    expect(a.json()).toMatchObject({ registered: 2, notices: [] });
    const b = await app.inject({ method: 'POST', url: '/api/deconflict/blinded/tokens', headers: as(DE), payload: { caseRef: 'de-handle-1', contact: 'blind-de@bka.invalid', tokens: deTokens } });
    expect(b.json().notices).toEqual([expect.objectContaining({ yourCaseRef: 'de-handle-1', otherAgency: 'NL-POL', otherContact: 'blind-nl@politie.invalid' })]);
    const nl = await app.inject({ method: 'GET', url: '/api/deconflict/blinded/notices', headers: as(NL) });
    expect(nl.json().items).toEqual([expect.objectContaining({ yourCaseRef: 'nl-handle-1', otherAgency: 'DE-BKA', otherContact: 'blind-de@bka.invalid' })]);
    expect(nl.body).not.toContain('de-handle-1');

    const stored = JSON.stringify(await store.db.withTables<{ blinded_tokens: { owner: string; case_ref: string; token_id: string } }>().selectFrom('blinded_tokens').selectAll().execute());
    for (const v of ['shop.owner', 'protonmail', 'blinded-only']) expect(stored.toLowerCase()).not.toContain(v);
  });

  it('rate-limits OPRF evaluations per agency (429 with Retry-After) and refuses malformed elements', async () => {
    // DE used 2 of its 6 evaluations above; 4 more pass, the next is refused.
    const el = () => blindingClient.prepare('email', `guess-${Math.random()}@x.invalid`).request.blindedElement;
    const ok = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(DE), payload: { blindedElements: [el(), el(), el(), el()] } });
    expect(ok.statusCode).toBe(200);
    const limited = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(DE), payload: { blindedElements: [el()] } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another agency has its own budget.
    expect((await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as('admin-nl-pol'), payload: { blindedElements: [el()] } })).statusCode).toBe(200);
    const bad = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(NL), payload: { blindedElements: ['00'.repeat(32)] } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('packages API', () => {
  let pkg: SignedPackage;

  it('exports a vendor as a signed STIX 2.1 package that validates, marked at least as strictly as its rows', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/packages/export', headers: as(NL), payload: { kind: 'vendor', id: s.rows['NL-POL'].AMBER.vendor } });
    expect(r.statusCode, r.body).toBe(200);
    pkg = r.json().package;
    expect(pkg.format).toBe('darkpatrol-signed-package');
    expect(pkg.manifest.tlp).toBe('AMBER');
    expect(pkg.manifest.producer.agencyId).toBe('NL-POL');
    expect(pkg.manifest.evidence.length).toBeGreaterThan(0);
    const v = validateBundle(pkg.bundle);
    expect(v.errors).toEqual([]);
    expect(v.valid).toBe(true);
    // Another agency cannot export NL's AMBER vendor (it cannot see it).
    expect((await app.inject({ method: 'POST', url: '/api/packages/export', headers: as(DE), payload: { kind: 'vendor', id: s.rows['NL-POL'].AMBER.vendor } })).statusCode).toBe(404);
  });

  it('exports an identity and a case', async () => {
    const i = await app.inject({ method: 'POST', url: '/api/packages/export', headers: as(DE), payload: { kind: 'identity', id: s.rows['NL-POL'].GREEN.identity, tlp: 'AMBER' } });
    expect(i.statusCode, i.body).toBe(200);
    expect(i.json().package.manifest.tlp).toBe('AMBER');
    expect(validateBundle(i.json().package.bundle).valid).toBe(true);
    const cases = (await app.inject({ method: 'GET', url: '/api/deconflict/cases', headers: as(NL) })).json().items;
    const c = await app.inject({ method: 'POST', url: '/api/packages/export', headers: as(NL), payload: { kind: 'case', id: cases[0].id } });
    expect(c.statusCode, c.body).toBe(200);
    expect(validateBundle(c.json().package.bundle).valid).toBe(true);
    expect((await app.inject({ method: 'POST', url: '/api/packages/export', headers: as(DE), payload: { kind: 'case', id: cases[0].id } })).statusCode).toBe(404);
  });

  it('imports only packages signed by a trusted key, keeps markings, and rejects tampering with a clear 422', async () => {
    const unknown = await app.inject({ method: 'POST', url: '/api/packages/import', headers: as(DE), payload: pkg });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json()).toMatchObject({ error: 'package_rejected', details: { reason: 'unknown_signer' } });

    const key = (await app.inject({ method: 'GET', url: '/api/exchange/key', headers: as(NL) })).json();
    const trust = await app.inject({ method: 'POST', url: '/api/exchange/trusted-keys', headers: as('admin-de-bka'), payload: { jwk: key.jwk, note: 'NL THTC' } });
    expect(trust.statusCode, trust.body).toBe(201);
    expect(trust.json()).toMatchObject({ partner: 'NL-POL', key_id: key.keyId });

    const ok = await app.inject({ method: 'POST', url: '/api/packages/import', headers: as(DE), payload: pkg });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json()).toMatchObject({ tlp: 'AMBER', signer: { agencyId: 'NL-POL', keyId: key.keyId } });
    expect(ok.json().markings.some((m: { tlp?: string; official?: boolean }) => m.tlp === 'AMBER' && m.official)).toBe(true);
    const stored = await app.inject({ method: 'GET', url: `/api/packages/imports/${ok.json().id}`, headers: as(DE) });
    expect(stored.json()).toMatchObject({ tlp: 'AMBER', signer_agency: 'NL-POL' });
    // The import belongs to the importing agency only.
    expect((await app.inject({ method: 'GET', url: `/api/packages/imports/${ok.json().id}`, headers: as(NL) })).statusCode).toBe(404);

    const tampered = structuredClone(pkg) as SignedPackage;
    const obj = tampered.bundle.objects.find((o) => o.type === 'threat-actor')!;
    obj.name = 'SomebodyElse';
    const t = await app.inject({ method: 'POST', url: '/api/packages/import', headers: as(DE), payload: tampered });
    expect(t.statusCode).toBe(422);
    expect(t.json().details.reason).toBe('bundle_tampered');

    const relabelled = structuredClone(pkg) as SignedPackage;
    relabelled.manifest.tlp = 'CLEAR';
    const m = await app.inject({ method: 'POST', url: '/api/packages/import', headers: as(DE), payload: relabelled });
    expect(m.statusCode).toBe(422);
    expect(m.json().details.reason).toBe('bad_signature');

    const audit = await store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'package.import').execute();
    expect(audit.length).toBeGreaterThanOrEqual(4);
  });
});
