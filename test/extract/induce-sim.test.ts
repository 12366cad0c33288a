// Adapter induction on simulated market designs: pages fetched from a served sim world, labelled from its ground
// truth (title, vendor, price as the market rounds it, ships from/to and category as the page prints them; vendor
// handle). An adapter induced from 5 listing and 5 vendor pages of one market is scored on the market's other
// listing and vendor pages. The tiny world (seed 1, default day) scores table, cards, list and forum; the shop
// market opens at 25 % of the run and has too few pages there, so it is scored on the demo world (seed 1, default
// day), where ≥ 10 listing and ≥ 10 vendor pages are left after the 5 + 5 labelled ones.
import { describe, expect, it } from 'vitest';
import {
  eqPath, eqPlace, eqPlaces, evaluateSimExtraction, extractPage, induceAdapter, type LabelFile, type PageLabel, type SimTruthPage,
} from '../../src/extract/index.ts';

const sameText = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').replace(/\s+/g, ' ').trim() === (b ?? '').replace(/\s+/g, ' ').trim();

const toLabel = (p: SimTruthPage, i: number): PageLabel =>
  p.listing
    ? {
      file: `p${i}`, url: p.url, pageType: 'listing',
      fields: {
        'listing.title': p.listing.title, 'listing.vendorHandle': p.listing.vendorHandle, 'listing.price': p.listing.price,
        'listing.shipsFrom': p.listing.shipsFrom, 'listing.shipsTo': p.listing.shipsTo, 'listing.category': p.listing.category,
      },
    }
    : { file: `p${i}`, url: p.url, pageType: 'vendor_profile', fields: { 'vendor.handle': p.vendor!.handle } };

/**
 * The listing pages an analyst labels, as docs/extract.md advises: the first 5, but when they all ship only to their
 * own origin and the market has a listing that ships elsewhere, the fifth is swapped for the first such listing
 * (with only domestic examples, "origin" and "destination" are the same text and cannot be told apart).
 */
function varied(listings: SimTruthPage[]): SimTruthPage[] {
  const domesticOnly = (p: SimTruthPage) => p.listing!.shipsTo.length === 1 && eqPlace(p.listing!.shipsTo[0]!, p.listing!.shipsFrom);
  const first = listings.slice(0, 5);
  if (!first.every(domesticOnly)) return first;
  const other = listings.find((p) => !domesticOnly(p));
  return other ? [...first.slice(0, 4), other] : first;
}

/** Induces an adapter from 5 listing (`varied`) and the first 5 vendor pages of each market and scores the rest. */
function scoreMarkets(pages: SimTruthPage[], minHeldOut: number): Record<string, Record<string, string>> {
  const summary: Record<string, Record<string, string>> = {};
  for (const market of [...new Set(pages.map((p) => p.market))]) {
    const mine = pages.filter((p) => p.market === market);
    const train = [...varied(mine.filter((p) => p.kind === 'listing')), ...mine.filter((p) => p.kind === 'vendor').slice(0, 5)];
    const rest = mine.filter((p) => !train.includes(p));
    if (rest.filter((p) => p.kind === 'listing').length < minHeldOut || rest.filter((p) => p.kind === 'vendor').length < Math.min(minHeldOut, 2)) continue;
    const labels: LabelFile = { market, pages: train.map(toLabel) };
    const r = induceAdapter(labels, train.map((p, i) => ({ label: labels.pages[i]!, input: { url: p.url, html: p.html, capturedAt: p.capturedAt, captureDigest: `sim:${i}` } })));
    const counts: Record<string, [number, number]> = {};
    const misses: Record<string, unknown[]> = {};
    const bump = (f: string, ok: boolean, got?: unknown, want?: unknown) => {
      const c = (counts[f] ??= [0, 0]);
      c[1]++;
      if (ok) c[0]++;
      else if ((misses[f] ??= []).length < 3) misses[f]!.push({ got, want });
    };
    for (const p of rest) {
      const x = extractPage(r.adapter, { url: p.url, html: p.html, capturedAt: p.capturedAt, captureDigest: 'sim' });
      if (p.listing) {
        const t = p.listing;
        bump('page.listing', x.pageType === 'listing');
        const l = x.listings[0];
        bump('listing.title', sameText(l?.title, t.title), l?.title, t.title);
        if (t.vendorHandle) bump('listing.vendorHandle', l?.vendorHandle === t.vendorHandle, l?.vendorHandle, t.vendorHandle);
        bump('listing.price', !!l?.price && l.price.currency === t.price.currency && Math.abs(l.price.amount - t.price.amount) < 1e-9 * Math.max(1, t.price.amount), l?.price, t.price);
        bump('listing.shipsFrom', !!l?.shipsFrom && eqPlace(l.shipsFrom, t.shipsFrom), l?.shipsFrom, t.shipsFrom);
        bump('listing.shipsTo', !!l && l.shipsTo.length > 0 && eqPlaces(l.shipsTo, t.shipsTo), l?.shipsTo, t.shipsTo);
        bump('listing.category', !!l && l.category.length > 0 && eqPath(l.category, t.category), l?.category, t.category);
      } else {
        bump('page.vendor', x.pageType === 'vendor_profile');
        bump('vendor.handle', x.vendors[0]?.handle === p.vendor!.handle, x.vendors[0]?.handle, p.vendor!.handle);
      }
    }
    summary[`${market} (${mine[0]!.design})`] = Object.fromEntries(Object.entries(counts).map(([f, [ok, n]]) => [f, `${ok}/${n}`]));
    for (const [f, [ok, n]] of Object.entries(counts)) {
      expect(ok / n, `${market} ${f}: ${ok}/${n}; misses ${JSON.stringify(misses[f])}; ${JSON.stringify(r.fields.filter((x) => x.problems.length > 0).map((x) => [x.field, x.problems]))} rules ${JSON.stringify(r.adapter.pageTypes)}`).toBeGreaterThanOrEqual(0.98);
    }
  }
  return summary;
}

describe('adapters induced on sim market designs', () => {
  it('≤ 5 labelled pages per page type give ≥ 0.98 per field on the rest of each market (tiny world)', async () => {
    const pages: SimTruthPage[] = [];
    await evaluateSimExtraction({ seed: 1, scale: 'tiny', onPage: (p) => pages.push(p) });
    const summary = scoreMarkets(pages, 3);
    console.log(JSON.stringify(summary));
    expect(Object.keys(summary).map((k) => k.replace(/.*\((\w+)\)$/, '$1')).sort()).toEqual(['cards', 'forum', 'list', 'table']);
  }, 180_000);

  it('the shop design, on the demo world where ≥ 10 pages per page type are left to score', async () => {
    const pages: SimTruthPage[] = [];
    await evaluateSimExtraction({ seed: 1, scale: 'demo', designs: ['shop'], onPage: (p) => pages.push(p) });
    // The first 5 listing pages of this market all ship only to their origin ("Ships from <b>Belgium</b> to
    // <b>Belgium</b>"); with those alone ships-to read the origin on the rest (22/66), hence `varied`.
    const summary = scoreMarkets(pages, 10);
    console.log(JSON.stringify(summary));
    expect(Object.keys(summary)).toHaveLength(1);
    const [fields] = Object.values(summary);
    for (const f of ['page.listing', 'page.vendor']) expect(Number(fields![f]!.split('/')[1])).toBeGreaterThanOrEqual(10);
  }, 180_000);
});
