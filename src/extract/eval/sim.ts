// Accuracy of the sim-market adapters against the sim's ground truth: serve a world in-process (no faults, no
// rate limit), log in to every market (the in-process CAPTCHA hook stands in for the human), walk the index
// pages the adapter finds, fetch every listing, vendor and vendor-feedback page directly on 127.0.0.1, extract
// with the market's adapter and score field by field (precision and recall per market per field).
import { extractSelectors } from '../selectors/index.ts';
import { extractPage } from '../adapter/run.ts';
import { extractGeneric, GENERIC_REF } from '../generic/index.ts';
import { simAdapterFor } from '../adapters/sim-adapters.ts';
import type { Adapter } from '../adapter/types.ts';
import type { ExtractResult, PageType } from '../types.ts';
import {
  CATEGORY_LABELS, CURRENCY_DECIMALS, TEST_HOOKS_ENV, countryName, dayToIsoDate, dayToUnix, generateWorld, isScalePreset, maskBuyer, priceOn,
  serveWorld, stockOn, usdTo,
} from '../../sim/index.ts';
import type { ScalePreset, ServedMarket, SimAccount, SimListing, SimServing, World } from '../../sim/index.ts';
import { report, scoreField, type FieldReport, type FieldScores } from './score.ts';
import { categoryClass, countryCode } from './sim-labels.ts';

export interface SimExtractEvalOptions {
  seed: string | number;
  /** Scale preset (default 'tiny'). */
  scale?: ScalePreset;
  /** Sim day the markets show; default 40 % into the run, when every default market is up and has listings. */
  day?: number;
  /** Upper bound on pages fetched per market (default 20 000). */
  maxPagesPerMarket?: number;
  /** Score the generic extractor (adapters off) instead of the design's adapter; the adapter still finds the
   * pages (next index page, listing and vendor URLs), as a crawler following links would. */
  generic?: boolean;
  onProgress?: (line: string) => void;
  /** Every listing and vendor page fetched, with what the ground truth says it shows (adapter induction tests). */
  onPage?: (page: SimTruthPage) => void;
  /** Only these market designs (default: every market). */
  designs?: readonly string[];
}

/** A fetched sim page and its truth: title, vendor and price (rounded as the market shows it), ships from/to and
 * category as the page prints them (the sim's own `countryName` and `CATEGORY_LABELS` applied to the truth's codes),
 * or vendor handle. */
export interface SimTruthPage {
  market: string;
  design: string;
  kind: 'listing' | 'vendor';
  url: string;
  html: string;
  capturedAt: string;
  listing?: {
    title: string; vendorHandle: string | null; price: { amount: number; currency: string };
    shipsFrom: string; shipsTo: string[]; category: string[];
  };
  vendor?: { handle: string };
}

export interface MarketExtractEval {
  slug: string;
  design: string;
  currency: string;
  adapter: string;
  state: string;
  pages: number;
  listingsExpected: number;
  vendorsExpected: number;
  feedbackExpected: number;
  fields: FieldReport[];
  /** Lowest precision and recall over the market's fields (1 when nothing was scored). */
  minPrecision: number;
  minRecall: number;
}

export interface SimExtractEvalResult {
  seed: string;
  scale: string;
  day: number;
  date: string;
  markets: MarketExtractEval[];
  seconds: number;
}

/** Default evaluation day: 40 % into the run (after the fifth market opens, before the takedown). */
export function defaultEvalDay(days: number): number {
  return Math.floor(days * 0.4);
}

// ---- a tiny HTTP client with one session cookie ----

class MarketClient {
  cookie: string | undefined;
  fetched = 0;
  constructor(
    readonly market: ServedMarket,
    private readonly maxPages: number,
  ) {}

