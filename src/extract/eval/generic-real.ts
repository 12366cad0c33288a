// The generic extractor (adapters off) scored on real pages of markets it has never seen: the 2019 Dream and
// Apollon pages (../shared/fixtures/markets-2019) against the hand-checked truth in
// test/fixtures/extract/markets-2019-truth.json, and on the Agora fixtures against agora-truth.json.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractGeneric } from '../generic/index.ts';
import { extractPage } from '../adapter/run.ts';
import type { Adapter } from '../adapter/types.ts';
import type { ExtractResult, PageType } from '../types.ts';
import { DEFAULT_AGORA_FIXTURES, DEFAULT_AGORA_TRUTH, evaluateAgoraFixtures } from './agora-fixtures.ts';
import { report, type FieldReport, type FieldScores } from './score.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** ../shared/fixtures/<name> beside the repository (/work/main) or beside a worktree's parent (/work/wt/<name>). */
function sharedFixture(name: string): string {
  const tries = [path.resolve(REPO, '../shared/fixtures', name), path.resolve(REPO, '../../shared/fixtures', name)];
  return tries.find((p) => existsSync(p)) ?? tries[0]!;
}
export const DEFAULT_MARKETS_2019 = sharedFixture('markets-2019');
export const DEFAULT_MARKETS_2019_TRUTH = path.resolve(REPO, 'test/fixtures/extract/markets-2019-truth.json');

/** One page of the markets-2019 truth file (see its `_about`). */
export interface RealTruthPage {
  market: string;
  pageType: PageType;
  url: string;
  /** The logged-in account shown in the page chrome (never a vendor); null when the page shows none. */
  account: string | null;
  listing?: {
    title: string;
    price: { amount: number; currency: string } | null;
    vendorHandle: string;
    shipsFrom: string | null;
    shipsTo: string[];
    category: string[] | null;
  };
  /** The profile's vendor; null on a buyer's profile (any vendor extracted there is invented). */
  vendor?: { handle: string; rating: number; ratingMax: number } | null;
  buyerProfile?: { handle: string };
}

/** How page URLs are given to the extractor: the markets' real URL schemes, or opaque ones (`/page/N`). */
export type UrlMode = 'real' | 'opaque';

export interface PageMiss {
  file: string;
  field: string;
  expected: unknown;
  got: unknown;
}

/** Scoring induced adapters instead of the generic extractor (`eval generic --adapter`). */
export interface AdapterEvalOptions {
  /** Each page is read by the adapter serving its URL's host; pages of other markets are skipped. */
  adapters: Adapter[];
  /** Truth files the adapters were induced from: left out, so only the rest of the market is scored. */
  exclude?: Set<string>;
}

export interface GenericRealEval {
  dir: string;
  /** The adapters scored (absent: the generic extractor). */
  adapters?: string[];
  /** Training pages left out of the score. */
  excluded?: number;
  urls: UrlMode;
  pages: number;
  listingPages: number;
  vendorPages: number;
  fields: FieldReport[];
  /** Listing rows on pages that have none to give (a listing page's rows beyond its one listing; rows on login,
   * anti-DDoS, error, buyer-profile pages). Category/search pages are not counted: their rows are not labelled. */
  inventedRows: number;
  /** Vendors extracted that are not the page's vendor (listing and vendor pages) or on pages with no vendor. */
  inventedVendors: number;
  /** Pages where the logged-in account came out as a vendor (a vendor record or a listing's vendor). */
  accountAsVendor: string[];
  misses: PageMiss[];
}

export interface GenericEvalReport {
  markets2019: GenericRealEval[];
  agora: { dir: string; pages: number; fields: FieldReport[] } | null;
}

const placeNorm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '');
const textNorm = (s: string) => s.replace(/\s+/g, ' ').trim();

function bump(scores: FieldScores, field: string, ok: boolean | null, predicted: boolean, truth: boolean): void {
  let c = scores.get(field);
  if (!c) scores.set(field, (c = { tp: 0, fp: 0, fn: 0 }));
  if (!predicted && !truth) return;
  if (ok) c.tp++;
  else {
    if (predicted) c.fp++;
    if (truth) c.fn++;
  }
}

/** Compares one field; records a miss when the values differ. */
function field(scores: FieldScores, misses: PageMiss[], file: string, name: string, got: unknown, expected: unknown, same: (a: never, b: never) => boolean): void {
  const absent = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
  const p = !absent(got);
  const t = !absent(expected);
  const ok = p && t && same(got as never, expected as never);
  bump(scores, name, ok, p, t);
  if ((p || t) && !ok) misses.push({ file, field: name, expected: expected ?? null, got: got ?? null });
}

const eqText = (a: string, b: string) => textNorm(a) === textNorm(b);
/** Place and category comparisons of the real-page eval (also used by the sim induction test). */
export const eqPlace = (a: string, b: string) => placeNorm(a) === placeNorm(b);
export const eqPlaces = (a: string[], b: string[]) => {
  const x = [...new Set(a.map(placeNorm))].sort();
  const y = [...new Set(b.map(placeNorm))].sort();
  return JSON.stringify(x) === JSON.stringify(y);
};
export const eqPath = (a: string[], b: string[]) => JSON.stringify(a.map((s) => textNorm(s).toLowerCase())) === JSON.stringify(b.map((s) => textNorm(s).toLowerCase()));
const eqPrice = (a: { amount: number; currency: string }, b: { amount: number; currency: string }) =>
  a.currency === b.currency && Math.abs(a.amount - b.amount) <= 1e-9 * Math.max(1, Math.abs(b.amount));
