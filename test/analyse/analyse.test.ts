import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  estimateRevenue,
  marketDynamics,
  rankTargets,
  scaleByFeedbackRate,
  substanceWarnings,
  takedownMigration,
} from '../../src/analyse/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

const day = (d: number) => new Date(Date.UTC(2024, 0, 1) + d * 86_400_000);

/**
 * A small hand-made ecosystem: market A is seized on day 60; vendor "north" (identity 1) moves to market B,
 * vendor "south" sells only on A and vanishes; "west" sells cannabis on B all along; a nitazene appears late.
 */
async function seed(store: TestStore) {
  const { db } = store;
  const agency = await db.insertInto('agencies').values({ code: 'TA', name: 'T', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
  const owned = { agency_id: agency.id };
  const [a, b] = await db.insertInto('markets').values([{ ...owned, slug: 'alpha', name: 'Alpha' }, { ...owned, slug: 'bravo', name: 'Bravo' }]).returning('id').execute();
  await db.insertInto('market_events').values({ ...owned, market_id: a!.id, kind: 'seized', observed_at: day(60) }).execute();
  const vendor = async (market: number, handle: string, first: number) =>
    (await db.insertInto('vendors').values({ ...owned, market_id: market, handle, handle_norm: handle, first_seen: day(first), last_seen: day(first + 30) }).returning('id').executeTakeFirstOrThrow()).id;
  const northA = await vendor(a!.id, 'north', 0);
  const northB = await vendor(b!.id, 'n0rth', 70);
  const south = await vendor(a!.id, 'south', 0);
  const west = await vendor(b!.id, 'west', 0);
  const identity = await db.insertInto('identities').values({ ...owned, label: 'north' }).returning('id').executeTakeFirstOrThrow();
  await db.insertInto('identity_members').values([{ identity_id: identity.id, vendor_id: northA }, { identity_id: identity.id, vendor_id: northB }]).execute();

  let ext = 0;
  const listing = async (market: number, vendorId: number, cls: string, substance: string, priceUsd: number, first: number, shipsTo: string[], feedback: number[]) => {
    const l = await db
      .insertInto('listings')
      .values({ ...owned, market_id: market, vendor_id: vendorId, external_id: `L${ext++}`, title: substance, substance_class: cls, substance, first_seen: day(first), last_seen: day(first + 20) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('listing_snapshots').values({ ...owned, listing_id: l.id, observed_at: day(first), price: priceUsd, currency: 'USD', price_usd: priceUsd, ships_to: shipsTo, ships_from: 'NL' }).execute();
    for (const [i, d] of feedback.entries()) {
      await db.insertInto('feedback').values({ ...owned, market_id: market, vendor_id: vendorId, listing_id: l.id, rating: 5, body: 'ok', left_at: day(d), dedupe_key: `${l.id}-${i}` }).execute();
    }
  };
  await listing(a!.id, northA, 'opioid', 'heroin', 100, 0, ['DE', 'FR', 'NL'], Array.from({ length: 40 }, (_, i) => i + 1));
  await listing(b!.id, northB, 'opioid', 'heroin', 110, 70, ['DE', 'FR', 'NL', 'BE'], Array.from({ length: 20 }, (_, i) => 71 + i));
  await listing(a!.id, south, 'stimulant', 'cocaine', 80, 0, ['NL'], Array.from({ length: 30 }, (_, i) => i + 5));
  await listing(b!.id, west, 'cannabis', 'cannabis', 40, 0, ['WW'], Array.from({ length: 50 }, (_, i) => i + 2));
  for (const price of [35, 38, 45]) await listing(b!.id, west, 'cannabis', 'cannabis', price, 0, ['WW'], []);
  await listing(b!.id, west, 'cannabis', 'cannabis', 5000, 0, ['WW'], [10]); // a holding listing: far above its class
  for (let i = 0; i < 4; i++) await listing(b!.id, west, 'opioid', 'protonitazene', 90, 95 + i, ['NL'], []);

  // "east": one $10 listing re-visited weekly: stock 20 → 15 → 15 → 30 (restock) → 26; feedback on days 3, 9, 24.
  const east = await vendor(b!.id, 'east', 0);
  const el = await db.insertInto('listings').values({ ...owned, market_id: b!.id, vendor_id: east, external_id: 'E1', title: 'coke',
    substance_class: 'stimulant', substance: 'cocaine', first_seen: day(0), last_seen: day(28) }).returning('id').executeTakeFirstOrThrow();
  for (const [d, stock] of [[0, 20], [7, 15], [14, 15], [21, 30], [28, 26]] as const) {
    await db.insertInto('listing_snapshots').values({ ...owned, listing_id: el.id, observed_at: day(d), price: 10, currency: 'USD', price_usd: 10, stock, ships_to: ['NL'], ships_from: 'NL' }).execute();
  }
  for (const d of [3, 9, 24]) {
    await db.insertInto('feedback').values({ ...owned, market_id: b!.id, vendor_id: east, listing_id: el.id, rating: 5, body: 'ok', left_at: day(d), dedupe_key: `E1-${d}` }).execute();
  }
  return { northA, northB, south, west, east, identity: identity.id };
}

describe(`analysis on ${testEngine}`, () => {
  let store: TestStore;
  let ids: Awaited<ReturnType<typeof seed>>;
  beforeAll(async () => {
    store = await openTestStore();
    ids = await seed(store);
  });
  afterAll(async () => {
    await store.close();
  });

  it('scales feedback to sales with an interval that contains the point estimate', () => {
    const e = scaleByFeedbackRate(60, 0.6, [0.5, 0.7]);
    expect(e.value).toBeCloseTo(100);
    expect(e.low).toBeLessThan(e.value);
    expect(e.high).toBeGreaterThan(e.value);
    expect(() => scaleByFeedbackRate(10, 0)).toThrow(RangeError);
  });

  it('estimates revenue per vendor and per identity, ignoring the holding listing', async () => {
    const opts = { feedbackRate: 0.5 };
    const byVendor = new Map((await estimateRevenue(store.db, 'vendor', opts)).map((r) => [Number(r.key), r]));
    expect(byVendor.get(ids.northA)?.revenueUsd.value).toBeCloseTo((40 * 100) / 0.5);
    expect(byVendor.get(ids.west)?.feedback).toBe(50); // the $5,000 listing's single feedback is not a sale
    const byIdentity = new Map((await estimateRevenue(store.db, 'identity', opts)).map((r) => [r.key, r]));
    expect(byIdentity.get(`i${ids.identity}`)?.revenueUsd.value).toBeCloseTo((40 * 100 + 20 * 110) / 0.5);
    const withUnits = await estimateRevenue(store.db, 'identity', { feedbackRate: 0.5, unitsPerSale: 1.2 });
    expect(withUnits.find((r) => r.key === `i${ids.identity}`)?.revenueUsd.value).toBeCloseTo(((40 * 100 + 20 * 110) / 0.5) * 1.2);
  });

  it('counts units from stock decrements where the snapshots show them, and feedback elsewhere', async () => {
    // Units: 5 from the clean window days 0–7 (its feedback on days 3 and 9 is already counted by the decrement), 0 from
    // days 7–14, and the feedback on day 24 (across the restock) as 1/0.5 = 2 units (too little data on this market
    // to calibrate, so unitsPerSale / feedbackRate applies).
    const opts = { feedbackRate: 0.5, useStock: true };
    const noTail = new Map((await estimateRevenue(store.db, 'vendor', { ...opts, stockLagDays: 0 })).map((r) => [Number(r.key), r]));
    expect(noTail.get(ids.east)?.revenueUsd.value).toBeCloseTo(10 * (5 + 2));
    expect(noTail.get(ids.east)?.feedback).toBe(1);
    // With the default 3.5-day display lag, the listing's recent stock rate (5 units in 14 days) is extrapolated.
    const withTail = new Map((await estimateRevenue(store.db, 'vendor', opts)).map((r) => [Number(r.key), r]));
    expect(withTail.get(ids.east)?.revenueUsd.value).toBeCloseTo(10 * (5 + 2 + (5 / 14) * 3.5));
    // Feedback only: three entries at rate 0.5.
    const plain = new Map((await estimateRevenue(store.db, 'vendor', { feedbackRate: 0.5 })).map((r) => [Number(r.key), r]));
    expect(plain.get(ids.east)?.revenueUsd.value).toBeCloseTo((3 * 10) / 0.5);
    // Vendors without stock snapshots are estimated from feedback as before.
    expect(noTail.get(ids.northA)?.revenueUsd.value).toBeCloseTo((40 * 100) / 0.5);
  });

  it('traces where a seized market\'s vendors went, and who never came back', async () => {
    const r = await takedownMigration(store.db, 'alpha');
    expect(r.closure.kind).toBe('seized');
    const north = r.identities.find((i) => i.fromVendorId === ids.northA);
    expect(north?.toMarket).toBe('bravo');
    expect(north?.daysAfter).toBeCloseTo(10);
    expect(r.identities.find((i) => i.fromVendorId === ids.south)?.toMarket).toBeNull();
    expect(r.reappeared).toBeCloseTo(0.5);
    await expect(takedownMigration(store.db, 'bravo')).rejects.toThrow(/no seizure/);
  });

  it('warns about a newly appearing nitazene with high priority', async () => {
    const w = await substanceWarnings(store.db, { windowDays: 30, minRecent: 3 });
    expect(w[0]).toMatchObject({ substance: 'protonitazene', reason: 'new', priority: 'high' });
  });

  it('ranks targets with a breakdown that adds up to the score', async () => {
    const ranked = await rankTargets(store.db, { feedbackRate: 0.5 });
    expect(ranked[0]?.key).toBe(`i${ids.identity}`); // most revenue, opioids, two markets
    for (const t of ranked) {
      const sum = Object.values(t.factors).reduce((a, f) => a + f.contribution, 0);
      expect(sum).toBeCloseTo(t.score);
      expect(t.factors.revenue.explanation).toMatch(/estimated \$/);
    }
    const harmOnly = await rankTargets(store.db, { feedbackRate: 0.5 }, { revenue: 0, harm: 1, reach: 0, persistence: 0, identifiability: 0 });
    expect(harmOnly.at(-1)?.key).toBe(`v${ids.west}`); // cannabis weighs least
  });

  it('reports per-market monthly activity with revenue shares that add up to one', async () => {
    const rows = await marketDynamics(store.db, { feedbackRate: 0.5 });
    const jan = rows.filter((r) => r.month === '2024-01' && r.revenueUsd);
    expect(jan.reduce((a, r) => a + r.share, 0)).toBeCloseTo(1);
  });
});
