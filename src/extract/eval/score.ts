import type { ExtractedListing, ExtractResult, PageType } from '../types.ts';
import { parseRatingText } from '../adapter/fields.ts';

/**
 * Field-level scoring of extraction results against hand-checked ground truth (the format of
 * test/fixtures/extract/agora-truth.json). A field value counts as a true positive when it equals the truth,
 * a false positive when extracted but wrong or not in the truth, a false negative when the truth has a value
 * that was not extracted correctly.
 */
export interface TruthListing {
  externalId: string;
  title?: string;
  price?: number;
  vendorHandle?: string;
  vendorRatingText?: string;
  shipsFrom?: string | null;
  shipsTo?: string | null;
  /** Exclusions in the ships-to field, comma-joined ("Finland, USA"). */
  shipsToExcluded?: string | null;
  stock?: number | null;
  category?: string[];
  descriptionStart?: string;
  descriptionEnd?: string;
}

export interface TruthFeedback {
  rating: string;
  text: string | null;
  listingExternalId?: string;
  postedAtText: string;
}

export interface TruthPage {
  pageType: PageType;
  listing?: TruthListing;
  listings?: TruthListing[];
  breadcrumbs?: string[];
  vendor?: { handle: string; ratingText: string; pgpBlockCount: number };
  feedback?: TruthFeedback[];
}

export interface FieldCounts {
  tp: number;
  fp: number;
  fn: number;
}

export type FieldScores = Map<string, FieldCounts>;

function bump(scores: FieldScores, field: string, k: keyof FieldCounts, n = 1): void {
  let c = scores.get(field);
  if (!c) {
    c = { tp: 0, fp: 0, fn: 0 };
    scores.set(field, c);
  }
  c[k] += n;
}

