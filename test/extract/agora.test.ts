import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractPage } from '../../src/extract/adapter/run.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';
import { formatReport, report, scorePage, type FieldScores, type TruthPage } from '../../src/extract/eval/score.ts';

const DIR = new URL('../../../shared/fixtures/agora-2014-04-06', import.meta.url).pathname;
const truth = JSON.parse(readFileSync(new URL('../fixtures/extract/agora-truth.json', import.meta.url), 'utf8')) as Record<string, TruthPage>;

function page(key: string, html?: string) {
  return extractPage(agoraAdapter, {
    url: `http://agorahooawayyfoe.onion/${key}`,
    html: html ?? readFileSync(`${DIR}/${key}`),
    capturedAt: '2014-04-06T12:00:00Z',
    captureDigest: `sha256:${key}`,
  });
}

describe('Agora adapter on the 2014-04-06 fixtures', () => {
  it('covers every fixture page in the ground truth', () => {
    const files = ['p', 'cat', 'vendor'].flatMap((d) => readdirSync(`${DIR}/${d}`).map((f) => `${d}/${f}`));
    expect(files.sort()).toEqual(Object.keys(truth).sort());
  });

  it('extracts every ground-truth field exactly (precision = recall = 1)', () => {
    const scores: FieldScores = new Map();
    for (const [key, t] of Object.entries(truth)) {
      const r = page(key);
      expect(r.errors, key).toEqual([]);
      expect(r.provenance).toMatchObject({ adapter: 'agora@1.0.0', captureDigest: `sha256:${key}` });
      scorePage(scores, r, t);
    }
    const rows = report(scores);
    console.log(`Agora adapter accuracy vs hand-checked truth\n${formatReport(rows)}`);
    for (const row of rows) {
      expect({ field: row.field, precision: row.precision, recall: row.recall }).toEqual({ field: row.field, precision: 1, recall: 1 });
    }
    expect(rows.map((r) => r.field)).toEqual(expect.arrayContaining(['listing.title', 'listing.price', 'rows.price', 'feedback.text', 'vendor.pgpBlocks']));
  });

  it('reads a listing page into listing, vendor snapshot and feedback rows', () => {
    const r = page('p/UX4afAeb8X');
    expect(r.pageType).toBe('listing');
    expect(r.listings).toHaveLength(1);
    const l = r.listings[0]!;
    expect(l).toMatchObject({
      externalId: 'UX4afAeb8X',
      url: 'http://agorahooawayyfoe.onion/p/UX4afAeb8X',
      title: 'CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES',
      price: { amount: 0.07388004, currency: 'BTC' },
      vendorHandle: 'mikehamer',
      vendorUrl: 'http://agorahooawayyfoe.onion/vendor/mikehamer',
      shipsFrom: 'Torland',
      shipsTo: ['WORLDWIDE'],
      category: ['Tobacco', 'Smoked'],
      stock: null,
    });
    expect(l.description?.split('\n')[0]).toBe('FOR SALE ARE 1 CARTON/10 PACKS/200 CIGARETTES OF:');
    expect(r.vendors).toEqual([expect.objectContaining({ handle: 'mikehamer', rating: 5, ratingMax: 5, dealsMin: 40, dealsMax: 55 })]);
    expect(r.feedback).toHaveLength(4);
    expect(r.feedback[2]).toEqual({
      listingExternalId: 'UX4afAeb8X',
      listingTitle: 'CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES',
      vendorHandle: 'mikehamer',
      rating: 5,
      ratingMax: 5,
      text: "good seller!! recommanded. THanks a lot i'll process a new order faster",
      postedAt: '2014-04-04',
      postedAtText: '2 days ago',
      buyer: 'anon',
    });
  });

  it('recovers PGP blocks with their line structure from a vendor profile', () => {
    const r = page('vendor/Demonic');
    expect(r.pageType).toBe('vendor_profile');
    const v = r.vendors[0]!;
    expect(v.handle).toBe('Demonic');
    expect(v.level).toBe('Vendor');
    expect(v.pgpBlocks).toHaveLength(1);
    const lines = v.pgpBlocks[0]!.split('\n');
    expect(lines[0]).toBe('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    expect(lines[1]).toBe('Version: GnuPG v2.0.21 (MingW32)');
    expect(lines[2]).toBe('');
    // "&#80;" inside a base64 word is decoded in place.
    expect(v.pgpBlocks[0]).toContain('oT562EIo/3k/48YHztsWsnubIfwip27V3NmzABEBAAG0H0RlbW9uaWMgPERlbW9u\n');
    expect(lines.at(-1)).toBe('-----END PGP PUBLIC KEY BLOCK-----');
    expect(r.texts.filter((t) => t.kind === 'pgp')).toHaveLength(1);
    expect(r.listings.every((l) => l.vendorHandle === 'Demonic')).toBe(true);
  });

  it('decodes the double-escaped captions of the front page', () => {
    const r = page('p/hWlRydvnFh');
    expect(r.pageType).toBe('listing_index');
    expect(r.listings.find((l) => l.externalId === 'ZnAPUb85mA')?.title).toBe("50 x Domino's 200-220mg.");
  });

  it('gives an empty category page no rows and no errors', () => {
    const r = page('cat/DkRTPKbZU1');
    expect(r).toMatchObject({ ok: true, pageType: 'category', listings: [], errors: [] });
    expect(r.breadcrumbs).toEqual(['Drug paraphernalia', 'Injecting equipment', 'Other']);
  });
});
