import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractPage } from '../../src/extract/adapter/run.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';
import { decodeHtml } from '../../src/extract/html/decode.ts';
import type { PageInput } from '../../src/extract/types.ts';

/** Hostile pages must give a result or a clear error — never an exception, never unbounded work. */
const DIR = new URL('../../../shared/fixtures/agora-2014-04-06', import.meta.url).pathname;
const listing = readFileSync(`${DIR}/p/UX4afAeb8X`, 'utf8');
const input = (html: string | Uint8Array, extra: Partial<PageInput> = {}): PageInput => ({
  url: 'http://agorahooawayyfoe.onion/p/UX4afAeb8X',
  html,
  capturedAt: '2014-04-06T00:00:00Z',
  captureDigest: 'sha256:h',
  ...extra,
});
const codes = (xs: { code: string }[]) => xs.map((x) => x.code);

describe('hostile input', () => {
  it('refuses a 50 MB page with page_too_large (bytes and string)', () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
    const r = extractPage(agoraAdapter, input(big));
    expect(r.ok).toBe(false);
    expect(codes(r.errors)).toEqual(['page_too_large']);
    expect(r.provenance.adapter).toBe('agora@1.0.0');
    const r2 = extractPage(agoraAdapter, input('<p>'.repeat(17 * 1024 * 1024 / 3 + 10)));
    expect(codes(r2.errors)).toEqual(['page_too_large']);
  });

  it('flattens 100,000-deep nesting and still extracts the page around it', () => {
    const deep = '<div>'.repeat(100_000) + 'deep text' + '</div>'.repeat(100_000);
    const html = listing.replace('FOR SALE ARE', `${deep}FOR SALE ARE`);
    const r = extractPage(agoraAdapter, input(html));
    expect(codes(r.warnings)).toContain('depth_limit');
    expect(r.stats.maxDepth).toBeLessThanOrEqual(256);
    expect(r.listings[0]).toMatchObject({ title: 'CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES', vendorHandle: 'mikehamer' });
    expect(r.feedback).toHaveLength(4);
  });

  it('survives unclosed and mismatched deep nesting', () => {
    for (const html of ['<div>'.repeat(100_000), '<b>'.repeat(100_000) + '</i>'.repeat(100_000), '<table><tr><td>'.repeat(40_000), '<svg>'.repeat(100_000) + '</svg>'.repeat(100_000)]) {
      const r = extractPage(agoraAdapter, input(html));
      expect(r.pageType).toBe('unknown');
      expect(codes(r.errors)).toEqual(['no_page_spec']);
      expect(codes(r.warnings)).toContain('depth_limit');
    }
  });

  it('drops elements past the element limit', () => {
    const r = extractPage(agoraAdapter, input('<p>x</p>'.repeat(300_000)));
    expect(codes(r.warnings)).toContain('element_limit');
    expect(r.stats.elements).toBe(50_000);
  });

  it('replaces broken UTF-8 and still extracts', () => {
    const bytes = Buffer.from(listing, 'utf8');
    const broken = Buffer.concat([bytes.subarray(0, 6000), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), bytes.subarray(6000)]);
    const r = extractPage(agoraAdapter, input(broken));
    expect(codes(r.warnings)).toContain('decode_error');
    expect(r.listings[0]?.title).toBe('CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES');
  });

  it('decodes UTF-16 with a BOM, windows-1252 by meta, header charset over meta, and sniffs legacy bytes', () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(listing, 'utf16le')]);
    const r = extractPage(agoraAdapter, input(utf16));
    expect(r.stats.encoding).toBe('utf-16le');
    expect(r.listings[0]?.price).toEqual({ amount: 0.07388004, currency: 'BTC' });

    const cp1252 = Buffer.from('<html><head><meta charset="windows-1252"></head><body><h1>Caf\xe9 \x93quoted\x94 \x80 5</h1></body></html>', 'latin1');
    expect(decodeHtml(cp1252).text).toContain('Café “quoted” € 5');
    expect(decodeHtml(cp1252).source).toBe('meta');
    expect(decodeHtml(Buffer.from('<h1>Caf\xe9</h1>', 'latin1'), 'text/html; charset=ISO-8859-1').source).toBe('http');
    expect(decodeHtml(Buffer.from('<h1>Caf\xe9 \x80</h1>', 'latin1'))).toMatchObject({ encoding: 'windows-1252', source: 'default', text: '<h1>Café €</h1>' });
    const lying = Buffer.from('<meta charset="utf-16"><h1>ok ü</h1>', 'utf8');
    expect(decodeHtml(lying).text).toContain('ok ü');
    expect(decodeHtml(Buffer.from('<meta charset="no-such-charset"><p>x</p>')).encoding).toBe('utf-8');
  });

  it('never interprets scripts nor lets their text leak into fields', () => {
    const payload =
      '<script>document.write("<h1>FAKE TITLE</h1>"); while(true){}; </script><script type="text/template"><div class="product-page-price">9.99 BTC</div></script>' +
      '<style>.x{background:url(javascript:alert(1))}</style><noscript><h1>nope</h1></noscript>';
    const html = listing.replace('FOR SALE ARE', `${payload}FOR SALE ARE`).replace('<h1>', '<h1><script>alert(1)</script>');
    const r = extractPage(agoraAdapter, input(html));
    expect(r.listings[0]?.title).toBe('CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES');
    expect(r.listings[0]?.price).toEqual({ amount: 0.07388004, currency: 'BTC' });
    const all = JSON.stringify(r);
    expect(all).not.toContain('FAKE TITLE');
    expect(all).not.toContain('alert');
    expect(all).not.toContain('javascript:');
  });

  it('decodes entities inside words', () => {
    const html = listing.replace('FOR SALE ARE', 'F&#79;R S&#x41;LE&nbsp;ARE&#32;THE &amp;amp; &copy; &notanentity; &#xZZ;');
    const d = extractPage(agoraAdapter, input(html)).listings[0]!.description!;
    // "&not" is a legacy entity that HTML decodes even without ";" (as browsers do); "&#xZZ;" is not a reference.
    expect(d.startsWith('FOR SALE ARE THE &amp; © ¬anentity; &#xZZ; 1 CARTON')).toBe(true);
  });

  it('truncates huge attribute values', () => {
    const huge = 'A'.repeat(3 * 1024 * 1024);
    const html = listing.replace('<h1>', `<h1 title="${huge}" data-x='${huge}'>`);
    const r = extractPage(agoraAdapter, input(html));
    expect(r.listings[0]?.title).toBe('CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES');
    expect(r.stats.bytes).toBeGreaterThan(6 * 1024 * 1024);
  });

  it('recognises seizure banners, captcha walls and login walls as blocked pages', () => {
    const seized = extractPage(agoraAdapter, input('<html><body><img src="/banner.png"><h1>THIS HIDDEN SITE HAS BEEN SEIZED</h1><p>by the Federal Bureau of Investigation in conjunction with Europol</p></body></html>'));
    expect(seized).toMatchObject({ ok: false, pageType: 'seized' });
    expect(codes(seized.errors)).toEqual(['blocked_page']);
    expect(seized.texts[0]?.text).toContain('SEIZED');
    const captcha = extractPage(agoraAdapter, input('<form><img src="/captcha.png?id=5"><input name="captcha_code"><input type=submit></form>'));
    expect(captcha.pageType).toBe('captcha');
    const login = extractPage(agoraAdapter, input('<form action="/login" method="post"><input name="u"><input type="password" name="p"></form>'));
    expect(login.pageType).toBe('login');
  });

  it('reports empty, binary and garbage input without throwing', () => {
    expect(codes(extractPage(agoraAdapter, input('')).errors)).toEqual(['empty_page']);
    expect(codes(extractPage(agoraAdapter, input('   \n ')).errors)).toEqual(['empty_page']);
    const rand = (() => {
      let s = 12345;
      return () => (s = (s * 1103515245 + 12345) >>> 0) & 0xff;
    })();
    const garbage = Uint8Array.from({ length: 200_000 }, () => rand());
    const r = extractPage(agoraAdapter, input(garbage));
    expect(r.pageType).toBe('unknown');
    expect(extractPage(agoraAdapter, { ...input(listing), url: 'not a url', capturedAt: 'not a date' }).listings).toHaveLength(1);
  });

  it('survives 300 random corruptions of a real page (byte flips, truncation, tag soup)', () => {
    const bytes = Buffer.from(listing, 'utf8');
    let s = 99;
    const next = (n: number) => ((s = (s * 1664525 + 1013904223) >>> 0) % n);
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(bytes.subarray(0, next(bytes.length) + 1));
      for (let k = 0; k < 20; k++) b[next(b.length)] = next(256);
      const soup = b.toString('latin1').replace(/>/g, () => (next(10) === 0 ? '<<' : '>'));
      const r = extractPage(agoraAdapter, input(next(2) ? b : soup));
      expect(Array.isArray(r.errors)).toBe(true);
    }
  });

  it('contains a failing hook instead of throwing', () => {
    const broken = {
      ...agoraAdapter,
      hooks: {
        ...agoraAdapter.hooks,
        fields: { description: () => { throw new Error('boom'); } },
        postProcess: () => { throw new Error('bang'); },
      },
    };
    const r = extractPage(broken, input(listing));
    expect(r.listings[0]?.title).toBe('CLASSIC TAX FREE CIGARETTES CHEAP CIGARETTES');
    expect(r.errors.map((e) => e.code)).toEqual(['hook_failed', 'hook_failed']);
    expect(r.errors.map((e) => e.message).join(' ')).toMatch(/boom.*bang/);
  });
});