  /** GET or POST a path on the market's loopback port; redirects are returned, not followed. */
  async request(path: string, form?: Record<string, string>): Promise<{ status: number; html: string; location: string | null }> {
    if (++this.fetched > this.maxPages) throw new Error(`more than ${this.maxPages} pages fetched on ${this.market.slug}`);
    const headers: Record<string, string> = { host: this.market.onion };
    if (this.cookie) headers.cookie = this.cookie;
    let body: string | undefined;
    if (form) {
      body = new URLSearchParams(form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(`http://127.0.0.1:${this.market.port}${path}`, { method: form ? 'POST' : 'GET', headers, body, redirect: 'manual' });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const pair = setCookie.split(';')[0]!;
      if (!/=$/.test(pair)) this.cookie = pair;
    }
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  }
}

function attrOf(html: string, name: string): string | undefined {
  const re = new RegExp(`name="${name.replace(/[^\w-]/g, '')}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="${name.replace(/[^\w-]/g, '')}"`);
  const m = re.exec(html);
  return m ? (m[1] ?? m[2]) : undefined;
}

// ---- truth helpers ----

function shownKeyFingerprint(account: SimAccount, day: number): string | null {
  const shown = account.pgpKeys.find((k) => k.fromDay <= day && (k.toDay === undefined || day <= k.toDay))
    ?? (day < (account.pgpKeys[0]?.fromDay ?? 0) ? account.pgpKeys[0] : undefined);
  return shown ? shown.fingerprint.toUpperCase() : null;
}

const active = (open: number, close: number | undefined | null, day: number) => open <= day && (close === undefined || close === null || day <= close);
const collapse = (s: string | null | undefined) => (s ? s.replace(/\s+/g, ' ').trim() : null);

/** Multiset scoring of one field over a set of rows whose order is not part of the truth. */
function scoreBag(scores: FieldScores, field: string, predicted: (string | null)[], truth: (string | null)[]): void {
  const left = new Map<string, number>();
  for (const t of truth) if (t !== null) left.set(t, (left.get(t) ?? 0) + 1);
  let fp = 0;
  let tp = 0;
  for (const p of predicted) {
    if (p === null) continue;
    const n = left.get(p) ?? 0;
    if (n > 0) {
      left.set(p, n - 1);
      tp++;
    } else fp++;
  }
  let fn = 0;
  for (const n of left.values()) fn += n;
  if (tp + fp + fn === 0) return;
  const c = scores.get(field) ?? { tp: 0, fp: 0, fn: 0 };
  c.tp += tp;
  c.fp += fp;
  c.fn += fn;
  scores.set(field, c);
}

function priceMatches(p: { amount: number; currency: string } | null, currency: string, amount: number): boolean {
  if (!p || p.currency !== currency) return false;
  const half = 0.5 * 10 ** -(CURRENCY_DECIMALS[currency as keyof typeof CURRENCY_DECIMALS] ?? 2);
  return Math.abs(p.amount - amount) < half;
}

/** Paths of a vendor's feedback list per design (the index and listing pages are found by the adapter). */
function feedbackPath(design: string, handle: string): string {
  const h = encodeURIComponent(handle);
  switch (design) {
    case 'table':
      return `/vendor/${h}/feedback`;
    case 'cards':
      return `/u/${h}/reviews`;
    case 'list':
      return `/profile/${h}/ratings`;
    case 'forum':
      return `/feedback.php?u=${h}`;
    default:
      return '/reviews';
  }
}

// ---- one market ----

interface MarketRun {
  scores: FieldScores;
  pages: number;
  listingsExpected: number;
  vendorsExpected: number;
  feedbackExpected: number;
}

async function evaluateMarket(serving: SimServing, world: World, market: ServedMarket, day: number, maxPages: number,
  progress: (l: string) => void, generic = false, onPage?: (p: SimTruthPage) => void): Promise<MarketRun> {
  const adapter = simAdapterFor(market.design);
  const scores: FieldScores = new Map();
  const client = new MarketClient(market, maxPages);
  const capturedAt = new Date((dayToUnix(day) + 12 * 3600) * 1000);
  const base = `http://${market.onion}`;
  const input = (path: string, html: string) => ({ url: `${base}${path}`, html, capturedAt, captureDigest: `sim:${market.slug}:${day}:${path}` });
  // `nav` finds the pages to visit; `extract` is what is scored (the adapter, or the generic extractor).
  const nav = (path: string, html: string): ExtractResult => extractPage(adapter, input(path, html));
  const extract = (path: string, html: string): ExtractResult => (generic ? extractGeneric(input(path, html)) : nav(path, html));
  const pageType = (field: string, r: ExtractResult, expected: PageType) => scoreField(scores, field, r.pageType, expected);
  const run: MarketRun = { scores, pages: 0, listingsExpected: 0, vendorsExpected: 0, feedbackExpected: 0 };
  const state = serving.marketState(market.slug);

  if (state === 'seized') {
    const r = await client.request('/');
    pageType('page.seized', extract('/', r.html), 'seized');
    run.pages = client.fetched;
    return run;
  }
  if (state !== 'up') return run;

  // Log in: the login form must be recognised as such; the CAPTCHA answer comes from the in-process hook.
  const form = await client.request(market.loginPath);
  pageType('page.login', extract(market.loginPath, form.html), 'login');
  const captchaId = /\/captcha\/([0-9a-f]{16})\.png/.exec(form.html)?.[1];
  const csrf = attrOf(form.html, market.loginFields.csrf);
  const answer = captchaId ? serving.peekCaptchaAnswer(market.slug, captchaId) : undefined;
  const cred = market.credentials[0];
  if (!captchaId || csrf === undefined || !answer || !cred) throw new Error(`${market.slug}: login form without CAPTCHA or token`);
  const login = await client.request(market.loginPath, {
    [market.loginFields.username]: cred.username,
    [market.loginFields.password]: cred.password,
    [market.loginFields.captcha]: answer,
    [market.loginFields.csrf]: csrf,
  });
  if (login.status !== 302) throw new Error(`${market.slug}: login failed with HTTP ${login.status}`);

  // Truth: what the market shows on `day`.
  const accounts = new Map(world.accounts.filter((a) => a.market === market.slug).map((a) => [a.id, a]));
  const activeAccount = (id: string) => {
    const a = accounts.get(id);
    return !!a && active(a.openDay, a.closeDay, day);
  };
  const listings = world.listings.filter((l) => l.market === market.slug && active(l.openDay, l.closeDay, day) && activeAccount(l.accountId));
  const byExternal = new Map(listings.map((l) => [l.externalId, l]));
  const currency = market.currency;
  const expectedPrice = (l: SimListing) => usdTo(currency, priceOn(l, day), day);
  run.listingsExpected = listings.length;

  // 1. Index pages: start at the front page, follow what the adapter says is the next page (or, on a board
  //    index without rows, the boards).
  const rows = new Map<string, ExtractResult['listings'][number]>();
  const navRows = new Map<string, ExtractResult['listings'][number]>();
  const queue = ['/'];
  const seen = new Set<string>(queue);
  while (queue.length > 0) {
    const path = queue.shift()!;
    const r = await client.request(path);
    if (r.status !== 200) continue;
    const n = nav(path, r.html);
    const x = generic ? extract(path, r.html) : n;
    for (const l of x.listings) if (l.externalId && !rows.has(l.externalId)) rows.set(l.externalId, l);
    for (const l of n.listings) if (l.externalId && !navRows.has(l.externalId)) navRows.set(l.externalId, l);
    const next = [n.pagination.next, ...(n.listings.length === 0 ? n.pagination.pages : [])];
    for (const u of next) {
      if (!u) continue;
      const p = new URL(u);
      const key = p.pathname + p.search;
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(key);
      }
    }
  }
  const showsVendorOnRows = market.design !== 'shop';
  for (const l of listings) {
    const p = rows.get(l.externalId);
    scoreField(scores, 'index.row', p ? 'found' : null, 'found');
    scoreField(scores, 'index.title', p?.title, l.title);
    scoreField(scores, 'index.price', p && priceMatches(p.price, currency, expectedPrice(l)) ? 'ok' : p?.price ? 'wrong' : null, 'ok');
    if (showsVendorOnRows) scoreField(scores, 'index.vendor', p?.vendorHandle, accounts.get(l.accountId)?.handle);
  }
  for (const [id, p] of rows) {
    if (byExternal.has(id)) continue;
    scoreField(scores, 'index.row', 'found', null);
    scoreField(scores, 'index.title', p.title, null);
  }
  progress(`${market.slug}: ${rows.size} index rows on ${seen.size} index pages`);

