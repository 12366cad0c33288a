// What an adapter gets out of a market's captures: pages per page type, and per field the share of the type's
// pages where the field has a value (coverage). With labels, also how many labelled values it read correctly.
import { extractPage } from '../adapter/run.ts';
import type { Adapter } from '../adapter/types.ts';
import type { ExtractResult, PageInput } from '../types.ts';

export interface CoverageRow {
  pageType: string;
  field: string;
  pages: number;
  withValue: number;
  coverage: number;
}

export interface CoverageReport {
  adapter: string;
  pages: number;
  pageTypes: Record<string, number>;
  fields: CoverageRow[];
  /** Pages the adapter could not read (blocked, no rules for the type, decode problems). */
  failed: { ref: string; errors: string[] }[];
}

const LISTING_FIELDS = ['title', 'price', 'vendorHandle', 'shipsFrom', 'shipsTo', 'category', 'description'] as const;
const VENDOR_FIELDS = ['handle', 'rating', 'level', 'profileText'] as const;

const hasValue = (v: unknown) => !(v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0));

/** Runs the adapter on every page and counts, per page type and field, the pages where the field came out. */
export function coverageReport(adapter: Adapter, pages: { ref: string; input: PageInput }[]): CoverageReport & { results: { ref: string; result: ExtractResult }[] } {
  const byType: Record<string, number> = {};
  const counts = new Map<string, { pages: number; withValue: number }>();
  const failed: CoverageReport['failed'] = [];
  const results: { ref: string; result: ExtractResult }[] = [];
  const bump = (type: string, field: string, ok: boolean) => {
    const k = `${type}\u0000${field}`;
    const c = counts.get(k) ?? { pages: 0, withValue: 0 };
    c.pages++;
    if (ok) c.withValue++;
    counts.set(k, c);
  };
  for (const p of pages) {
    const r = extractPage(adapter, p.input);
    results.push({ ref: p.ref, result: r });
    byType[r.pageType] = (byType[r.pageType] ?? 0) + 1;
    if (!r.ok) failed.push({ ref: p.ref, errors: r.errors.map((e) => e.message) });
    const spec = adapter.pages[r.pageType];
    if (!spec) continue;
    if (spec.listings) {
      const l = r.listings[0];
      for (const f of LISTING_FIELDS) if (spec.listings.fields[f]) bump(r.pageType, `listing.${f}`, !!l && hasValue(l[f]));
    }
    if (spec.vendors) {
      const v = r.vendors[0];
      for (const f of VENDOR_FIELDS) if (spec.vendors.fields[f]) bump(r.pageType, `vendor.${f}`, !!v && hasValue(v[f]));
    }
  }
  const fields = [...counts.entries()]
    .map(([k, c]) => {
      const [pageType, field] = k.split('\u0000') as [string, string];
      return { pageType, field, pages: c.pages, withValue: c.withValue, coverage: c.pages === 0 ? 0 : c.withValue / c.pages };
    })
    .sort((a, b) => a.pageType.localeCompare(b.pageType) || a.field.localeCompare(b.field));
  return { adapter: `${adapter.id}@${adapter.version}`, pages: pages.length, pageTypes: byType, fields, failed, results };
}
