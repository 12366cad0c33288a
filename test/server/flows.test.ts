import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeKey, placeOf } from '../../src/analyse/index.ts';
import { buildServer, createUser, MemoryCaptchaQueue, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie } from './helpers.ts';
import { PASSWORD, TEST_SCRYPT } from './seed.ts';

// One place, one key: markets spell the same country as 'US', 'USA', 'United States' or 'united  states of
// america'. The shipping-flow map, its origins and revenue by ships-from must count each place once.

let store: TestStore;
let app: App;
let cookie: Record<string, string>;

/** ships_from, ships_to and feedback count of each made-up listing (one snapshot each, $100). */
const LISTINGS: [string, string[], number][] = [
  ['US', ['US'], 2],
  ['USA', ['United States'], 1],
  ['United States', ['united  states of america'], 3],
  [' united states ', [], 0],
  ['NL', ['Germany'], 1],
  ['Netherlands', ['DE', 'deu'], 2], // one listing naming Germany twice counts once
  ['the netherlands', ['WW'], 0],
  ['NLD', ['worldwide'], 1],
  ['Narnia', ['EU'], 0],
];

beforeAll(async () => {
  store = await openTestStore();
  const db = store.db;
  await db.insertInto('agencies').values({ code: 'NL-POL', name: 'NL', country: 'NL' }).execute();
  await createUser(db, { agencyCode: 'NL-POL', username: 'anna', role: 'analyst', password: PASSWORD }, TEST_SCRYPT);
  const agency = await db.selectFrom('agencies').select('id').executeTakeFirstOrThrow();
  const own = { agency_id: agency.id, tlp: 'AMBER' as const };
  const t0 = new Date(Date.now() - 10 * 86_400_000);
  const market = await db.insertInto('markets').values({ ...own, slug: 'm', name: 'Market', status: 'up' }).returning('id').executeTakeFirstOrThrow();
  const vendor = await db.insertInto('vendors').values({ ...own, market_id: market.id, handle: 'v', handle_norm: 'v', first_seen: t0, last_seen: t0 }).returning('id').executeTakeFirstOrThrow();
  for (const [i, [from, to, feedback]] of LISTINGS.entries()) {
    const l = await db.insertInto('listings').values({ ...own, market_id: market.id, vendor_id: vendor.id, external_id: `L${i}`, title: `listing ${i}`, substance: 'cocaine', substance_class: 'stimulant', first_seen: t0, last_seen: t0 }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('listing_snapshots').values({ ...own, listing_id: l.id, observed_at: t0, price: 100, currency: 'USD', price_usd: 100, ships_from: from, ships_to: to }).execute();
    for (let k = 0; k < feedback; k++) await db.insertInto('feedback').values({ ...own, market_id: market.id, vendor_id: vendor.id, listing_id: l.id, rating: 5, body: 'ok', left_at: t0, dedupe_key: `${i}-${k}` }).execute();
  }
  app = await buildServer({ store, captchas: new MemoryCaptchaQueue(), webRoot: false, rateLimit: false });
  await app.ready();
  cookie = await loginCookie(app, 'anna');
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('places', () => {
  it('gives every spelling of a place one key, and the key places as the spelling does', () => {
    for (const s of ['US', 'usa', 'USA', 'United States', ' united  states of america ', 'U.S.A.']) expect(placeKey(s)).toBe('US');
    for (const s of ['NL', 'NLD', 'Netherlands', 'the netherlands', 'Holland', 'Nederland']) expect(placeKey(s)).toBe('NL');
    for (const s of ['WW', 'worldwide', 'World Wide']) expect(placeKey(s)).toBe('Worldwide');
    expect(placeKey('EU')).toBe('European Union');
    expect(placeKey('  Narnia ')).toBe('Narnia');
    for (const s of ['USA', 'worldwide', 'EU', 'Narnia', 'deu']) expect(placeOf(placeKey(s))).toEqual(placeOf(s));
  });
});

describe('GET /api/reports/shipping-flows merges flows by place', () => {
  it('lists each pair of places once, counting a listing once per pair', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/reports/shipping-flows?days=365', headers: cookie });
    expect(r.statusCode).toBe(200);
    const map = r.json() as { flows: { from: string; to: string; listings: number; fromPlace: { name: string } }[]; origins: { label: string; listings: number; revenueUsd: { value: number } | null }[] };
    const flows = map.flows.map((f) => [f.from, f.to, f.listings]).sort();
    expect(flows).toEqual(
      [
        ['NL', 'DE', 2],
        ['NL', 'Worldwide', 2],
        ['Narnia', 'European Union', 1],
        ['US', '??', 1],
        ['US', 'US', 3],
      ].sort(),
    );
    expect(map.flows.filter((f) => f.from === f.to).map((f) => f.fromPlace.name)).toEqual(['United States of America']); // one domestic row, not two
    expect(map.origins.map((o) => [o.label, o.listings]).sort()).toEqual([['NL', 4], ['Narnia', 1], ['US', 4]].sort());
    // Revenue by ships-from is keyed by the same place: the origin circle carries the whole place's estimate.
    const byPlace = (await app.inject({ method: 'GET', url: '/api/reports/revenue?by=ships_from', headers: cookie })).json() as { items: { key: string; label: string; feedback: number; revenueUsd: { value: number } }[] };
    expect(byPlace.items.map((i) => [i.key, i.label, i.feedback]).sort()).toEqual([['NL', 'Netherlands', 4], ['US', 'United States of America', 6]].sort());
    const us = map.origins.find((o) => o.label === 'US')!;
    expect(us.revenueUsd!.value).toBeCloseTo(byPlace.items.find((i) => i.key === 'US')!.revenueUsd.value, 6);
    expect(map.origins.find((o) => o.label === 'Narnia')!.revenueUsd).toBeNull();
  });
});