  // 2. Listing pages, reached by the URLs the index rows gave.
  const vendorUrls = new Map<string, string>();
  for (const l of listings) {
    const row = navRows.get(l.externalId);
    let x: ExtractResult | undefined;
    let n: ExtractResult | undefined;
    if (row?.url) {
      const u = new URL(row.url);
      const r = await client.request(u.pathname + u.search);
      n = nav(u.pathname + u.search, r.html);
      x = generic ? extract(u.pathname + u.search, r.html) : n;
      pageType('page.listing', x, 'listing');
      const decimals = CURRENCY_DECIMALS[currency as keyof typeof CURRENCY_DECIMALS] ?? 2;
      onPage?.({
        market: market.slug, design: market.design, kind: 'listing', url: `${base}${u.pathname}${u.search}`, html: r.html, capturedAt: capturedAt.toISOString(),
        listing: { title: l.title, vendorHandle: accounts.get(l.accountId)?.handle ?? null, price: { amount: Number(expectedPrice(l).toFixed(decimals)), currency },
          shipsFrom: countryName(l.shipsFrom), shipsTo: l.shipsTo.map(countryName), category: [CATEGORY_LABELS[l.substanceClass]] },
      });
    } else {
      scoreField(scores, 'page.listing', null, 'listing');
    }
    const p = x?.listings.find((y) => y.externalId === l.externalId) ?? (x?.listings.length === 1 ? x.listings[0] : undefined);
    const handle = accounts.get(l.accountId)?.handle;
    scoreField(scores, 'listing.title', p?.title, l.title);
    scoreField(scores, 'listing.vendor', p?.vendorHandle, handle);
    scoreField(scores, 'listing.price', p?.price ? (priceMatches(p.price, currency, expectedPrice(l)) ? 'ok' : 'wrong') : null, 'ok');
    scoreField(scores, 'listing.currency', p?.price?.currency, currency);
    scoreField(scores, 'listing.shipsFrom', p?.shipsFrom ? countryCode(p.shipsFrom) : null, l.shipsFrom);
    scoreField(scores, 'listing.shipsTo', p && p.shipsTo.length > 0 ? p.shipsTo.map(countryCode).sort().join(',') : null, [...l.shipsTo].sort().join(','));
    scoreField(scores, 'listing.stock', p?.stock, stockOn(l, day));
    scoreField(scores, 'listing.category', p && p.category.length > 0 ? categoryClass(p.category.at(-1)!) : null, l.substanceClass);
    scoreField(scores, 'listing.description', collapse(p?.description), collapse(l.description));
    const np = n?.listings.find((y) => y.externalId === l.externalId) ?? (n?.listings.length === 1 ? n.listings[0] : undefined);
    if (handle && np?.vendorUrl && !vendorUrls.has(handle)) vendorUrls.set(handle, np.vendorUrl);
  }
  progress(`${market.slug}: ${listings.length} listing pages`);

