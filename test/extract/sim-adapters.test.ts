// The sim-market adapters scored against the sim's ground truth: a world served in-process, every market
// logged in to (CAPTCHA via the in-process test hook), every index, listing, vendor and feedback page fetched
// on loopback, extracted with the market's adapter and compared field by field.
import { describe, expect, it } from 'vitest';
import { ADAPTERS, adapterForUrl, evaluateSimExtraction, getAdapter, SIM_DESIGNS, simAdapterFor } from '../../src/extract/index.ts';
import type { MarketExtractEval, SimExtractEvalResult } from '../../src/extract/index.ts';

const TARGET = 0.98;

function belowTarget(m: MarketExtractEval) {
  return m.fields.filter((f) => f.precision < TARGET || f.recall < TARGET).map((f) => ({ market: m.slug, ...f }));
}

/** Feedback is scored wherever the world has some on the day. */
function expectFeedbackScored(markets: MarketExtractEval[]) {
  for (const m of markets.filter((x) => x.feedbackExpected > 0)) {
    expect(m.fields.map((f) => f.field), m.slug).toEqual(
      expect.arrayContaining(['page.feedback', 'feedback.row', 'feedback.rating', 'feedback.text', 'feedback.date', 'feedback.buyer', 'feedback.listing']),
    );
  }
}

function upMarkets(r: SimExtractEvalResult) {
  return r.markets.filter((m) => m.state === 'up');
}

describe('sim adapters registry', () => {
  it('has one versioned adapter per design, registered and found by design', () => {
    for (const design of SIM_DESIGNS) {
      const a = simAdapterFor(design);
      expect(a.id).toBe(`sim-${design}`);
      expect(a.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(getAdapter(a.id)).toBe(a);
      expect(ADAPTERS).toContain(a);
    }
    expect(() => simAdapterFor('bazaar')).toThrow(/no sim adapter for design "bazaar"/);
    // Onion hosts are per world: no sim adapter claims a host.
    expect(adapterForUrl('http://example.onion/p/1')).toBeUndefined();
  });
});

describe('sim adapters against the ground truth', () => {
  it('seed 1, tiny world, default day: precision and recall ≥ 0.98 for every field of every market', async () => {
    const r = await evaluateSimExtraction({ seed: 1, scale: 'tiny' });
    const up = upMarkets(r);
    expect(up.map((m) => m.design).sort()).toEqual([...SIM_DESIGNS].sort());
    for (const m of up) {
      expect(m.listingsExpected, m.slug).toBeGreaterThan(0);
      const names = m.fields.map((f) => f.field);
      expect(names, m.slug).toEqual(expect.arrayContaining([
        'page.login', 'page.listing', 'page.vendor', 'index.row', 'index.title', 'index.price', 'listing.title',
        'listing.vendor', 'listing.price', 'listing.currency', 'listing.shipsFrom', 'listing.shipsTo', 'listing.stock',
        'listing.category', 'listing.description', 'vendor.handle', 'vendor.profileText', 'vendor.pgpFingerprint',
      ]));
      // Every scored field was actually seen (no field scored only on absences).
      for (const f of m.fields) expect(f.tp + f.fn, `${m.slug} ${f.field}`).toBeGreaterThan(0);
      expect(belowTarget(m)).toEqual([]);
    }
    expectFeedbackScored(up);
  }, 120_000);

  it('another seed and a day after the takedown: same structure, seizure banner recognised, ≥ 0.98', async () => {
    const r = await evaluateSimExtraction({ seed: 'extract-structure', scale: 'tiny', day: 75 });
    expect(r.day).toBe(75);
    const seized = r.markets.filter((m) => m.state === 'seized');
    expect(seized.length).toBe(1);
    expect(seized[0]!.fields).toEqual([expect.objectContaining({ field: 'page.seized', tp: 1, fp: 0, fn: 0 })]);
    const up = upMarkets(r);
    expect(up.length).toBeGreaterThanOrEqual(3);
    for (const m of up) {
      expect(m.listingsExpected, m.slug).toBeGreaterThan(0);
      expect(belowTarget(m)).toEqual([]);
    }
    expectFeedbackScored(up);
  }, 120_000);
});
