import { readFileSync } from 'node:fs';
import { load } from 'cheerio';
import { describe, expect, it } from 'vitest';
import { extractPage } from '../../src/extract/adapter/run.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';

/**
 * The Agora adapter must follow the structure, not the fixture values: these tests mutate real pages (shuffle
 * rows, change values, drop optional parts, add noise) and check that extraction follows the mutation.
 */
const DIR = new URL('../../../shared/fixtures/agora-2014-04-06', import.meta.url).pathname;
const read = (key: string) => readFileSync(`${DIR}/${key}`, 'utf8');
const run = (key: string, html: string) =>
  extractPage(agoraAdapter, { url: `http://agorahooawayyfoe.onion/${key}`, html, capturedAt: '2015-01-10T00:00:00Z', captureDigest: 'sha256:m' });

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('Agora adapter follows page structure', () => {
  it('follows shuffled category rows', () => {
    const $ = load(read('cat/BUn0Jfz1r0'));
    const rows = $('tr.products-list-item').toArray();
    const rand = rng(7);
    const shuffled = rows.map((r) => ({ r, k: rand() })).sort((a, b) => a.k - b.k).map((x) => x.r);
    const table = $('table.products-list');
    $(rows).remove();
    for (const r of shuffled) table.append(r);
    const expectedIds = shuffled.map((r) => /\/p\/([A-Za-z0-9]+)/.exec($(r).find('a[href*="/p/"]').attr('href')!)![1]);
    const res = run('cat/BUn0Jfz1r0', $.html());
    expect(res.listings.map((l) => l.externalId)).toEqual(expectedIds);
    expect(res.listings).toHaveLength(27);
  });

  it('follows changed values on a listing page', () => {
    const $ = load(read('p/BtCZvmi3sY'));
    $('#single-product h1').text('20x Blue Punisher 240mg MDMA & friends');
    $('.product-page-price').text('1.23456789 BTC');
    $('a.gen-user-link').attr('href', '/vendor/Some_Body.Else#').text('Some_Body.Else');
    $('.gen-user-ratings').first().html(' <i class="fa fa-bar-chart-o"></i>&nbsp;3.25/5, 150~200 deals');
    $('.product-page-ships').html('<i class="fa fa-truck"></i> From: <img class="flag-img" src="/images/flag/w13/NLD.png" /> Netherlands<br/>\n<i class="fa fa-home"></i> To: EU, USA, Canada');
    $('a[href$="/buy"]').html('<i class="fa fa-shopping-cart"></i>&nbsp;&nbsp;Buy (3 left)...');
    const res = run('p/BtCZvmi3sY', $.html());
    expect(res.listings[0]).toMatchObject({
      externalId: 'BtCZvmi3sY',
      title: '20x Blue Punisher 240mg MDMA & friends',
      price: { amount: 1.23456789, currency: 'BTC' },
      vendorHandle: 'Some_Body.Else',
      shipsFrom: 'Netherlands',
      shipsTo: ['EU', 'USA', 'Canada'],
      stock: 3,
    });
    expect(res.vendors[0]).toMatchObject({ handle: 'Some_Body.Else', rating: 3.25, dealsMin: 150, dealsMax: 200, ratingApprox: false });
  });

  it('leaves removed optional fields empty instead of guessing', () => {
    const $ = load(read('p/UX4afAeb8X'));
    $('.product-page-ships').empty();
    $('.embedded-feedback-list table').remove();
    $('#single-product > img').remove();
    const res = run('p/UX4afAeb8X', $.html());
    const l = res.listings[0]!;
    expect(l.shipsFrom).toBeNull();
    expect(l.shipsTo).toEqual([]);
    expect(l.imageUrls).toEqual([]);
    expect(res.feedback).toEqual([]);
    expect(l.title).toBe('CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES');
    expect(res.errors).toEqual([]);
  });

  it('reports a missing required title but keeps the rest', () => {
    const $ = load(read('p/A1pRYEwh67'));
    $('#single-product h1').remove();
    const res = run('p/A1pRYEwh67', $.html());
    expect(res.errors.map((e) => e.code)).toContain('missing_required_field');
    expect(res.listings[0]).toMatchObject({ title: null, price: { amount: 0.4263693, currency: 'BTC' }, vendorHandle: 'worldwide' });
  });

  it('follows generated vendor pages with random rows and feedback', () => {
    const base = load(read('vendor/Godspeed'));
    const rowTemplate = base.html(base('tr.products-list-item').first())!;
    const fbTemplate = base.html(base('.embedded-feedback-list tr').first())!;
    const rand = rng(42);
    for (let round = 0; round < 5; round++) {
      const $ = load(read('vendor/Godspeed'));
      const n = 1 + Math.floor(rand() * 25);
      const rows = Array.from({ length: n }, (_, i) => ({
        id: `Z${round}x${i}${Math.floor(rand() * 1e6).toString(36)}`,
        title: `${1 + Math.floor(rand() * 100)}g Item ${i} "quoted" <b>`,
        price: (rand() * 10).toFixed(8),
        from: ['Germany', 'USA', 'Torland', 'Netherlands'][i % 4]!,
      }));
      $('tr.products-list-item').remove();
      for (const r of rows) {
        const row = load(`<table>${rowTemplate}</table>`);
        row('a[href*="/p/"]').attr('href', `/p/${r.id}`).text(r.title);
        row('td').eq(2).text(`${r.price} BTC`);
        row('td').eq(3).html(`<i class="fa fa-truck"></i> From: ${r.from}<br/>`);
        $('table.products-list').append(row('tr').toString());
      }
      const fbCount = Math.floor(rand() * 6);
      $('.embedded-feedback-list tr').remove();
      const fbs = Array.from({ length: fbCount }, (_, i) => ({ rating: 1 + (i % 5), days: Math.floor(rand() * 30), text: `comment ${i} & more` }));
      for (const f of fbs) {
        const row = load(`<table>${fbTemplate}</table>`);
        row('td strong').first().text(`${f.rating}/5`);
        row('td').eq(1).text(f.text);
        row('td').eq(3).text(`${f.days} days ago`);
        $('.embedded-feedback-list table').append(row('tr').toString());
      }
      const res = run('vendor/Godspeed', $.html());
      expect(res.listings.map((l) => [l.externalId, l.title, l.price?.amount, l.shipsFrom])).toEqual(
        rows.map((r) => [r.id, r.title, Number(r.price), r.from]),
      );
      expect(res.feedback.map((f) => [f.rating, f.text, f.postedAtText, f.vendorHandle])).toEqual(
        fbs.map((f) => [f.rating, f.text, `${f.days} days ago`, 'Godspeed']),
      );
    }
  });

  it('ignores noise: extra wrappers, attributes, comments and whitespace', () => {
    let html = read('p/SbbYurEXS4');
    html = html
      .replace('<h1>', '<!-- x --><h1 class="extra" data-x="1">\n  ')
      .replace('<div class="product-page-price">', '<div data-noise="y" class="product-page-price   highlighted">\n');
    const res = run('p/SbbYurEXS4', html);
    expect(res.listings[0]).toMatchObject({ title: '1/2th Pink Lemonade Top Shelf', price: { amount: 0.32819383, currency: 'BTC' }, shipsTo: ['USA only'] });
  });
});