  // 3. Vendor profiles, reached by the vendor links of the listing pages. Expected: every active vendor with
  //    an active listing (the ones a crawler can reach from the listings).
  const vendors = [...accounts.values()].filter((a) => active(a.openDay, a.closeDay, day) && listings.some((l) => l.accountId === a.id));
  run.vendorsExpected = vendors.length;
  for (const v of vendors) {
    const url = vendorUrls.get(v.handle);
    let found: ExtractResult['vendors'][number] | undefined;
    if (url) {
      const u = new URL(url);
      const r = await client.request(u.pathname + u.search);
      const x = extract(u.pathname + u.search, r.html);
      pageType('page.vendor', x, 'vendor_profile');
      onPage?.({ market: market.slug, design: market.design, kind: 'vendor', url: `${base}${u.pathname}${u.search}`, html: r.html, capturedAt: capturedAt.toISOString(), vendor: { handle: v.handle } });
      found = x.vendors.find((y) => y.handle === v.handle) ?? (x.vendors.length === 1 ? x.vendors[0] : undefined);
    } else {
      scoreField(scores, 'page.vendor', null, 'vendor_profile');
    }
    scoreField(scores, 'vendor.handle', found?.handle, v.handle);
    scoreField(scores, 'vendor.profileText', collapse(found?.profileText), collapse(v.profileText));
    let fingerprint: string | null = null;
    for (const block of found?.pgpBlocks ?? []) {
      const sel = (await extractSelectors(block)).find((s) => s.kind === 'pgp_key');
      if (sel) {
        fingerprint = sel.value.toUpperCase();
        break;
      }
    }
    scoreField(scores, 'vendor.pgpFingerprint', fingerprint, shownKeyFingerprint(v, day));
  }
  progress(`${market.slug}: ${vendors.length} vendor pages`);

