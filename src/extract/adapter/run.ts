import { parseDestinations } from '../shipping/destinations.ts';
import { load, type CheerioAPI } from 'cheerio/slim';
import type { AnyNode, Document } from 'domhandler';
import { decodeHtml } from '../html/decode.ts';
import { DEFAULT_DOM_LIMITS, parseBoundedDom, type DomLimits } from '../html/dom.ts';
import { PageMemo } from '../html/select.ts';
import { linesOf, rawTextOf } from '../html/text.ts';
import type {
  ExtractedFeedback,
  ExtractedListing,
  ExtractedVendor,
  ExtractError,
  ExtractResult,
  PageInput,
  PageType,
  Provenance,
} from '../types.ts';
import { detectPageType } from './detect.ts';
import { asMoney, asNumber, asString, asStringList, evalField, findPgpBlocks, selectInPage, parseRatingText, type FieldContext } from './fields.ts';
import type { Adapter, FieldSpec, PageSpec, RecordSpec } from './types.ts';

export const MAX_PAGE_BYTES = 8 * 1024 * 1024;
const MAX_RECORDS_PER_KIND = 5_000;

export interface ExtractOptions {
  /** Pages larger than this (bytes, or UTF-16 code units for strings) are refused with 'page_too_large'. */
  maxBytes?: number;
  dom?: Partial<DomLimits>;
}

/** A page parsed once, reusable by the adapter runner and the generic extractor. */
export interface LoadedPage {
  $: CheerioAPI;
  root: AnyNode;
  url: URL;
  capturedAt: Date;
  provenance: Omit<Provenance, 'adapter'>;
  stats: ExtractResult['stats'];
  warnings: ExtractError[];
  pageText: () => string;
}

export function emptyResult(
  provenance: Provenance,
  pageType: PageType,
  market: string | null,
  stats: Partial<ExtractResult['stats']> = {},
): ExtractResult {
  return {
    ok: true,
    pageType,
    market,
    provenance,
    listings: [],
    vendors: [],
    feedback: [],
    breadcrumbs: [],
    pagination: { pages: [], next: null },
    texts: [],
    errors: [],
    warnings: [],
    stats: { bytes: 0, encoding: 'utf-8', elements: 0, maxDepth: 0, droppedElements: 0, millis: 0, ...stats },
  };
}

function toDate(value: string | Date): Date {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? new Date(0) : d;
}

function safeUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    return new URL('http://invalid.invalid/');
  }
}

/**
 * Decodes and parses a page within limits. Returns either the loaded page or a result explaining why not
 * (too large, empty). Never throws.
 */
export function loadPage(input: PageInput, adapterRef: string, options: ExtractOptions = {}): LoadedPage | ExtractResult {
  const started = performance.now();
  const capturedAt = toDate(input.capturedAt);
  const provenance: Provenance = {
    captureDigest: input.captureDigest,
    adapter: adapterRef,
    url: input.url,
    capturedAt: capturedAt.toISOString(),
  };
  const maxBytes = options.maxBytes ?? MAX_PAGE_BYTES;
  const size = typeof input.html === 'string' ? input.html.length : input.html.byteLength;
  if (size > maxBytes) {
    const r = emptyResult(provenance, 'unknown', null, { bytes: size });
    r.ok = false;
    r.errors.push({ code: 'page_too_large', message: `page is ${size} bytes, limit is ${maxBytes}` });
    return r;
  }
  const warnings: ExtractError[] = [];
  let text: string;
  let encoding: string;
  try {
    const decoded = decodeHtml(input.html, input.contentType);
    text = decoded.text;
    encoding = decoded.encoding;
    if (decoded.hadInvalidBytes) {
      warnings.push({ code: 'decode_error', message: `invalid ${decoded.encoding} byte sequences replaced by U+FFFD` });
    }
  } catch (e) {
    const r = emptyResult(provenance, 'unknown', null, { bytes: size });
    r.ok = false;
    r.errors.push({ code: 'decode_error', message: e instanceof Error ? e.message : String(e) });
    return r;
  }
  if (text.trim() === '') {
    const r = emptyResult(provenance, 'unknown', null, { bytes: size, encoding });
    r.ok = false;
    r.errors.push({ code: 'empty_page', message: 'page has no content' });
    return r;
  }
  const limits = { ...DEFAULT_DOM_LIMITS, ...options.dom };
  const dom = parseBoundedDom(text, limits);
  if (dom.droppedForDepth > 0) {
    warnings.push({ code: 'depth_limit', message: `${dom.droppedForDepth} elements nested deeper than ${limits.maxDepth} were flattened` });
  }
  if (dom.droppedForCount > 0) {
    warnings.push({ code: 'element_limit', message: `${dom.droppedForCount} elements beyond the ${limits.maxElements}-element limit were dropped` });
  }
  const stats = {
    bytes: size,
    encoding,
    elements: dom.elements,
    maxDepth: dom.maxDepthSeen,
    droppedElements: dom.droppedForDepth + dom.droppedForCount,
    millis: performance.now() - started,
  };
  return new ParsedPage(dom.document, safeUrl(input.url), capturedAt, provenance, stats, warnings);
}

