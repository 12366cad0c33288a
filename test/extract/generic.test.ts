import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractGeneric, GENERIC_REF } from '../../src/extract/generic/index.ts';
import { formatReport, report, scorePage, type FieldScores, type TruthPage } from '../../src/extract/eval/score.ts';

const DIR = new URL('../../../shared/fixtures/agora-2014-04-06', import.meta.url).pathname;
const truth = JSON.parse(readFileSync(new URL('../fixtures/extract/agora-truth.json', import.meta.url), 'utf8')) as Record<string, TruthPage>;
const run = (key: string, html?: string | Uint8Array, url = `http://agorahooawayyfoe.onion/${key}`) =>
  extractGeneric({ url, html: html ?? readFileSync(`${DIR}/${key}`), capturedAt: '2014-04-06T12:00:00Z', captureDigest: `sha256:${key}` });

describe('generic extractor (no adapter) on the Agora fixtures', () => {
  it('reports precision/recall against the Agora ground truth', () => {
    const scores: FieldScores = new Map();
    for (const [key, t] of Object.entries(truth)) {
      const r = run(key);
      expect(r.provenance.adapter).toBe(GENERIC_REF);
      expect(r.confidence.page).toBeGreaterThanOrEqual(0);
      expect(r.confidence.page).toBeLessThanOrEqual(1);
      scorePage(scores, r, t);
    }
    const rows = report(scores);
    console.log(`Generic extractor accuracy vs Agora truth\n${formatReport(rows)}`);
    const get = (f: string) => rows.find((r) => r.field === f)!;
    // Floors well below the measured values (docs/extract.md): they catch regressions, not prove perfection.
    for (const f of ['rows.row', 'rows.title', 'rows.price', 'listing.title', 'listing.price', 'listing.vendorHandle', 'vendor.pgpBlocks']) {
      expect(get(f).precision, f).toBeGreaterThanOrEqual(0.9);
      expect(get(f).recall, f).toBeGreaterThanOrEqual(0.9);
    }
    expect(get('feedback.rating').recall).toBeGreaterThanOrEqual(0.8);
  });

  it('finds listing rows, prices with currency and vendor links by structure', () => {
    const r = run('cat/BUn0Jfz1r0');
    expect(r.pageType).toBe('category');
    expect(r.listings).toHaveLength(27);
    expect(r.listings[0]).toMatchObject({ externalId: 'EVBA9gqmkD', title: '25x 20mg Allylescaline pills', price: { amount: 0.17646139, currency: 'BTC' }, vendorHandle: 'SpaceBoy' });
    // A title containing "$2" must not be taken as the price.
    const nbome = r.listings.find((l) => l.externalId === 'EgYtLzfMUE')!;
    expect(nbome.price).toEqual({ amount: 0.00502579, currency: 'BTC' });
    expect(r.confidence.fields.price).toBeGreaterThan(0.5);
  });

  it('handles other markets shapes: USD/EUR/XMR prices, "Seller:" labels, /user/ links, feedback lists', () => {
    const html = `<html><body><h2>Results</h2><ul class="results">
      <li class="offer"><a href="/listing/101">10g Cocaine 90%</a> <span>€ 450,00</span> Seller: <a href="/user/snowman">snowman</a> Ships from: Netherlands</li>
      <li class="offer"><a href="/listing/102">100 x Xanax 2mg</a> <span>USD 180</span> Seller: <a href="/user/benzoboss">benzoboss</a> Ships from: USA</li>
      <li class="offer"><a href="/listing/103">1g Heroin #4</a> <span>0.35 XMR</span> Seller: <a href="/user/h4">h4</a> Ships from: Germany</li>
      <li class="offer"><a href="/listing/104">Fentanyl patch 100ug</a> <span>฿0.0021</span> Seller: <a href="/user/patchy">patchy</a></li>
    </ul></body></html>`;
    const r = run('x', html, 'http://unknownmarket.onion/search?q=x');
    expect(r.pageType).toBe('category');
    expect(r.listings.map((l) => [l.externalId, l.price, l.vendorHandle])).toEqual([
      ['101', { amount: 450, currency: 'EUR' }, 'snowman'],
      ['102', { amount: 180, currency: 'USD' }, 'benzoboss'],
      ['103', { amount: 0.35, currency: 'XMR' }, 'h4'],
      ['104', { amount: 0.0021, currency: 'BTC' }, 'patchy'],
    ]);
    expect(r.listings[0]!.shipsFrom).toBe('Netherlands');
    expect(r.vendors.map((v) => v.handle)).toEqual(['snowman', 'benzoboss', 'h4', 'patchy']);
  });

  it('finds PGP blocks on a vendor profile of an unknown market', () => {
    const key = readFileSync(`${DIR}/vendor/Demonic`, 'utf8');
    const r = run('vendor/Demonic', key, 'http://other.onion/profile/Demonic');
    expect(r.pageType).toBe('vendor_profile');
    expect(r.vendors[0]?.handle).toBe('Demonic');
    expect(r.vendors[0]?.pgpBlocks[0]?.split('\n')[0]).toBe('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    expect(r.confidence.fields['vendor.pgpBlocks']).toBeGreaterThan(0.9);
  });

  it('is bounded on hostile input', () => {
    const r = run('x', '<div>'.repeat(100_000) + '<a href="/p/1">x</a> 1 BTC');
    expect(r.warnings.map((w) => w.code)).toContain('depth_limit');
    const big = run('x', Buffer.alloc(9 * 1024 * 1024, 0x20));
    expect(big.errors.map((e) => e.code)).toEqual(['page_too_large']);
  });
});
