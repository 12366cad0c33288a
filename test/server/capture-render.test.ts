import { describe, expect, it } from 'vitest';
import { safeRendering, sanitizeCapture } from '../../src/server/captures/sanitize.ts';

/** The text a reader sees in rendered HTML: tags dropped, entities decoded. */
const visible = (html: string) => html.replace(/<[^>]*>/g, '').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"');

describe('evidence rendering is faithful to the bytes', () => {
  it('keeps the text of links, with their target as inert text', () => {
    const html = sanitizeCapture('<div class="vendor">Sold by <a href="/u/blue">Blue-Express365</a> Lv.7 · <a>Profile</a> · <a href="javascript:alert(1)">PGP</a></div>');
    expect(visible(html)).toContain('Sold by Blue-Express365 [→ /u/blue] Lv.7 · Profile · PGP [→ javascript:alert(1)]');
    expect(html).not.toMatch(/href=|<a [^>]/);
  });

  it('keeps the visible text of every element: controls, titles, noscript, frames, svg, custom elements', () => {
    const page = `<html><head><title>Shop of X</title><style>.a{}</style><script>var secret = 1</script></head><body>
      <h1>Vendor</h1><button>Buy now</button><select><option>5g</option><option>10g</option></select>
      <textarea>free text</textarea><noscript>enable JS</noscript><iframe>frame fallback</iframe>
      <svg><text>svg label</text></svg><x-price>€ 120</x-price><font>old font</font>
      <img src="x.png" alt="product photo"><input type="text" value="qty 3"><input type="hidden" value="csrf-abc">
      <template><p>never shown</p></template><table><tr><td>cell</td></tr></table></body></html>`;
    const r = safeRendering(Buffer.from(page), 'text/html; charset=utf-8');
    expect(r.mode).toBe('html');
    const text = visible(r.html);
    for (const t of ['[page title] Shop of X', 'Vendor', 'Buy now', '5g', '10g', 'free text', 'enable JS', 'frame fallback', 'svg label', '€ 120', 'old font', '[image: product photo]', '[text field: qty 3]', 'cell'])
      expect(text, t).toContain(t);
    for (const t of ['var secret', 'never shown', 'csrf-abc', '.a{}']) expect(text).not.toContain(t);
    expect(r.notes.join(' ')).toMatch(/not shown: 1 style, 1 script, 1 template/);
    for (const bad of ['<script', '<style', '<iframe', '<svg', '<img src="x', 'onerror', 'href']) expect(r.html).not.toContain(bad);
  });

  it('shows CSV as text: an <iframe> in a row hides nothing that follows', () => {
    const csv = 'vendor,price\nalpha,10\n"<iframe src=//evil.invalid>",20\nomega,30\n';
    const r = safeRendering(Buffer.from(csv), 'text/csv');
    expect(r.mode).toBe('text');
    expect(visible(r.html)).toBe(csv);
    expect(r.html).not.toContain('<iframe');
  });

  it('shows JSON as the text it is', () => {
    const json = '{"messages":[{"text":"<b>hi</b>","from":"dealer"}]}';
    const r = safeRendering(Buffer.from(json), 'application/json');
    expect(r.mode).toBe('text');
    expect(visible(r.html)).toBe(json);
  });

  it('shows a raster image as a data: image and other binary data as a note (the hex view has the bytes)', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const img = safeRendering(png, 'image/png');
    expect(img.html).toBe(`<img alt="captured image" src="data:image/png;base64,${png.toString('base64')}" />`);
    const svg = safeRendering(Buffer.from('<svg onload="alert(1)"><text>x</text></svg>'), 'image/svg+xml');
    expect(svg.mode).toBe('text');
    expect(svg.html).not.toContain('<svg');
    const bin = safeRendering(Buffer.from([0, 1, 2, 255]), 'application/octet-stream');
    expect(bin.mode).toBe('binary');
    expect(safeRendering(Buffer.from([0, 1, 2, 255]), null).mode).toBe('binary');
    expect(safeRendering(Buffer.from('plain words\n'), null).mode).toBe('text');
  });

  it('decodes the declared charset', () => {
    const r = safeRendering(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'text/plain; charset=iso-8859-1');
    expect(visible(r.html)).toBe('café');
  });
});