/**
 * A loaded page. A class, not an object literal with a `$` getter: a getter closure in a literal is kept by the
 * object's hidden class, which lives in V8's old space, so every page's DOM survived the young-generation
 * collections and was copied and promoted (docs/benchmarks.md, "Extraction, eleventh pass").
 */
class ParsedPage implements LoadedPage {
  private cached$: CheerioAPI | undefined;
  private cachedText: string | undefined;
  /** An own function (callers pass it unbound), the page's text built on first use. */
  readonly pageText = (): string => (this.cachedText ??= rawTextOf(this.root));

  constructor(
    readonly root: Document,
    readonly url: URL,
    readonly capturedAt: Date,
    readonly provenance: Omit<Provenance, 'adapter'>,
    readonly stats: ExtractResult['stats'],
    readonly warnings: ExtractError[],
  ) {}

  // Built on first use: adapters without hooks that read cheerio never need it.
  get $(): CheerioAPI {
    return (this.cached$ ??= load(this.root));
  }
}

export function isLoadedPage(x: LoadedPage | ExtractResult): x is LoadedPage {
  return '$' in x;
}

// ---- records ----

function scopes(spec: RecordSpec<string>, page: LoadedPage, ctx: FieldContext, path: string): AnyNode[] {
  if (!spec.scope) return [page.root];
  try {
    return selectInPage(ctx, page.root, spec.scope).slice(0, MAX_RECORDS_PER_KIND);
  } catch (e) {
    ctx.errors.push({ code: 'bad_selector', message: `${path}.scope: ${e instanceof Error ? e.message : String(e)}`, path });
    return [];
  }
}

/** The selectors of a record's fields (all alternatives), gathered once per spec. */
const recordSelectors = new WeakMap<RecordSpec<string>, string[]>();

function selectorsOf(spec: RecordSpec<string>): string[] {
  let found = recordSelectors.get(spec);
  if (!found) {
    found = [];
    for (const f of Object.values(spec.fields) as (FieldSpec | FieldSpec[])[]) {
      for (const alt of Array.isArray(f) ? f : [f]) if (alt.selector && !found.includes(alt.selector)) found.push(alt.selector);
    }
    recordSelectors.set(spec, found);
  }
  return found;
}

interface RecordField {
  name: string;
  alternatives: FieldSpec[];
  required: boolean;
}

/** A record's fields as a list (name, alternatives, required), built once per spec instead of once per record. */
const recordFields = new WeakMap<RecordSpec<string>, RecordField[]>();

function fieldsOf(spec: RecordSpec<string>): RecordField[] {
  let found = recordFields.get(spec);
  if (!found) {
    found = (Object.entries(spec.fields) as [string, FieldSpec | FieldSpec[]][]).map(([name, f]) => {
      const alternatives = Array.isArray(f) ? f : [f];
      return { name, alternatives, required: alternatives.some((a) => a.required) };
    });
    recordFields.set(spec, found);
  }
  return found;
}

