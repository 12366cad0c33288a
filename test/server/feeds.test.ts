import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJwk, validateBundle, verifyPackage } from '../../src/exchange/index.ts';
import type { AgencyPublicKey } from '../../src/exchange/index.ts';
import { buildServer, createApiToken, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

let store: TestStore;
let app: App;
let s: Seeded;
let partner: string;
let noScope: string;

const SHARED = ['nl-pol-clear', 'nl-pol-green', 'de-bka-clear', 'de-bka-green'];
const PRIVATE = ['nl-pol-amber', 'nl-pol-amber-strict', 'nl-pol-red', 'de-bka-amber', 'de-bka-amber-strict', 'de-bka-red'];
const hasTag = (body: string, tag: string) => new RegExp(`${tag}(?![a-z0-9-])`).test(body);

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  // Drop addresses seen on a shared (GREEN) and a private (RED) vendor, both shipping from NL.
  for (const [tlp, value] of [['GREEN', 'Postbus 77, 1000 AB Amsterdam'], ['RED', 'Geheimstraat 1, Utrecht']] as const) {
    const row = s.rows['NL-POL'][tlp];
    const sel = await store.db.insertInto('selectors').values({ agency_id: s.agencyIds['NL-POL'], tlp, kind: 'postal_address', value, meta: JSON.stringify({ country: 'NL' }) }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('selector_sightings').values({ agency_id: s.agencyIds['NL-POL'], tlp, selector_id: sel.id, vendor_id: row.vendor, source: 'profile', capture_id: row.capture, observed_at: new Date() }).execute();
  }
  await store.db.updateTable('listing_snapshots').set({ observed_at: new Date() }).execute();
  // Shipping traits: the shared vendor advertises vacuum sealing and DHL; a RED listing of the same vendor says MBB.
  const green = s.rows['NL-POL'].GREEN;
  await store.db.updateTable('vendors').set({ profile_text: 'Ships daily. Double vacuum sealed, DHL tracked.' }).where('id', '=', green.vendor).execute();
  await store.db.insertInto('listings').values({ agency_id: s.agencyIds['NL-POL'], tlp: 'RED', market_id: green.market, vendor_id: green.vendor, external_id: 'L-red-shipping', title: 'private', description: 'Stealth: MBB + decoy', first_seen: new Date(), last_seen: new Date() }).execute();
  partner = (await createApiToken(store.db, { agencyId: s.agencyIds['NL-POL'], name: 'postnl', role: 'partner', scopes: ['feed'] })).token;
  noScope = (await createApiToken(store.db, { agencyId: s.agencyIds['NL-POL'], name: 'postnl-self', role: 'partner', scopes: ['self'] })).token;
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${partner}`, ...headers } });

describe('partner feeds', () => {
  it("postal feed: drop addresses and vendors shipping from/to the partner's country, shared rows only, TLP-marked", async () => {
    const r = await get('/api/feed/postal');
    expect(r.statusCode, r.body).toBe(200);
    const j = r.json();
    expect(j).toMatchObject({ feed: 'postal-nl', country: 'NL', tlp: 'GREEN' });
    expect(r.headers['x-tlp']).toBe('GREEN');
    for (const t of SHARED) expect(hasTag(r.body, `vendor-${t}`), t).toBe(true);
    for (const t of PRIVATE) expect(hasTag(r.body, t), t).toBe(false);
    expect(j.entries).toContainEqual(expect.objectContaining({ kind: 'postal_address', value: 'postbus 77 1000 ab amsterdam', country: 'NL' }));
    expect(r.body.toLowerCase()).not.toContain('geheimstraat');
    const vendor = (j.entries as Array<{ kind: string; value: string; label?: string }>).find((e) => e.kind === 'vendor_handle' && e.value === 'vendor-nl-pol-green');
    expect(vendor?.label).toMatch(/carrier: dhl; packaging: vacuum-sealed; service: tracked/);
    expect(r.body).not.toMatch(/mylar|decoy/); // traits only from rows the feed may publish
  });

  it('serves CSV (format or Accept), STIX 2.1 that validates, and a signed package', async () => {
    const csv = await get('/api/feed/postal?format=csv');
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.split('\r\n')[0]).toBe('# TLP:GREEN');
    expect(csv.body).toContain('postal_address,postbus 77 1000 ab amsterdam,');
    expect((await get('/api/feed/postal', { accept: 'text/csv' })).body).toBe(csv.body);

    const stix = await get('/api/feed/financial?format=stix');
    expect(stix.statusCode, stix.body).toBe(200);
    expect(stix.headers['content-type']).toContain('application/stix+json');
    const bundle = stix.json();
    expect(validateBundle(bundle).errors).toEqual([]);
    expect(bundle.objects.some((o: { type: string; name?: string }) => o.type === 'marking-definition' && o.name === 'TLP:GREEN')).toBe(true);

    const pkg = (await get('/api/feed/postal?format=package')).json();
    const admin = await loginCookie(app, 'admin-nl-pol');
    const jwk = (await app.inject({ method: 'GET', url: '/api/exchange/key', headers: admin })).json().jwk;
    const verified = verifyPackage(pkg, [importJwk(jwk) as AgencyPublicKey]);
    expect(verified.manifest.tlp).toBe('GREEN');
    expect(validateBundle(verified.bundle).valid).toBe(true);
  });

  it('financial feed: crypto addresses of top targets, shared rows only', async () => {
    const r = await get('/api/feed/financial?targets=50');
    expect(r.statusCode, r.body).toBe(200);
    const values = r.json().entries.map((e: { value: string }) => e.value);
    for (const t of SHARED) expect(values).toContain(`bc1q${t}`);
    for (const t of PRIVATE) expect(hasTag(r.body, t), t).toBe(false);
    for (const e of r.json().entries) expect(e.kind).toBe('btc_address');
  });

  it('audits every access with what was handed out', async () => {
    const before = (await store.db.selectFrom('audit_log').select('id').where('action', 'like', 'feed.%').execute()).length;
    await get('/api/feed/financial?format=csv');
    const rows = await store.db.selectFrom('audit_log').select(['action', 'actor', 'object_id', 'detail']).where('action', 'like', 'feed.%').orderBy('id').execute();
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1)).toMatchObject({ action: 'feed.financial', actor: 'token:postnl', object_id: 'financial', detail: expect.objectContaining({ format: 'csv', tlp: 'GREEN' }) });
  });

  it('a partner token reaches nothing but the feeds; a token without the feed scope not even those', async () => {
    for (const url of ['/api/vendors', '/api/deconflict/cases', '/api/deconflict/notices', '/api/packages/imports', '/api/federation/peers', '/api/exchange/key', '/api/reports/targets']) {
      expect((await get(url)).statusCode, url).toBe(403);
    }
    expect((await app.inject({ method: 'POST', url: '/api/packages/export', headers: { authorization: `Bearer ${partner}` }, payload: { kind: 'vendor', id: s.rows['NL-POL'].CLEAR.vendor } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/feed/postal', headers: { authorization: `Bearer ${noScope}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/feed/postal' })).statusCode).toBe(401);
  });
});
