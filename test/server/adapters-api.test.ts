import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFromJson, extractPage } from '../../src/extract/index.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { recordFixturePages, recordHtml, type RecordedPage } from './induce-seed.ts';
import { seed, type Seeded } from './seed.ts';
import { readFileSync } from 'node:fs';
import { MARKETS_2019 } from './induce-seed.ts';

// Adapter induction through the API on real pages of the 2019 Dream market, recorded as captures (WARC + log) of an
// agency's market: the inert structure of a page, clicks (element paths) on 3 listings and 3 vendor pages, the
// induced adapter and its coverage on the market's other captures, saving versions (audited), and the errors.
let store: TestStore;
let app: App;
let s: Seeded;
let pages: RecordedPage[];
let marketId: number;
let hostile: number;
const A = 'analyst-nl-pol';
const h = new Map<string, SessionHeaders>();

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-induce-api-'));
  marketId = s.rows['NL-POL'].AMBER.market;
  pages = await recordFixturePages(store.db, dir, s.agencyIds['NL-POL'], marketId, (f) => /\/(listings|sellers|login_page|anti_ddos)\//.test(f));
  const evil = `<html><head><script>fetch('/api/health?pwned=head')</script></head><body onload="fetch('/api/health?pwned=onload')" class="x&quot; onclick=&quot;alert(1)">
<script>alert('body')</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">click</a><svg onload="alert(4)"><text>svg text</text></svg>
<iframe srcdoc="<script>alert(5)</script>"></iframe><style>body{background:url(http://evil.invalid/x)}</style>${'<div class="row">item</div>'.repeat(5000)}</body></html>`;
  hostile = await recordHtml(store.db, dir, s.agencyIds['NL-POL'], s.rows['NL-POL'].RED.market, 'http://evil.onion/page', evil);
  app = await buildServer({ store, webRoot: false, rateLimit: false, warcRoot: dir });
  await app.ready();
  for (const u of [A, 'investigator-nl-pol', 'analyst-de-bka']) h.set(u, await loginCookie(app, u));
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const call = (user: string, method: 'GET' | 'POST', url: string, payload?: unknown) => app.inject({ method, url: `/api${url}`, headers: h.get(user), ...(payload === undefined ? {} : { payload: payload as object }) });

interface Node { path: string; depth: number; tag: string; id: string | null; classes: string[]; text: string; children: number }

async function structure(captureId: number): Promise<Node[]> {
  const r = await call(A, 'GET', `/captures/${captureId}/structure`);
  expect(r.statusCode, r.body).toBe(200);
  return r.json().nodes as Node[];
}

/** What an analyst clicks: the element showing each value (found here by its text, as the eye finds it). */
function clickListing(nodes: Node[], t: NonNullable<RecordedPage['truth']['listing']>) {
  const by = (test: (n: Node) => boolean, what: string) => {
    const n = nodes.find(test);
    if (!n) throw new Error(`no element shows ${what}`);
    return n.path;
  };
  const after = (label: string) => {
    const i = nodes.findIndex((n) => n.text === label);
    return nodes.slice(i + 1).find((n) => n.text !== '')!.path;
  };
  return {
    title: by((n) => n.text === t.title && n.tag !== 'title', 'title'),
    price: by((n) => n.text.includes(String(t.price.amount)), 'price'),
    vendor: by((n) => n.tag === 'a' && n.text === t.vendorHandle, 'vendor'),
    ships_from: after('Ships from'),
    ships_to: after('Ships to'),
  };
}

function clickVendor(nodes: Node[], v: { handle: string; rating: number }) {
  return {
    handle: nodes.find((n) => n.tag === 'span' && (n.text === v.handle || n.text.startsWith(`${v.handle} `)))!.path,
    rating: nodes.find((n) => n.tag === 'span' && Number.parseFloat(n.text) === v.rating)!.path,
  };
}

describe('adapter induction API', () => {
  it("lists the market's captured pages to pick from", async () => {
    const r = await call(A, 'GET', `/adapters/pages?marketId=${marketId}&limit=100`);
    expect(r.statusCode, r.body).toBe(200);
    const items = r.json().items as { captureId: number; url: string; pageType: string | null }[];
    expect(items.map((i) => i.captureId).sort((a, b) => a - b)).toEqual(pages.map((p) => p.captureId).sort((a, b) => a - b));
    expect(items.find((i) => i.captureId === pages[0]!.captureId)!.url).toBe(pages[0]!.truth.url);
    expect((await call(A, 'GET', '/adapters/pages?marketId=999999')).statusCode).toBe(404);
    // Another agency does not see an AMBER market's pages.
    expect((await call('analyst-de-bka', 'GET', `/adapters/pages?marketId=${marketId}`)).statusCode).toBe(404);
  });

  it('shows a page as an inert element tree with paths, never its markup', async () => {
    const listing = pages.find((p) => p.file.endsWith('listing_0.html'))!;
    const r = await call(A, 'GET', `/captures/${listing.captureId}/structure`);
    expect(r.statusCode).toBe(200);
    const body = r.json() as { nodes: Node[]; truncated: boolean; elements: number };
    expect(body.truncated).toBe(false);
    expect(body.nodes[0]!.path).toBe('html');
    const title = body.nodes.find((n) => n.text === listing.truth.listing!.title && n.tag === 'div')!;
    expect(title.classes).toEqual(['title']);
    expect(title.path).toMatch(/^html > body > .*div:nth-of-type\(\d+\)$/);
    // No attribute but id and class, no script content: nothing in the answer can run.
    expect(r.body).not.toMatch(/<script|href=|onclick|javascript:/i);
    expect(body.nodes.filter((n) => n.tag === 'script').every((n) => n.text === '' && n.children === 0)).toBe(true);
    const raw = readFileSync(path.join(MARKETS_2019, listing.file), 'utf8');
    expect(raw).toMatch(/<script/i);
    expect((await call(A, 'GET', '/captures/999999/structure')).statusCode).toBe(404);
  });

  it('shows a hostile, huge page as text only, cut at 4000 elements', async () => {
    const r = await call(A, 'GET', `/captures/${hostile}/structure`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json() as { nodes: Node[]; truncated: boolean; elements: number };
    expect(body.truncated).toBe(true);
    expect(body.nodes).toHaveLength(4000);
    expect(body.elements).toBeGreaterThan(4000);
    const bodyNode = body.nodes.find((n) => n.tag === 'body')!;
    expect(bodyNode.classes).toEqual(['x"', 'onclick="alert(1)']); // a class holding markup is a string, shown as text
    expect(JSON.stringify({ ...body, nodes: body.nodes.filter((n) => n !== bodyNode) })).not.toMatch(/alert|fetch\(|javascript:|onerror|onload=|srcdoc|evil\.invalid|svg text/);
    for (const t of ['script', 'svg', 'iframe', 'style']) expect(body.nodes.filter((n) => n.tag === t).every((n) => n.text === '' && n.children === 0), t).toBe(true);
    // Attributes other than id and class are never sent.
    expect(Object.keys(body.nodes[1]!).sort()).toEqual(['children', 'classes', 'depth', 'id', 'path', 'tag', 'text']);
  });

  let induced: { adapter: Record<string, unknown>; coverage: { pages: number; fields: { pageType: string; field: string; pages: number; withValue: number; coverage: number }[] }; coverageCaptures: { read: number; truncated: boolean; limit: number } };
  const training = (re: RegExp) => pages.filter((p) => re.test(p.file));

  it('induces an adapter from clicks on 3 listings and 3 vendor pages, with per-field coverage on the other captures (3 listings of different origins: one ships from = first ships to would teach the wrong rule)', async () => {
    const examples = [];
    for (const p of training(/listing_[035]\.html$/)) examples.push({ captureId: p.captureId, pageType: 'listing', fields: clickListing(await structure(p.captureId), p.truth.listing!) });
    for (const p of training(/seller_[027]\.html$/)) examples.push({ captureId: p.captureId, pageType: 'vendor_profile', ratingMax: 5, fields: clickVendor(await structure(p.captureId), p.truth.vendor!) });
    const r = await call(A, 'POST', '/adapters/induce', { marketId, examples });
    expect(r.statusCode, r.body).toBe(200);
    induced = r.json();
    const fields = (induced.adapter.pages as Record<string, { listings?: { fields: Record<string, unknown> }; vendors?: { fields: Record<string, unknown> } }>);
    expect(Object.keys(fields.listing!.listings!.fields)).toEqual(expect.arrayContaining(['title', 'price', 'vendorHandle', 'shipsFrom', 'shipsTo']));
    expect(Object.keys(fields.vendor_profile!.vendors!.fields)).toEqual(expect.arrayContaining(['handle', 'rating']));
    // Coverage on the rest: 3 listings, 7 vendor pages, 2 login pages and the anti-DDoS page.
    expect(induced.coverageCaptures).toEqual({ read: pages.length - 6, unreadable: 0, truncated: false, limit: 400 });
    expect(induced.coverage.pages).toBe(pages.length - 6);
    const cov = (type: string, field: string) => induced.coverage.fields.find((f) => f.pageType === type && f.field === field);
    for (const f of ['listing.title', 'listing.price', 'listing.vendorHandle', 'listing.shipsFrom', 'listing.shipsTo']) expect(cov('listing', f), f).toMatchObject({ pages: 3, withValue: 3, coverage: 1 });
    for (const f of ['vendor.handle', 'vendor.rating']) expect(cov('vendor_profile', f), f).toMatchObject({ pages: 7, withValue: 7, coverage: 1 });
    // And the values are the right ones: the induced adapter read on a page it was not shown.
    const adapter = adapterFromJson(JSON.stringify(induced.adapter));
    const unseen = pages.find((p) => p.file.endsWith('listing_4.html'))!;
    const out = extractPage(adapter, { url: unseen.truth.url, html: readFileSync(path.join(MARKETS_2019, unseen.file)), capturedAt: '2019-05-01T00:00:00Z', captureDigest: 'x', contentType: 'text/html; charset=utf-8' });
    expect(out.pageType).toBe('listing');
    expect(out.listings[0]).toMatchObject({ title: unseen.truth.listing!.title, vendorHandle: unseen.truth.listing!.vendorHandle });
    expect(out.listings[0]!.price).toMatchObject(unseen.truth.listing!.price);
    const seller = pages.find((p) => p.file.endsWith('seller_9.html'))!;
    const v = extractPage(adapter, { url: seller.truth.url, html: readFileSync(path.join(MARKETS_2019, seller.file)), capturedAt: '2019-05-01T00:00:00Z', captureDigest: 'x', contentType: 'text/html; charset=utf-8' });
    expect(v.vendors[0]).toMatchObject({ handle: seller.truth.vendor!.handle, rating: seller.truth.vendor!.rating });
  });

  it('reads a price clicked apart from its currency from their common block', async () => {
    const p = training(/listing_0\.html$/)[0]!;
    const nodes = await structure(p.captureId);
    const price = clickListing(nodes, p.truth.listing!).price;
    const parentOf = price.split(' > ').slice(0, -1).join(' > ');
    const r = await call(A, 'POST', '/adapters/induce', { marketId, examples: [{ captureId: p.captureId, pageType: 'listing', fields: { price, currency: parentOf } }] });
    expect(r.statusCode, r.body).toBe(200);
    const f = (r.json().fields as { field: string; labelled: number; correct: number }[]).find((x) => x.field === 'listing.price')!;
    expect(f).toMatchObject({ labelled: 1, correct: 1 });
  });

  it('answers bad input with clear 400/404 errors', async () => {
    const listing = pages.find((p) => p.file.endsWith('listing_0.html'))!;
    const other = s.rows['NL-POL'].GREEN.capture;
    const cases: [unknown, number, RegExp][] = [
      [{ marketId, examples: [] }, 400, /at least one labelled page/],
      [{ marketId, examples: [{ captureId: 999_999, pageType: 'listing', fields: {} }] }, 404, /capture 999999 does not exist/],
      [{ marketId, examples: [{ captureId: other, pageType: 'listing', fields: {} }] }, 400, /is not a capture of market/],
      [{ marketId, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: { colour: 'html > body' } }] }, 400, /unknown field 'colour'/],
      [{ marketId, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: { title: 'html > body > blink:nth-of-type(9)' } }] }, 400, /no element at/],
      [{ marketId, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: { title: 'html >>> !!' } }] }, 400, /no element at/],
      [{ marketId, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: { currency: 'html > body' } }] }, 400, /click the price too/],
      [{ marketId, examples: [{ captureId: listing.captureId, pageType: 'shop', fields: {} }] }, 400, /pageType/],
      [{ marketId: 999_999, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: {} }] }, 404, /market 999999/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await call(A, 'POST', '/adapters/induce', body);
      expect(r.statusCode, JSON.stringify(body)).toBe(status);
      expect(r.body, JSON.stringify(body)).toMatch(msg);
    }
    // Investigators read but do not induce or save.
    expect((await call('investigator-nl-pol', 'POST', '/adapters/induce', { marketId, examples: [{ captureId: listing.captureId, pageType: 'listing', fields: {} }] })).statusCode).toBe(403);
  });

  it('saves versions (audited), lists and shows them; other agencies see none', async () => {
    const first = await call(A, 'POST', '/adapters', { marketId, adapter: induced.adapter, labels: 6 });
    expect(first.statusCode, first.body).toBe(201);
    const adapterId = first.json().adapterId as string;
    expect(first.json()).toMatchObject({ version: '1.0.0', market: expect.any(String) });
    const second = await call(A, 'POST', '/adapters', { marketId, adapter: induced.adapter });
    expect(second.json().version).toBe('1.0.1');
    const list = await call(A, 'GET', '/adapters');
    expect((list.json().items as { adapterId: string; version: string }[]).filter((x) => x.adapterId === adapterId).map((x) => x.version)).toEqual(['1.0.0', '1.0.1']);
    const show = await call(A, 'GET', `/adapters/${adapterId}`);
    expect(show.statusCode).toBe(200);
    expect(show.json().saved.version).toBe('1.0.1');
    expect(show.json().versions).toHaveLength(2);
    expect(show.json().adapter.pages).toEqual(induced.adapter.pages);
    expect((await call(A, 'GET', `/adapters/${adapterId}?version=1.0.0`)).json().saved.version).toBe('1.0.0');
    expect((await call(A, 'GET', `/adapters/${adapterId}?version=9.9.9`)).statusCode).toBe(404);
    expect((await call('analyst-de-bka', 'GET', `/adapters/${adapterId}`)).statusCode).toBe(404);
    expect((await call('analyst-de-bka', 'GET', '/adapters')).json().items).toEqual([]);
    // Audited as the CLI's save is (adapter.save, by the user).
    const audit = await store.db.selectFrom('audit_log').select(['actor', 'action', 'object_id']).where('action', '=', 'adapter.save').execute();
    expect(audit.map((a) => a.object_id)).toEqual([`${adapterId}@1.0.0`, `${adapterId}@1.0.1`]);
    expect(audit.every((a) => a.actor === `user:${A}`)).toBe(true);
    // A hostile or broken adapter is refused; another agency cannot save for this market.
    const bad = await call(A, 'POST', '/adapters', { marketId, adapter: { ...induced.adapter, pages: { listing: { listings: { fields: { title: { selector: 'div[[[' } } } } } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/not a usable adapter/);
    const proto = await app.inject({ method: 'POST', url: '/api/adapters', headers: { ...h.get(A), 'content-type': 'application/json' }, payload: `{"marketId":${marketId},"adapter":{"id":"x","version":"1.0.0","market":"m","pageTypes":[],"pages":{"__proto__":{"a":1}}}}` });
    expect(proto.statusCode).toBe(400);
    const green = s.rows['NL-POL'].GREEN.market;
    expect((await call('analyst-de-bka', 'POST', '/adapters', { marketId: green, adapter: induced.adapter })).statusCode).toBe(403);
  });
});