/** A record's fields within its scope; `kind[index]` is its path in errors (built only for one). */
function evalRecord(spec: RecordSpec<string>, scope: AnyNode, ctx: FieldContext, kind: string, index: number): Map<string, unknown> {
  const out = new Map<string, unknown>();
  // Every field selector of the record in one walk of its scope (the fields then read the memo).
  ctx.memo?.prefetch(scope, selectorsOf(spec));
  for (const { name, alternatives, required } of fieldsOf(spec)) {
    let v: unknown;
    for (const alt of alternatives) {
      v = evalField(alt, scope, ctx, kind, index, name);
      if (v !== undefined) break;
    }
    if (v === undefined) {
      if (required) {
        const path = `${kind}[${index}].${name}`;
        ctx.errors.push({ code: 'missing_required_field', message: `${path} not found`, path });
      }
      continue;
    }
    out.set(name, v);
  }
  return out;
}

export function buildListing(f: Map<string, unknown>): ExtractedListing {
  const priceText = asString(f.get('priceText'));
  const dest = parseDestinations(asStringList(f.get('shipsTo')));
  return {
    externalId: asString(f.get('externalId')),
    url: asString(f.get('url')),
    title: asString(f.get('title')),
    price: asMoney(f.get('price')) ?? (priceText ? asMoney(priceText) : null),
    priceText,
    vendorHandle: asString(f.get('vendorHandle')),
    vendorUrl: asString(f.get('vendorUrl')),
    shipsFrom: asString(f.get('shipsFrom')),
    shipsTo: dest.to,
    shipsToExcluded: dest.excluded,
    description: asString(f.get('description')),
    category: asStringList(f.get('category')),
    stock: asNumber(f.get('stock')),
    imageUrls: asStringList(f.get('imageUrls')),
  };
}

export function buildVendor(f: Map<string, unknown>): ExtractedVendor {
  const ratingText = asString(f.get('ratingText'));
  const parsed = ratingText ? parseRatingText(ratingText) : null;
  const profileText = asString(f.get('profileText'));
  let pgpBlocks = asStringList(f.get('pgpBlocks')).flatMap((b) => (findPgpBlocks(b).length > 0 ? findPgpBlocks(b) : [b]));
  if (pgpBlocks.length === 0 && profileText) pgpBlocks = findPgpBlocks(profileText);
  return {
    handle: asString(f.get('handle')),
    url: asString(f.get('url')),
    rating: asNumber(f.get('rating')) ?? parsed?.rating ?? null,
    ratingMax: asNumber(f.get('ratingMax')) ?? parsed?.ratingMax ?? null,
    ratingApprox: f.get('ratingApprox') === true || parsed?.approx === true,
    dealsMin: asNumber(f.get('dealsMin')) ?? parsed?.dealsMin ?? null,
    dealsMax: asNumber(f.get('dealsMax')) ?? parsed?.dealsMax ?? null,
    level: asString(f.get('level')),
    profileText,
    pgpBlocks,
    lastSeenText: asString(f.get('lastSeenText')),
  };
}

export function buildFeedback(f: Map<string, unknown>): ExtractedFeedback {
  const ratingRaw = f.get('rating');
  let rating = typeof ratingRaw === 'number' ? ratingRaw : null;
  let ratingMax = asNumber(f.get('ratingMax'));
  if (typeof ratingRaw === 'string') {
    const p = parseRatingText(ratingRaw);
    rating = p.rating ?? asNumber(ratingRaw);
    ratingMax = ratingMax ?? p.ratingMax;
  }
  const postedAtText = asString(f.get('postedAtText'));
  return {
    listingExternalId: asString(f.get('listingExternalId')),
    listingTitle: asString(f.get('listingTitle')),
    vendorHandle: asString(f.get('vendorHandle')),
    rating,
    ratingMax,
    text: asString(f.get('text')),
    postedAt: asString(f.get('postedAt')),
    postedAtText,
    buyer: asString(f.get('buyer')),
  };
}

