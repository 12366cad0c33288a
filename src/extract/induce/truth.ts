// Label files from the hand-checked markets-2019 truth (test/fixtures/extract/markets-2019-truth.json): the values an
// analyst would click on the first few pages of each type. Used by tests and `eval generic --adapter` to pick the
// training pages; the remaining pages are the ones an induced adapter is scored on.
import type { RealTruthPage } from '../eval/generic-real.ts';
import type { LabelFile, PageLabel } from './labels.ts';

export interface TruthLabelOptions {
  /** Training pages per page type (default 5; the issue allows at most 5). */
  perType?: number;
  /** Only these page types (default: every type in the truth). */
  types?: string[];
}

/** One label file per market: the first `perType` truth pages of every page type (in file order). */
export function labelsFromTruth(truth: Record<string, RealTruthPage>, market: string, options: TruthLabelOptions = {}): LabelFile {
  const perType = options.perType ?? 5;
  const count = new Map<string, number>();
  const pages: PageLabel[] = [];
  for (const [file, t] of Object.entries(truth).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    if (t.market !== market) continue;
    if (options.types && !options.types.includes(t.pageType)) continue;
    const n = count.get(t.pageType) ?? 0;
    if (n >= perType) continue;
    count.set(t.pageType, n + 1);
    const label: PageLabel = { file, url: t.url, pageType: t.pageType, fields: {} };
    if (t.listing) {
      const l = t.listing;
      label.fields = {
        'listing.title': l.title,
        'listing.price': l.price,
        'listing.vendorHandle': l.vendorHandle,
        'listing.shipsFrom': l.shipsFrom,
        'listing.shipsTo': l.shipsTo.length > 0 ? l.shipsTo : null,
        ...(l.category ? { 'listing.category': l.category } : {}),
      };
    }
    if (t.vendor) {
      label.fields = { 'vendor.handle': t.vendor.handle, 'vendor.rating': t.vendor.rating };
      label.ratingMax = t.vendor.ratingMax;
    } else if (t.vendor === null) label.none = ['vendors'];
    pages.push(label);
  }
  return { market: market.charAt(0).toUpperCase() + market.slice(1), id: `induced-${market}`, pages };
}

/** Truth files used for training by a label file (to score on the rest). */
export function trainingFiles(labels: LabelFile): Set<string> {
  return new Set(labels.pages.map((p) => p.file));
}
