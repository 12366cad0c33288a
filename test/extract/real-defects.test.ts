// Issue 13 §5: extraction defects found on real pages — seizure by banner only (extractor and crawler), ships-to
// exclusions, onions followed by dashes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analysePage } from '../../src/collect/index.ts';
import { extractPage } from '../../src/extract/adapter/run.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';
import { extractGeneric, parseDestinations } from '../../src/extract/index.ts';
import { extractSelectors } from '../../src/extract/selectors/index.ts';
import { onionFromPublicKey } from '../../src/domain/index.ts';
import { fixtureDir } from '../helpers/fixtures.ts';

const AGORA = fixtureDir('agora-2014-04-06');
const USER_SEIZURE_TEXT = [
  'If your order has been seized by law enforcement, we reship once with proof.',
  'Note: this site has been seized by the FBI? No! That is a phishing rumour.',
  'Operation Bayonet scared many vendors but we are still here.',
];

function withProfileText(file: string, sentence: string): string {
  const html = readFileSync(`${AGORA}/${file}`, 'utf8');
  const out = html.replace('<div class="vendorbio-description">', `<div class="vendorbio-description"><p>${sentence}</p>`);
  expect(out).not.toBe(html);
  return out;
}

const page = (html: string, url = 'http://agorahooawayyfoe.onion/vendor/3dames') => ({ url, html, capturedAt: '2014-04-06T12:00:00Z', captureDigest: 'sha256:x' });

describe('seizure detection relies on the banner, never on user sentences', () => {
  for (const sentence of USER_SEIZURE_TEXT) {
    it(`a vendor profile saying "${sentence.slice(0, 40)}…" is a vendor page to the adapter, the generic extractor and the crawler`, () => {
      const html = withProfileText('vendor/3dames', sentence);
      expect(extractPage(agoraAdapter, page(html)).pageType).toBe('vendor_profile');
      expect(extractGeneric(page(html)).pageType).not.toBe('seized');
      expect(analysePage(Buffer.from(html), 'http://agorahooawayyfoe.onion/vendor/3dames').seized).toBe(false);
    });
  }

  it('a listing description mentioning seizures does not stop the crawler', () => {
    const html = readFileSync(`${AGORA}/p/lD9dpoksYJ`, 'utf8').replace('<br/><br/>Ethylone', '<br/>If the parcel has been seized by customs we reship.<br/>Ethylone');
    expect(analysePage(Buffer.from(html), 'http://agorahooawayyfoe.onion/p/lD9dpoksYJ').seized).toBe(false);
    expect(extractPage(agoraAdapter, page(html, 'http://agorahooawayyfoe.onion/p/lD9dpoksYJ')).pageType).toBe('listing');
  });

  const banners: Record<string, string> = {
    'title and heading': `<html><head><title>THIS HIDDEN SITE HAS BEEN SEIZED</title></head><body><h1>THIS HIDDEN SITE HAS BEEN SEIZED</h1><p>as part of a joint law enforcement operation.</p></body></html>`,
    'one banner image': `<html><head><title>Seized</title></head><body><center><img src="banner.jpg" alt="This hidden site has been seized by the Federal Bureau of Investigation"></center></body></html>`,
    'text-only splash': `<html><body><div>This marketplace has been seized by the Bundeskriminalamt pursuant to a court order.</div><a href="https://example.org">more</a></body></html>`,
    'Dutch splash': `<html><head><title>Politie</title></head><body><h2>Deze website is in beslag genomen</h2></body></html>`,
  };
  for (const [name, html] of Object.entries(banners)) {
    it(`a seizure banner (${name}) is seized for the crawler and the extractors`, () => {
      expect(analysePage(Buffer.from(html), 'http://x.onion/').seized).toBe(true);
      expect(extractGeneric(page(html, 'http://x.onion/')).pageType).toBe('seized');
      expect(extractPage(agoraAdapter, page(html, 'http://agorahooawayyfoe.onion/')).pageType).toBe('seized');
    });
  }
});