const norm = (s: string) => s.replace(/\s+/g, ' ').trim();

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  if (typeof a === 'string' && typeof b === 'string') return norm(a) === norm(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Records one comparison of an extracted value against the truth (null = absent on both sides is not counted). */
export function scoreField(scores: FieldScores, field: string, predicted: unknown, truth: unknown): void {
  const pAbsent = predicted === null || predicted === undefined || predicted === '' || (Array.isArray(predicted) && predicted.length === 0);
  const tAbsent = truth === null || truth === undefined || truth === '' || (Array.isArray(truth) && truth.length === 0);
  if (pAbsent && tAbsent) return;
  if (!pAbsent && !tAbsent && same(predicted, truth)) return bump(scores, field, 'tp');
  if (!pAbsent) bump(scores, field, 'fp');
  if (!tAbsent) bump(scores, field, 'fn');
}

/** The id of a listing row: its externalId, else the last path segment of its URL. */
export function listingKey(l: ExtractedListing): string | null {
  if (l.externalId) return l.externalId;
  if (!l.url) return null;
  try {
    const seg = new URL(l.url).pathname.split('/').filter(Boolean);
    return seg.at(-1) ?? null;
  } catch {
    return null;
  }
}

function scoreListing(scores: FieldScores, p: ExtractedListing | undefined, t: TruthListing, prefix: string): void {
  const shipsTo = p && p.shipsTo.length > 0 ? p.shipsTo.join(', ') : null;
  const fields: [string, unknown, unknown][] = [
    ['title', p?.title, t.title],
    ['price', p?.price?.currency === 'BTC' ? p.price.amount : p?.price ? `${p.price.amount} ${p.price.currency}` : null, t.price],
  ];
  if ('vendorHandle' in t) fields.push(['vendorHandle', p?.vendorHandle, t.vendorHandle]);
  if ('shipsFrom' in t) fields.push(['shipsFrom', p?.shipsFrom, t.shipsFrom]);
  if ('shipsTo' in t) fields.push(['shipsTo', shipsTo, t.shipsTo]);
  if ('shipsToExcluded' in t) fields.push(['shipsToExcluded', p && p.shipsToExcluded.length > 0 ? p.shipsToExcluded.join(', ') : null, t.shipsToExcluded]);
  if ('stock' in t) fields.push(['stock', p?.stock, t.stock]);
  if ('category' in t) fields.push(['category', p?.category, t.category]);
  if (t.descriptionStart !== undefined) {
    const d = p?.description ? norm(p.description) : null;
    const ok = d !== null && d.startsWith(norm(t.descriptionStart)) && d.endsWith(norm(t.descriptionEnd ?? ''));
    fields.push(['description', d === null ? null : ok ? 'ok' : 'wrong', 'ok']);
  }
  for (const [f, pv, tv] of fields) scoreField(scores, `${prefix}.${f}`, pv, tv);
}

/** Scores one page's result against its truth, adding to `scores`. */
export function scorePage(scores: FieldScores, result: ExtractResult, truth: TruthPage): void {
  scoreField(scores, 'page.pageType', result.pageType, truth.pageType);
  if (truth.listing) {
    const p = result.listings.find((l) => listingKey(l) === truth.listing!.externalId) ?? (result.listings.length === 1 ? result.listings[0] : undefined);
    scoreField(scores, 'listing.row', p ? 'found' : null, 'found');
    scoreListing(scores, p, truth.listing, 'listing');
    if (truth.listing.vendorRatingText) {
      const v = result.vendors.find((x) => x.handle === truth.listing!.vendorHandle);
      const r = parseRatingText(truth.listing.vendorRatingText);
      scoreField(scores, 'vendor.rating', v?.rating, r.rating);
      scoreField(scores, 'vendor.deals', v ? `${v.dealsMin}-${v.dealsMax}` : null, `${r.dealsMin}-${r.dealsMax}`);
    }
  }
  if (truth.listings) {
    const byKey = new Map<string, ExtractedListing>();
    for (const l of result.listings) {
      const k = listingKey(l);
      if (k && !byKey.has(k)) byKey.set(k, l);
    }
    const truthKeys = new Set(truth.listings.map((t) => t.externalId));
    for (const t of truth.listings) {
      const p = byKey.get(t.externalId);
      scoreField(scores, 'rows.row', p ? 'found' : null, 'found');
      scoreListing(scores, p, t, 'rows');
    }
    for (const [k, l] of byKey) {
      if (truthKeys.has(k)) continue;
      scoreField(scores, 'rows.row', 'found', null);
      scoreField(scores, 'rows.title', l.title, null);
      scoreField(scores, 'rows.price', l.price?.amount, null);
    }
  }
  if (truth.breadcrumbs) scoreField(scores, 'page.breadcrumbs', result.breadcrumbs, truth.breadcrumbs);
  if (truth.vendor) {
    const v = result.vendors.find((x) => x.handle === truth.vendor!.handle) ?? result.vendors[0];
    const r = parseRatingText(truth.vendor.ratingText);
    scoreField(scores, 'vendor.handle', v?.handle, truth.vendor.handle);
    scoreField(scores, 'vendor.rating', v?.rating, r.rating);
    scoreField(scores, 'vendor.deals', v ? `${v.dealsMin}-${v.dealsMax}` : null, `${r.dealsMin}-${r.dealsMax}`);
    scoreField(scores, 'vendor.pgpBlocks', v?.pgpBlocks.length || null, truth.vendor.pgpBlockCount || null);
  }
  if (truth.feedback) {
    truth.feedback.forEach((t, i) => {
      const p = result.feedback[i];
      scoreField(scores, 'feedback.row', p ? 'found' : null, 'found');
      const rating = p && p.rating !== null ? `${p.rating}/${p.ratingMax ?? 5}` : null;
      scoreField(scores, 'feedback.rating', rating, t.rating);
      scoreField(scores, 'feedback.text', p?.text, t.text);
      scoreField(scores, 'feedback.postedAtText', p?.postedAtText, t.postedAtText);
      if (t.listingExternalId) scoreField(scores, 'feedback.listingExternalId', p?.listingExternalId, t.listingExternalId);
    });
    for (let i = truth.feedback.length; i < result.feedback.length; i++) scoreField(scores, 'feedback.row', 'found', null);
  }
}

export interface FieldReport {
  field: string;
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export function report(scores: FieldScores): FieldReport[] {
  return [...scores.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([field, c]) => ({
      field,
      ...c,
      precision: c.tp + c.fp === 0 ? 1 : c.tp / (c.tp + c.fp),
      recall: c.tp + c.fn === 0 ? 1 : c.tp / (c.tp + c.fn),
    }));
}

export function formatReport(rows: FieldReport[]): string {
  const lines = ['field                          tp    fp    fn   precision  recall'];
  for (const r of rows) {
    lines.push(
      `${r.field.padEnd(28)} ${String(r.tp).padStart(5)} ${String(r.fp).padStart(5)} ${String(r.fn).padStart(5)}   ${r.precision.toFixed(3).padStart(8)}  ${r.recall.toFixed(3).padStart(6)}`,
    );
  }
  return lines.join('\n');
}