/** Fills facts a page implies but a row does not repeat: the listing a feedback is about, the vendor of a shop page. */
function fillFromContext(result: ExtractResult): void {
  const pageListing = result.pageType === 'listing' && result.listings.length === 1 ? result.listings[0]! : null;
  const pageVendor = result.pageType === 'vendor_profile' && result.vendors.length === 1 ? result.vendors[0]! : null;
  for (const l of result.listings) {
    if (l.category.length === 0 && result.breadcrumbs.length > 0 && (result.pageType === 'listing' || result.pageType === 'category')) {
      l.category = [...result.breadcrumbs];
    }
    if (pageVendor && !l.vendorHandle) {
      l.vendorHandle = pageVendor.handle;
      l.vendorUrl = l.vendorUrl ?? pageVendor.url;
    }
  }
  for (const fb of result.feedback) {
    if (pageListing) {
      fb.listingExternalId ??= pageListing.externalId;
      fb.listingTitle ??= pageListing.title;
      fb.vendorHandle ??= pageListing.vendorHandle;
    }
    if (pageVendor) fb.vendorHandle ??= pageVendor.handle;
  }
}

/** One vendor record per handle: list pages repeat the vendor on every row. */
function dedupeVendors(result: ExtractResult): void {
  const byHandle = new Map<string, ExtractedVendor>();
  const out: ExtractedVendor[] = [];
  for (const v of result.vendors) {
    if (!v.handle) {
      out.push(v);
      continue;
    }
    const seen = byHandle.get(v.handle);
    if (!seen) {
      byHandle.set(v.handle, v);
      out.push(v);
      continue;
    }
    for (const k of Object.keys(v) as (keyof ExtractedVendor)[]) {
      const cur = seen[k];
      if (cur === null || (Array.isArray(cur) && cur.length === 0)) (seen as unknown as Record<string, unknown>)[k] = v[k];
    }
  }
  result.vendors = out;
}

function collectTexts(result: ExtractResult): void {
  for (const l of result.listings) {
    if (l.description) result.texts.push({ kind: 'listing_description', ref: l.externalId, text: l.description });
  }
  for (const v of result.vendors) {
    if (v.profileText) result.texts.push({ kind: 'vendor_profile', ref: v.handle, text: v.profileText });
    for (const b of v.pgpBlocks) result.texts.push({ kind: 'pgp', ref: v.handle, text: b });
  }
  for (const f of result.feedback) {
    if (f.text) result.texts.push({ kind: 'feedback', ref: f.listingExternalId, text: f.text });
  }
}

function runPageSpec(spec: PageSpec, page: LoadedPage, ctx: FieldContext, result: ExtractResult): void {
  const kinds: [keyof PageSpec & ('listings' | 'vendors' | 'feedback'), (f: Map<string, unknown>) => void][] = [
    ['listings', (f) => result.listings.push(buildListing(f))],
    ['vendors', (f) => result.vendors.push(buildVendor(f))],
    ['feedback', (f) => result.feedback.push(buildFeedback(f))],
  ];
  // The page-level selectors (record scopes, breadcrumbs, pagination) in one walk of the page.
  const pageSelectors: string[] = [];
  for (const [kind] of kinds) {
    const scope = (spec[kind] as RecordSpec<string> | undefined)?.scope;
    if (scope) pageSelectors.push(scope);
  }
  for (const f of [spec.breadcrumbs, spec.pagination, spec.nextPage]) if (f?.selector) pageSelectors.push(f.selector);
  ctx.memo?.prefetch(page.root, pageSelectors);
  for (const [kind, add] of kinds) {
    const rs = spec[kind] as RecordSpec<string> | undefined;
    if (!rs) continue;
    scopes(rs, page, ctx, kind).forEach((scope, i) => add(evalRecord(rs, scope, ctx, kind, i)));
  }
  if (spec.breadcrumbs) result.breadcrumbs = asStringList(evalField({ all: true, ...spec.breadcrumbs }, page.root, ctx, 'breadcrumbs'));
  if (spec.pagination) {
    const pages = asStringList(evalField({ all: true, ...spec.pagination }, page.root, ctx, 'pagination'));
    result.pagination.pages = [...new Set(pages)];
  }
  if (spec.nextPage) result.pagination.next = asString(evalField(spec.nextPage, page.root, ctx, 'nextPage'));
}

