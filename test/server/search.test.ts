import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/server/index.ts';
import { refreshMarketCounts, verifyAuditChain } from '../../src/store/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

/**
 * Search and paging correctness (docs/api.md, "Performance"): ranked tiers, filters, prefix and multi-word matching,
 * access rules inside search, and keyset cursors that visit every row exactly once (ties and microseconds included).
 */
let store: TestStore;
let app: App;
let s: Seeded;
let nl: SessionHeaders;
let de: SessionHeaders;
const L: Record<string, number> = {};

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const nlAgency = s.agencyIds['NL-POL'];
  const m1 = s.rows['NL-POL'].AMBER.market;
  const m2 = s.rows['NL-POL'].GREEN.market;
  const v1 = s.rows['NL-POL'].AMBER.vendor;
  const add = async (key: string, o: { title: string; description?: string; seen: string; market?: number; agency?: number; tlp?: 'AMBER' | 'RED' | 'GREEN'; substance?: string }) => {
    const r = await store.db
      .insertInto('listings')
      .values({ agency_id: o.agency ?? nlAgency, tlp: o.tlp ?? 'AMBER', market_id: o.market ?? m1, vendor_id: o.market === undefined || o.market === m1 ? v1 : null, external_id: `S-${key}`, title: o.title, description: o.description ?? '', substance: o.substance ?? 'cocaine', first_seen: new Date('2025-01-01Z'), last_seen: o.seen })
      .returning('id')
      .executeTakeFirstOrThrow();
    L[key] = r.id;
  };
  await add('premium', { title: 'Zorblax premium 5g', seen: '2025-06-03 10:00:00.123456+00' });
  await add('tenG', { title: 'zorblax 10g', seen: '2025-06-01 00:00:00+00' });
  await add('descOnly', { title: 'Crystal rocks', description: 'tested like zorblax, stealth', seen: '2025-06-05 00:00:00+00' });
  await add('prefix', { title: 'Zorblaxian shards', seen: '2025-06-02 00:00:00+00' });
  // Same last_seen to the microsecond as 'premium': the id decides, and a cursor between them must not skip or repeat.
  await add('tie', { title: 'zorblax tie', seen: '2025-06-03 10:00:00.123456+00' });
  await add('otherMarket', { title: 'Zorblax bulk', seen: '2025-06-04 00:00:00+00', market: m2, substance: 'ketamine' });
  await add('foreignSecret', { title: 'Zorblax hidden', seen: '2025-06-06 00:00:00+00', agency: s.agencyIds['DE-BKA'], market: s.rows['DE-BKA'].AMBER.market, tlp: 'AMBER' });
  await add('foreignShared', { title: 'Zorblax shared', seen: '2025-05-01 00:00:00+00', agency: s.agencyIds['DE-BKA'], market: s.rows['DE-BKA'].GREEN.market, tlp: 'GREEN' });
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
  nl = await loginCookie(app, 'analyst-nl-pol');
  de = await loginCookie(app, 'analyst-de-bka');
}, 180_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

interface Item {
  id: number;
  match?: string;
  title?: string;
  handle?: string;
}
interface PageBody {
  items: Item[];
  nextCursor: string | null;
  nextOffset: number | null;
}
const get = async (url: string, cookie = nl) => {
  const r = await app.inject({ method: 'GET', url, headers: cookie });
  return { status: r.statusCode, body: r.json() as PageBody & { error?: string } };
};