const eqRating = (a: number, b: number) => Math.abs(a - b) < 0.005;

function opaqueUrl(truthUrl: string, i: number): string {
  return `${new URL(truthUrl).origin}/page/${i + 1}`;
}

/** Scores the generic extractor on every page of the markets-2019 truth; null when pages or truth are absent. */
export function evaluateGenericReal(
  dir = DEFAULT_MARKETS_2019,
  truthFile = DEFAULT_MARKETS_2019_TRUTH,
  urls: UrlMode = 'real',
  withAdapters?: AdapterEvalOptions,
): GenericRealEval | null {
  if (!existsSync(dir) || !existsSync(truthFile)) return null;
  const truth = (JSON.parse(readFileSync(truthFile, 'utf8')) as { pages: Record<string, RealTruthPage> }).pages;
  const scores: FieldScores = new Map();
  const misses: PageMiss[] = [];
  const out: GenericRealEval = { dir, urls, pages: 0, listingPages: 0, vendorPages: 0, fields: [], inventedRows: 0, inventedVendors: 0, accountAsVendor: [], misses };
  if (withAdapters) {
    out.adapters = withAdapters.adapters.map((a) => `${a.id}@${a.version}`);
    out.excluded = 0;
  }
  Object.entries(truth).forEach(([file, t], i) => {
    const full = path.join(dir, file);
    if (!existsSync(full)) return;
    let r: ExtractResult;
    if (withAdapters) {
      // An adapter is picked by the page's host (its real URL), whatever URL the page is then given.
      const host = new URL(t.url).hostname.toLowerCase();
      const adapter = withAdapters.adapters.find((a) => a.hosts?.some((h) => h.toLowerCase() === host));
      if (!adapter) return;
      // Label files name pages relative to the market's folder or to the fixtures folder.
      if (withAdapters.exclude?.has(file) || withAdapters.exclude?.has(file.slice(file.indexOf('/') + 1))) {
        out.excluded!++;
        return;
      }
      // The fixture files are UTF-8 as saved (some keep a stale ISO-8859-1 meta tag): say so, as a capture's
      // HTTP header would.
      r = extractPage(adapter, {
        url: urls === 'real' ? t.url : opaqueUrl(t.url, i),
        html: readFileSync(full),
        contentType: 'text/html; charset=utf-8',
        capturedAt: '2019-11-01T12:00:00Z',
        captureDigest: `sha256:${file}`,
      });
    } else {
      r = extractGeneric({
        url: urls === 'real' ? t.url : opaqueUrl(t.url, i),
        html: readFileSync(full),
        capturedAt: '2019-11-01T12:00:00Z',
        captureDigest: `sha256:${file}`,
      });
    }
    out.pages++;
    field(scores, misses, file, 'page.pageType', r.pageType, t.pageType, (a: string, b: string) => a === b);
    if (t.listing) {
      out.listingPages++;
      const l = r.listings[0];
      const tl = t.listing;
      field(scores, misses, file, 'listing.title', l?.title, tl.title, eqText);
      field(scores, misses, file, 'listing.price', l?.price, tl.price, eqPrice);
      field(scores, misses, file, 'listing.vendorHandle', l?.vendorHandle, tl.vendorHandle, (a: string, b: string) => a === b);
      field(scores, misses, file, 'listing.shipsFrom', l?.shipsFrom, tl.shipsFrom, eqPlace);
      field(scores, misses, file, 'listing.shipsTo', l?.shipsTo, tl.shipsTo, eqPlaces);
      field(scores, misses, file, 'listing.category', l?.category, tl.category, eqPath);
      out.inventedRows += Math.max(0, r.listings.length - 1);
      out.inventedVendors += r.vendors.filter((v) => v.handle !== tl.vendorHandle).length;
    }
    if (t.vendor) {
      out.vendorPages++;
      const v = r.vendors[0];
      field(scores, misses, file, 'vendor.handle', v?.handle, t.vendor.handle, (a: string, b: string) => a === b);
      const frac = v && v.rating !== null ? v.rating / (v.ratingMax ?? 5) : null;
      field(scores, misses, file, 'vendor.rating', frac, t.vendor.rating / t.vendor.ratingMax, eqRating);
      out.inventedVendors += r.vendors.filter((x) => x.handle !== t.vendor!.handle).length;
    }
    if (t.vendor === null || ['login', 'captcha', 'interstitial', 'error', 'unknown'].includes(t.pageType)) {
      out.inventedRows += r.listings.length;
      if (t.vendor === null) out.inventedVendors += r.vendors.length;
      if (t.vendor === null && r.vendors.length > 0) misses.push({ file, field: 'vendor (none on a buyer profile)', expected: null, got: r.vendors.map((v) => v.handle) });
    }
    if (t.account) {
      const acc = t.account.toLowerCase();
      const hit = r.vendors.some((v) => v.handle?.toLowerCase() === acc) || r.listings.some((l) => l.vendorHandle?.toLowerCase() === acc);
      if (hit) out.accountAsVendor.push(file);
    }
  });
  out.fields = report(scores);
  return out;
}

/** The generic extractor on the Agora fixtures, scored as the Agora tests score it. */
export function evaluateGenericAgora(dir = existsSync(DEFAULT_AGORA_FIXTURES) ? DEFAULT_AGORA_FIXTURES : sharedFixture('agora-2014-04-06'), truthFile = DEFAULT_AGORA_TRUTH): GenericEvalReport['agora'] {
  return evaluateAgoraFixtures(dir, truthFile, (page) => extractGeneric(page));
}