/**
 * Runs a declarative adapter over one captured page. Never throws: every problem is in `errors` (fatal for
 * the page, `ok` false) or `warnings` (the page was degraded: invalid bytes replaced, nesting flattened).
 */
export function extractPage(adapter: Adapter, input: PageInput, options: ExtractOptions = {}): ExtractResult {
  const ref = `${adapter.id}@${adapter.version}`;
  let loaded: LoadedPage | ExtractResult;
  try {
    loaded = loadPage(input, ref, options);
  } catch (e) {
    const r = emptyResult({ captureDigest: input.captureDigest, adapter: ref, url: input.url, capturedAt: String(input.capturedAt) }, 'unknown', adapter.market);
    r.ok = false;
    r.errors.push({ code: 'parse_error', message: e instanceof Error ? e.message : String(e) });
    return r;
  }
  if (!isLoadedPage(loaded)) {
    loaded.market = adapter.market;
    return loaded;
  }
  return runAdapterOnPage(adapter, loaded);
}

/**
 * The context of a page's fields and hooks; `$` is read through the page, so cheerio is built only if a hook or an
 * 'html' field asks for it. A class with a prototype getter for the reason `ParsedPage` is one.
 */
class PageFieldContext implements FieldContext {
  readonly url: URL;
  readonly capturedAt: Date;
  readonly fieldHooks: FieldContext['fieldHooks'];
  readonly transforms: FieldContext['transforms'];
  readonly errors: ExtractError[];
  readonly warnings: ExtractError[];

  constructor(
    private readonly page: LoadedPage,
    readonly pageType: PageType,
    adapter: Adapter,
    result: ExtractResult,
    readonly memo: PageMemo,
  ) {
    this.url = page.url;
    this.capturedAt = page.capturedAt;
    this.fieldHooks = adapter.hooks?.fields ?? {};
    this.transforms = adapter.hooks?.transforms ?? {};
    this.errors = result.errors;
    this.warnings = result.warnings;
  }

  get $(): CheerioAPI {
    return this.page.$;
  }
}

export function runAdapterOnPage(adapter: Adapter, page: LoadedPage): ExtractResult {
  const started = performance.now();
  const ref = `${adapter.id}@${adapter.version}`;
  const result = emptyResult({ ...page.provenance, adapter: ref }, 'unknown', adapter.market, page.stats);
  result.warnings.push(...page.warnings);
  try {
    result.pageType = detectPageType(adapter, page, page.url, page.pageText, page.capturedAt);
  } catch (e) {
    result.errors.push({ code: 'hook_failed', message: `page type detection: ${e instanceof Error ? e.message : String(e)}` });
  }
  const ctx = new PageFieldContext(page, result.pageType, adapter, result, new PageMemo(page.root));
  if (result.pageType === 'seized' || result.pageType === 'login' || result.pageType === 'captcha' || result.pageType === 'interstitial') {
    result.ok = false;
    result.errors.push({ code: 'blocked_page', message: `page is a ${result.pageType} page` });
    result.texts.push({ kind: 'page', ref: null, text: linesOf(page.root, 64 * 1024) });
  } else {
    const spec = adapter.pages[result.pageType];
    if (!spec) {
      result.ok = false;
      result.errors.push({ code: 'no_page_spec', message: `adapter ${ref} has no rules for page type '${result.pageType}'` });
    } else {
      try {
        runPageSpec(spec, page, ctx, result);
        fillFromContext(result);
        dedupeVendors(result);
        collectTexts(result);
      } catch (e) {
        result.ok = false;
        result.errors.push({ code: 'parse_error', message: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  if (adapter.hooks?.postProcess) {
    try {
      const replaced = adapter.hooks.postProcess(result, ctx);
      if (replaced) Object.assign(result, replaced);
    } catch (e) {
      result.errors.push({ code: 'hook_failed', message: `postProcess: ${e instanceof Error ? e.message : String(e)}` });
    }
  }
  result.stats.millis = page.stats.millis + (performance.now() - started);
  return result;
}
