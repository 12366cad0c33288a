import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, createApiToken, SCOPES, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { leaks } from './owned.ts';
import { seed, type Seeded } from './seed.ts';

/**
 * A row may be marked less strictly than the market it belongs to (an owner shares a vendor account or a lifecycle
 * event as CLEAR while the market itself stays RED). Another agency then sees the row, but never the market's name:
 * every route that joins the market names it only for callers who may see it. (Found by the attack suite: a CLEAR
 * event on a RED market put the market's name on another agency's dashboard.)
 */
let store: TestStore;
let app: App;
let s: Seeded;
let nl: string;
let de: string;
let vendorId: number;
let identityId: number;

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  nl = (await createApiToken(store.db, { agencyId: s.agencyIds['NL-POL'], name: 'nl', role: 'supervisor', scopes: SCOPES })).token;
  de = (await createApiToken(store.db, { agencyId: s.agencyIds['DE-BKA'], name: 'de', role: 'analyst', scopes: SCOPES })).token;
  const red = s.rows['DE-BKA'].RED.market;
  const own = { agency_id: s.agencyIds['DE-BKA'], tlp: 'CLEAR' as const };
  const t0 = new Date('2025-02-01T00:00:00Z');
  const v = await store.db.insertInto('vendors').values({ ...own, market_id: red, handle: 'crossmarked', handle_norm: 'crossmarked', first_seen: t0, last_seen: t0 }).returning('id').executeTakeFirstOrThrow();
  vendorId = v.id;
  await store.db.insertInto('listings').values({ ...own, market_id: red, vendor_id: v.id, external_id: 'L-cross', title: 'crossmarked heroin 1g', first_seen: t0, last_seen: t0 }).execute();
  const clearVendor = s.rows['DE-BKA'].CLEAR.vendor;
  const i = await store.db.insertInto('identities').values({ ...own, label: 'identity crossmarked' }).returning('id').executeTakeFirstOrThrow();
  identityId = i.id;
  await store.db.insertInto('identity_members').values({ identity_id: i.id, vendor_id: v.id }).execute();
  await store.db.insertInto('links').values({ ...own, vendor_a: clearVendor, vendor_b: v.id, score: 0.8, evidence: JSON.stringify([{ kind: 'pgp_key', detail: 'same fingerprint' }]) }).execute();
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
  const ev = await app.inject({ method: 'POST', url: `/api/markets/${red}/events`, headers: { authorization: `Bearer ${de}` }, payload: { kind: 'moved', detail: 'new onion', tlp: 'CLEAR' } });
  expect(ev.statusCode).toBe(201);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('a row marked less strictly than its market', () => {
  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${nl}` } });
    expect(r.statusCode, url).toBe(200);
    return r.body;
  };

  it('is shown to another agency without the name of its market on every route that joins it', async () => {
    const urls = [
      '/api/reports/overview?days=3650',
      `/api/vendors/${vendorId}`,
      '/api/vendors?q=crossmarked',
      '/api/listings?q=crossmarked',
      '/api/search?q=crossmarked',
      `/api/identities/${identityId}`,
      `/api/graph?vendorId=${vendorId}`,
      `/api/vendors/${s.rows['DE-BKA'].CLEAR.vendor}`,
    ];
    for (const url of urls) {
      const body = await get(url);
      expect(leaks(body, 'NL-POL', 'supervisor', false, url), url).toEqual([]);
    }
    // The rows themselves are visible: the market is just not named.
    const profile = JSON.parse(await get(`/api/vendors/${vendorId}`)) as { vendor: { handle: string }; market: unknown };
    expect(profile.vendor.handle).toBe('crossmarked');
    expect(profile.market).toBeNull();
    const listings = JSON.parse(await get('/api/listings?q=crossmarked')) as { items: Array<{ title: string; market: string | null }> };
    expect(listings.items.map((l) => [l.title, l.market])).toEqual([['crossmarked heroin 1g', null]]);
  });

  it('keeps the market named for the owner', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/vendors/${vendorId}`, headers: { authorization: `Bearer ${de}` } });
    expect((r.json() as { market: { name: string } }).market.name).toBe('Market de-bka-red');
  });
});