describe('listing search', () => {
  it('ranks title matches before description-only matches, newest first within each, and hides what the caller may not see', async () => {
    const { status, body } = await get('/api/listings?q=zorblax');
    expect(status).toBe(200);
    expect(body.items.map((i) => [i.id, i.match])).toEqual([
      [L.otherMarket, 'title'],
      [L.tie, 'title'], // same last_seen as premium, higher id first
      [L.premium, 'title'],
      [L.prefix, 'title'], // "zorblax" is a prefix of "zorblaxian"
      [L.tenG, 'title'],
      [L.foreignShared, 'title'], // another agency's GREEN row
      [L.descOnly, 'text'], // newest of all, but only in the description
    ]);
    const deView = (await get('/api/listings?q=zorblax', de)).body.items.map((i) => i.id);
    expect(deView).toContain(L.foreignSecret);
    expect(deView).not.toContain(L.premium); // NL's AMBER rows stay in NL
  });

  it('needs every word (as a prefix), and treats search syntax as plain text', async () => {
    expect((await get('/api/listings?q=zorbl%2010g')).body.items.map((i) => i.id)).toEqual([L.tenG]);
    expect((await get('/api/listings?q=ZORBLAX%20stealth')).body.items.map((i) => [i.id, i.match])).toEqual([[L.descOnly, 'text']]);
    for (const hostile of ["zorblax & !(", "':*|", '\\', '!!', "o'brien"]) {
      const r = await get(`/api/listings?q=${encodeURIComponent(hostile)}`);
      expect(r.status).toBe(200);
    }
    expect((await get(`/api/listings?q=${encodeURIComponent('& | !')}`)).body.items).toEqual([]);
  });

  it('combines search with market and substance filters', async () => {
    const m2 = s.rows['NL-POL'].GREEN.market;
    expect((await get(`/api/listings?q=zorblax&marketId=${m2}`)).body.items.map((i) => i.id)).toEqual([L.otherMarket]);
    expect((await get('/api/listings?q=zorblax&substance=ketamine')).body.items.map((i) => i.id)).toEqual([L.otherMarket]);
  });

  it('pages by cursor and by offset through the same rows, each exactly once, across ties and tiers', async () => {
    const all = (await get('/api/listings?q=zorblax&limit=100')).body.items.map((i) => i.id);
    const byCursor: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: PageBody = (await get(`/api/listings?q=zorblax&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
      byCursor.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(byCursor).toEqual(all);
    const byOffset: number[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const page: PageBody = (await get(`/api/listings?q=zorblax&limit=3&offset=${offset}`)).body;
      byOffset.push(...page.items.map((x) => x.id));
      offset = page.nextOffset;
    }
    expect(byOffset).toEqual(all);
    // Without q: newest first over everything visible, cursor pages again equal one big page.
    const everything = (await get('/api/listings?limit=500')).body.items.map((i) => i.id);
    const paged: number[] = [];
    cursor = null;
    do {
      const page: PageBody = (await get(`/api/listings?limit=4${cursor ? `&cursor=${cursor}` : ''}`)).body;
      paged.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(everything);
  });

  it('refuses a forged cursor and a cursor combined with an offset with a 400', async () => {
    expect((await get('/api/listings?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
    expect((await get(`/api/listings?cursor=${Buffer.from(JSON.stringify([0, "2025-01-01'; drop table listings", 1])).toString('base64url')}`)).status).toBe(400);
    const first = (await get('/api/listings?q=zorblax&limit=1')).body;
    expect((await get(`/api/listings?q=zorblax&limit=1&offset=1&cursor=${first.nextCursor}`)).status).toBe(400);
  });
});

describe('vendor search and the one box', () => {
  it('ranks the exact handle, then handles containing q, then profile text', async () => {
    const own = s.rows['NL-POL'];
    await store.db.updateTable('vendors').set({ profile_text: 'ask for vendor-nl-pol-amber on other markets' }).where('id', '=', own.RED.vendor).execute();
    const items = (await get('/api/vendors?q=vendor-nl-pol-amber')).body.items;
    expect(items[0]).toMatchObject({ id: own.AMBER.vendor, match: 'handle_exact' });
    expect(items.find((i) => i.id === own.RED.vendor)).toMatchObject({ match: 'profile' });
    const contains = (await get('/api/vendors?q=nl-pol')).body.items;
    expect(contains.length).toBeGreaterThanOrEqual(10); // vendor-… and alias-… of 5 TLPs
    expect(contains.every((i) => i.match === 'handle' && (i.handle ?? '').includes('nl-pol'))).toBe(true);
    expect(contains.some((i) => (i.handle ?? '').includes('de-bka-amber'))).toBe(false);
  });

  it('gives the same tiered rows from the one-statement first page as tier by tier through cursors', async () => {
    // A first page reads every tier in one probe (keyset.ts, fusedProbe); later cursor pages ask tier by tier.
    const own = s.rows['NL-POL'];
    await store.db.updateTable('vendors').set({ profile_text: 'ask for vendor-nl-pol-amber on other markets' }).where('id', '=', own.RED.vendor).execute();
    for (const q of ['vendor-nl-pol-amber', 'nl-pol', 'vendor']) {
      const all = (await get(`/api/vendors?q=${q}&limit=100`)).body.items.map((i) => [i.id, i.match]);
      expect(all.length).toBeGreaterThan(1);
      const byCursor: (string | number | undefined)[][] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const page: PageBody = (await get(`/api/vendors?q=${q}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body;
        byCursor.push(...page.items.map((x) => [x.id, x.match]));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(byCursor).toEqual(all);
      const byOffset: (string | number | undefined)[][] = [];
      for (let offset: number | null = 0; offset !== null; ) {
        const page: PageBody = (await get(`/api/vendors?q=${q}&limit=3&offset=${offset}`)).body;
        byOffset.push(...page.items.map((x) => [x.id, x.match]));
        offset = page.nextOffset;
      }
      expect(byOffset).toEqual(all);
      // Each tier in order, newest first within it (last_seen, then id, descending).
      const tiers = all.map(([, m]) => ['handle_exact', 'handle', 'profile'].indexOf(m as string));
      expect(tiers).toEqual([...tiers].sort((a, b) => a - b));
    }
  });

  it('answers the one box with listings, vendors and selectors', async () => {
    const r = await app.inject({ method: 'GET', url: '/api/search?q=zorblax&limit=3', headers: nl });
    const b = r.json() as { listings: Item[]; vendors: Item[]; selectors: unknown[] };
    expect(b.listings.map((i) => i.id)).toEqual([L.otherMarket, L.tie, L.premium]);
    const sel = (await app.inject({ method: 'GET', url: '/api/search?q=bc1qnl-pol', headers: nl })).json() as { selectors: { value: string }[] };
    expect(sel.selectors.map((x) => x.value).sort()).toEqual(['bc1qnl-pol-amber', 'bc1qnl-pol-amber-strict', 'bc1qnl-pol-clear', 'bc1qnl-pol-green', 'bc1qnl-pol-red']);
  });
});

describe('links and market counts', () => {
  it('pages links strongest first by cursor exactly like one big page', async () => {
    const all = (await get('/api/links?limit=500')).body.items.map((i) => i.id);
    expect(all.length).toBeGreaterThan(3);
    const paged: number[] = [];
    let cursor: string | null = null;
    do {
      const page: PageBody = (await get(`/api/links?limit=3${cursor ? `&cursor=${cursor}` : ''}`)).body;
      paged.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
  });

  it('serves per-market counts from the materialised table, within the access rule, refreshed by the pipeline', async () => {
    await refreshMarketCounts(store.db);
    const m1 = s.rows['NL-POL'].AMBER.market;
    const truth = async () =>
      Number((await store.db.selectFrom('listings').select((eb) => eb.fn.countAll<number>().as('n')).where('market_id', '=', m1).executeTakeFirstOrThrow()).n);
    const before = (await get(`/api/markets/${m1}`)).body as unknown as { counts: { listings: number; vendors: number; asOf: string } };
    expect(before.counts.listings).toBe(await truth());
    expect(before.counts.asOf).toBeTruthy();
    await store.db.insertInto('listings').values({ agency_id: s.agencyIds['NL-POL'], tlp: 'RED', market_id: m1, external_id: 'S-new', title: 'new', first_seen: new Date(), last_seen: new Date() }).execute();
    await refreshMarketCounts(store.db);
    const after = (await get(`/api/markets/${m1}`)).body as unknown as { counts: { listings: number } };
    expect(after.counts.listings).toBe(await truth());
    expect(after.counts.listings).toBe(before.counts.listings + 1);
    // NL's GREEN market holds a GREEN listing (seed) and an AMBER one (otherMarket): another agency counts only the first.
    const m2 = s.rows['NL-POL'].GREEN.market;
    const listings = async (cookie: SessionHeaders) => ((await get('/api/markets?limit=500', cookie)).body.items as unknown as { id: number; listings: number }[]).find((m) => m.id === m2)?.listings;
    expect(await listings(nl)).toBe(2);
    expect(await listings(de)).toBe(1);
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  });
});