  // 4. Feedback lists (every page), compared as multisets: the order of rows is not part of the truth.
  const buyers = new Map(world.buyers.map((b) => [b.id, b.handle]));
  const titles = new Map(world.listings.map((l) => [l.id, l.title]));
  const groups = market.design === 'shop' ? [vendors] : vendors.map((v) => [v]);
  for (const group of groups) {
    const ids = new Set(group.map((v) => v.id));
    const truth: { rating: string; text: string; date: string | null; buyer: string; listing: string }[] = [];
    for (const s of world.sales) {
      const fb = s.feedback;
      if (!fb || fb.hidden || fb.day > day || !ids.has(s.accountId) || s.market !== market.slug) continue;
      const rating = market.design === 'list' ? String(fb.rating >= 4 ? 1 : fb.rating === 3 ? 0 : -1) : String(fb.rating);
      // 'cards' prints "N months ago" for feedback 60 days old or more: no day can be read from it.
      const date = market.design === 'cards' && day - fb.day >= 60 ? null : dayToIsoDate(fb.day);
      const row = { rating, text: fb.text, date, buyer: maskBuyer(buyers.get(s.buyerId) ?? 'anonymous'), listing: titles.get(s.listingId) ?? '' };
      truth.push(row);
      if (fb.duplicated) truth.push(row);
    }
    run.feedbackExpected += truth.length;
    const got: ExtractResult['feedback'] = [];
    let path: string | null = feedbackPath(market.design, group[0]!.handle);
    const visited = new Set<string>();
    while (path && !visited.has(path)) {
      visited.add(path);
      const r = await client.request(path);
      if (r.status !== 200) break;
      const n = nav(path, r.html);
      const x = generic ? extract(path, r.html) : n;
      pageType('page.feedback', x, 'feedback');
      got.push(...x.feedback);
      path = n.pagination.next ? new URL(n.pagination.next).pathname + new URL(n.pagination.next).search : null;
    }
    scoreBag(scores, 'feedback.row', got.map(() => 'row'), truth.map(() => 'row'));
    scoreBag(scores, 'feedback.rating', got.map((f) => (f.rating === null ? null : String(f.rating))), truth.map((t) => t.rating));
    scoreBag(scores, 'feedback.text', got.map((f) => collapse(f.text)), truth.map((t) => collapse(t.text)));
    scoreBag(scores, 'feedback.date', got.map((f) => f.postedAt), truth.map((t) => t.date));
    scoreBag(scores, 'feedback.buyer', got.map((f) => f.buyer), truth.map((t) => t.buyer));
    scoreBag(scores, 'feedback.listing', got.map((f) => collapse(f.listingTitle)), truth.map((t) => collapse(t.listing)));
  }
  progress(`${market.slug}: ${run.feedbackExpected} feedback entries`);
  run.pages = client.fetched;
  return run;
}

/** Serves a world, crawls every market with its adapter and scores the extraction against the ground truth. */
export async function evaluateSimExtraction(options: SimExtractEvalOptions): Promise<SimExtractEvalResult> {
  const started = performance.now();
  const scale = options.scale ?? 'tiny';
  if (!isScalePreset(scale)) throw new Error(`unknown scale ${JSON.stringify(scale)}`);
  const world = generateWorld({ seed: options.seed, scale });
  const day = options.day ?? defaultEvalDay(world.days);
  if (!Number.isInteger(day) || day < 0 || day >= world.days) throw new Error(`day must be an integer in 0..${world.days - 1}, got ${day}`);
  const progress = options.onProgress ?? (() => {});
  const previousHook = process.env[TEST_HOOKS_ENV];
  // The CAPTCHA peek hook stands in for the human who would solve the CAPTCHA; it is read in this process only.
  process.env[TEST_HOOKS_ENV] = '1';
  const serving = await serveWorld(world, { faults: false, rateLimit: false, proxyAuth: false, startDay: day });
  try {
    const markets: MarketExtractEval[] = [];
    for (const m of serving.markets) {
      if (options.designs && !options.designs.includes(m.design)) continue;
      const adapter: Adapter = simAdapterFor(m.design);
      const r = await evaluateMarket(serving, world, m, day, options.maxPagesPerMarket ?? 20_000, progress, options.generic ?? false, options.onPage);
      const fields = report(r.scores);
      markets.push({
        slug: m.slug, design: m.design, currency: m.currency, adapter: options.generic ? GENERIC_REF : `${adapter.id}@${adapter.version}`,
        state: serving.marketState(m.slug), pages: r.pages, listingsExpected: r.listingsExpected,
        vendorsExpected: r.vendorsExpected, feedbackExpected: r.feedbackExpected, fields,
        minPrecision: Math.min(1, ...fields.map((f) => f.precision)),
        minRecall: Math.min(1, ...fields.map((f) => f.recall)),
      });
    }
    return { seed: world.seed, scale, day, date: dayToIsoDate(day), markets, seconds: (performance.now() - started) / 1000 };
  } finally {
    await serving.stop();
    if (previousHook === undefined) delete process.env[TEST_HOOKS_ENV];
    else process.env[TEST_HOOKS_ENV] = previousHook;
  }
}
