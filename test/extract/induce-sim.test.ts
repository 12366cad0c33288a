// Adapter induction on simulated market designs: pages fetched from a served sim world (tiny scale), labelled
// from its ground truth (title, vendor, price as the market rounds it; vendor handle). An adapter induced from
// 5 listing and 5 vendor pages of one market is scored on the market's other listing and vendor pages.
import { describe, expect, it } from 'vitest';
import { evaluateSimExtraction, extractPage, induceAdapter, type LabelFile, type PageLabel, type SimTruthPage } from '../../src/extract/index.ts';

const sameText = (a: string | null | undefined, b: string | null | undefined) => (a ?? '').replace(/\s+/g, ' ').trim() === (b ?? '').replace(/\s+/g, ' ').trim();

describe('adapters induced on sim market designs', () => {
  it('≤ 5 labelled pages per page type give ≥ 0.98 per field on the rest of each market', async () => {
    const pages: SimTruthPage[] = [];
    await evaluateSimExtraction({ seed: 1, scale: 'tiny', onPage: (p) => pages.push(p) });
    const markets = [...new Set(pages.map((p) => p.market))];
    expect(markets.length).toBeGreaterThanOrEqual(1);
    const summary: Record<string, Record<string, string>> = {};
    for (const market of markets) {
      const mine = pages.filter((p) => p.market === market);
      const train = [...mine.filter((p) => p.kind === 'listing').slice(0, 5), ...mine.filter((p) => p.kind === 'vendor').slice(0, 5)];
      const rest = mine.filter((p) => !train.includes(p));
      if (rest.filter((p) => p.kind === 'listing').length < 3) continue;
      const toLabel = (p: SimTruthPage, i: number): PageLabel =>
        p.listing
          ? { file: `p${i}`, url: p.url, pageType: 'listing', fields: { 'listing.title': p.listing.title, 'listing.vendorHandle': p.listing.vendorHandle, 'listing.price': p.listing.price } }
          : { file: `p${i}`, url: p.url, pageType: 'vendor_profile', fields: { 'vendor.handle': p.vendor!.handle } };
      const labels: LabelFile = { market, pages: train.map(toLabel) };
      const r = induceAdapter(labels, train.map((p, i) => ({ label: labels.pages[i]!, input: { url: p.url, html: p.html, capturedAt: p.capturedAt, captureDigest: `sim:${i}` } })));
      const counts: Record<string, [number, number]> = {};
      const bump = (f: string, ok: boolean) => {
        const c = (counts[f] ??= [0, 0]);
        c[1]++;
        if (ok) c[0]++;
      };
      for (const p of rest) {
        const x = extractPage(r.adapter, { url: p.url, html: p.html, capturedAt: p.capturedAt, captureDigest: 'sim' });
        if (p.listing) {
          bump('page.listing', x.pageType === 'listing');
          const l = x.listings[0];
          bump('listing.title', sameText(l?.title, p.listing.title));
          if (p.listing.vendorHandle) bump('listing.vendorHandle', l?.vendorHandle === p.listing.vendorHandle);
          bump('listing.price', !!l?.price && l.price.currency === p.listing.price.currency && Math.abs(l.price.amount - p.listing.price.amount) < 1e-9 * Math.max(1, p.listing.price.amount));
        } else {
          bump('page.vendor', x.pageType === 'vendor_profile');
          bump('vendor.handle', x.vendors[0]?.handle === p.vendor!.handle);
        }
      }
      summary[`${market} (${mine[0]!.design})`] = Object.fromEntries(Object.entries(counts).map(([f, [ok, n]]) => [f, `${ok}/${n}`]));
      for (const [f, [ok, n]] of Object.entries(counts)) expect(ok / n, `${market} ${f}: ${ok}/${n}; ${JSON.stringify(r.fields.filter((x) => x.problems.length > 0).map((x) => [x.field, x.problems]))} rules ${JSON.stringify(r.adapter.pageTypes)}`).toBeGreaterThanOrEqual(0.98);
    }
    console.log(JSON.stringify(summary));
    expect(Object.keys(summary).length).toBeGreaterThanOrEqual(1);
  }, 180_000);
});