describe('ships-to exclusions are exclusions, not destinations', () => {
  it.each([
    ['Worldwide except Australia, New Zealand, Russia, Finland, Germany or the Middle East', ['Worldwide'], ['Australia', 'New Zealand', 'Russia', 'Finland', 'Germany', 'Middle East']],
    ['WorldWide, No Finland', ['WorldWide'], ['Finland']],
    ['We do not ship to USA / Canada', [], ['USA', 'Canada']],
    ['Worldwide. We do not ship to USA / Canada', ['Worldwide'], ['USA', 'Canada']],
    ['EU, no shipping to Sweden', ['EU'], ['Sweden']],
    ['Europe excluding Norway & Switzerland', ['Europe'], ['Norway', 'Switzerland']],
    ['USA only', ['USA only'], []],
    ['Germany, Austria, Switzerland', ['Germany', 'Austria', 'Switzerland'], []],
  ])('%s', (raw, to, excluded) => {
    expect(parseDestinations(raw)).toEqual({ to, excluded });
  });

  it('the Agora adapter reads a real "Worldwide except …" field as a destination and its exclusions', () => {
    const r = extractPage(agoraAdapter, page(readFileSync(`${AGORA}/p/lD9dpoksYJ`, 'utf8'), 'http://agorahooawayyfoe.onion/p/lD9dpoksYJ'));
    expect(r.listings[0]!.shipsTo).toEqual(['Worldwide']);
    expect(r.listings[0]!.shipsToExcluded).toEqual(expect.arrayContaining(['Australia', 'New Zealand', 'Finland']));
  });
});

describe('onions followed by punctuation', () => {
  const onion = onionFromPublicKey(new Uint8Array(32).fill(7));
  it.each([`${onion}----`, `visit ${onion}-`, `(${onion})--- new mirror`, `${onion}----Next`])('%s', async (text) => {
    expect((await extractSelectors(text)).filter((s) => s.kind === 'onion').map((s) => s.value)).toEqual([onion]);
  });
  it('a longer clearnet host is not an onion', async () => {
    expect((await extractSelectors(`${onion}-mirror.com`)).filter((s) => s.kind === 'onion')).toEqual([]);
  });
});

describe('generic extractor: no handles from free text, feedback tables are not listings', () => {
  const row = (i: number, text: string) =>
    `<div class="item"><a href="/item/${i}">Product number ${i} premium quality</a><span class="price">${10 + i}.00 USD</span><p>${text}</p></div>`;
  it('running text after "vendor"/"sold by" is never a vendor handle; a "Seller:" label is', () => {
    const html = `<html><body><div class="grid">${row(1, 'see our vendor page for more')}${row(2, 'sold by us with care')}${row(3, 'best vendor on the market')}${row(4, 'Seller: kingpin_22')}</div></body></html>`;
    const r = extractGeneric(page(html, 'http://unknownmarket.onion/search?q=x'));
    expect(r.listings.map((l) => l.vendorHandle)).toEqual([null, null, null, 'kingpin_22']);
  });

  it('a vendor page feedback table (rating, date, price paid) is feedback, not listings', () => {
    const fb = (i: number) =>
      `<tr class="fb"><td>5/5</td><td>Great stealth, ${i} days ago</td><td>b***${i}</td><td><a href="/item/9">Product nine</a></td><td>${20 + i}.00 USD</td></tr>`;
    const html = `<html><body><h1>kingpin_22</h1><table class="feedback">${[1, 2, 3, 4, 5].map(fb).join('')}</table></body></html>`;
    const r = extractGeneric(page(html, 'http://unknownmarket.onion/vendor/kingpin_22'));
    expect(r.listings).toEqual([]);
    expect(r.feedback.length).toBe(5);
    expect(r.feedback.every((f) => f.rating === 5)).toBe(true);
  });
});
