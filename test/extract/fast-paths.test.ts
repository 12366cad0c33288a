import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import { getText as domutilsGetText } from 'domutils';
import type { AnyNode, Element } from 'domhandler';
import { describe, expect, it } from 'vitest';
import { resolveUrl } from '../../src/extract/adapter/transforms.ts';
import { forEachElement, getText } from '../../src/extract/html/select.ts';
import { rawTextOf } from '../../src/extract/html/text.ts';

/** The fast paths of extraction (issue 16) give what the general code gives. */
const FIXTURES = new URL('../../../shared/fixtures', import.meta.url).pathname;

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.(md|py)$/.test(n) ? [] : [p];
  });
}

const docs = [...files(`${FIXTURES}/agora-2014-04-06`), ...files(`${FIXTURES}/markets-2019`)].map((f) =>
  parseDocument(readFileSync(f, 'utf8'), { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true }),
);
const elements = (root: AnyNode): Element[] => {
  const out: Element[] = [];
  forEachElement([root], (e) => void out.push(e));
  return out;
};

/** What `new URL` gives (the fragment dropped: a `#` in an href only starts the fragment). */
const viaUrl = (href: string, base: URL): string | null => (URL.canParse(href.trim(), base) ? new URL(href.trim(), base).href.split('#')[0]! : null);

describe('resolveUrl', () => {
  const bases = ['http://agorahooawayyfoe.onion/cat/abc?x=1#f', 'https://example.com:8443/a/b/', 'http://u:p@host.onion/x', 'ftp://host/x', 'http://EXAMPLE.com:80/'].map((b) => new URL(b));
  const edge = [
    '/', '/p/A1pRYEwh67', '/vendor/Some_One', '/liabilities/a.b.jpg', '/a/./b', '/a/../b', '/./a', '/../a', '/.', '/..', '/a/.', '/%2e%2e/x',
    '/a?x=1&y=2', '/a?', '/?q=./x', '//evil.onion/x', '/\\evil', '/a b', ' /a', '/a\t', '/a#h', '/a?b#c', '/a~b-c_d', '/A?B=C=D',
    "/a'b", '/a"b', '/a<b', '/é', '/a|b', '/a/b/', 'p/x', '', '?x', '#x', 'http://o.onion/x', '/a/b.', '/a.../b', '/.a',
  ];
  it('equals new URL on edge cases and on every link of the fixture pages', () => {
    const hrefs = new Set(edge);
    for (const d of docs) for (const e of elements(d)) for (const a of ['href', 'src', 'action']) if (e.attribs[a] !== undefined) hrefs.add(e.attribs[a]!);
    for (const base of bases) for (const h of hrefs) expect(resolveUrl(h, base), `${h} on ${base.href}`).toBe(viaUrl(h, base));
  });
});

describe('getText for :contains', () => {
  it("equals domutils' getText on every element of the fixture pages and on arrays", () => {
    const doc = parseDocument('<p>a<br>b<![CDATA[c]]><script>d</script><!-- e --><b>f<i>g</i></b></p>', { xmlMode: false, recognizeCDATA: true });
    for (const d of [doc, ...docs]) {
      for (const e of elements(d)) expect(getText(e)).toBe(domutilsGetText(e));
      expect(getText(d.children)).toBe(domutilsGetText(d.children));
      expect(getText(d)).toBe(domutilsGetText(d));
    }
  });
});

describe('rawTextOf of an element with one text child', () => {
  const el = (html: string) => parseDocument(html).children[0]!;
  it('keeps the block newline and the cell space, and cuts at maxChars', () => {
    expect(rawTextOf(el('<td>0.5 BTC</td>'))).toBe('0.5 BTC ');
    expect(rawTextOf(el('<div>x</div>'))).toBe('\nx\n');
    expect(rawTextOf(el('<span>x</span>'))).toBe('x');
    expect(rawTextOf(el('<script>x</script>'))).toBe('');
    expect(rawTextOf(el('<td>abc</td>'), 3)).toBe('abc');
    expect(rawTextOf(el('<td>abc</td>'), 4)).toBe('abc ');
    expect(rawTextOf(el('<div>abc</div>'), 2)).toBe('\na');
    expect(rawTextOf(el('<div>abc</div>'), 0)).toBe('');
  });
});
