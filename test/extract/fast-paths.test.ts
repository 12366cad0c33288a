import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import { getText as domutilsGetText } from 'domutils';
import type { AnyNode, Element } from 'domhandler';
import { describe, expect, it } from 'vitest';
import { matchesRule } from '../../src/extract/adapter/detect.ts';
import { evalField, type FieldContext } from '../../src/extract/adapter/fields.ts';
import { resolveUrl } from '../../src/extract/adapter/transforms.ts';
import type { Adapter, FieldSpec, RecordSpec } from '../../src/extract/adapter/types.ts';
import { agoraAdapter } from '../../src/extract/adapters/agora.ts';
import { ADAPTERS } from '../../src/extract/adapters/index.ts';
import { selectorKeys } from '../../src/extract/html/page-index.ts';
import { existsIn, existsInPage, forEachElement, getText, PageMemo, selectIn } from '../../src/extract/html/select.ts';
import { collapseWhitespace, linesOf, normaliseLines, rawTextOf } from '../../src/extract/html/text.ts';

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

/** Edge strings, whitespace-heavy strings from a fixed seed, and the text of every element of the fixture pages. */
const edge = [
  '', ' ', '\n', '\r\n', '\r', 'a\rb', 'a\r\r\nb', ' a \n  b\t\n\n\n\nc ', '\u00a0a\u00a0\u00a0b\u200b', 'a \u200b', '\u3000 \u3000x \u3000',
  'x\u2028 y', '\u2028\n\u2029', '\n\n a \n\n\n\n', '\ufeffa\ufeff', 'a\f\vb', ' \r\n \r\n\r\n x',
];
// Whitespace-heavy strings from a fixed seed: every mix of the characters normaliseLines treats specially.
const alphabet = [' ', '\t', '\n', '\r', '\f', '\v', '\u00a0', '\u200b', '\u200c', '\u0085', '\u180e', '\u1680', '\u2000', '\u200a', '\u2028', '\u202f', '\u3000', '\ufeff', '\u0000', 'a', 'b'];
let seed = 7;
const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const generated = Array.from({ length: 3000 }, () => Array.from({ length: Math.floor(random() * 24) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(''));
const texts = [...edge, ...generated, ...docs.flatMap((d) => elements(d).map((e) => rawTextOf(e)))];

describe('normaliseLines in one pass', () => {
  const reference = (t: string) =>
    t
      .split(/\r?\n/)
      .map((l) => l.replace(/[ \t\f\v\u00a0\u200b]+/g, ' ').trim())
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim();
  it('equals the split/replace/trim chain (fixture texts, edge and generated strings, every code unit)', () => {
    for (const t of texts) expect(normaliseLines(t), JSON.stringify(t)).toBe(reference(t));
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const t of [ch, `a${ch}b`, ` ${ch} `, `a ${ch}`, `${ch}\n\n\nx${ch}${ch}y`]) expect(normaliseLines(t) === reference(t), JSON.stringify(t)).toBe(true);
    }
  });
});

describe('collapseWhitespace in one pass', () => {
  const reference = (t: string) => t.replace(/[\s\u00a0\u200b]+/g, ' ').trim();
  it('equals the replace/trim chain (fixture texts, edge and generated strings, every code unit)', () => {
    for (const t of texts) expect(collapseWhitespace(t), JSON.stringify(t)).toBe(reference(t));
    for (let c = 0; c < 0x10000; c++) {
      const ch = String.fromCharCode(c);
      for (const t of [ch, `a${ch}b`, ` ${ch} `, `a ${ch}`, `${ch}a${ch}${ch}b${ch}`, `a${ch} b`]) expect(collapseWhitespace(t) === reference(t), JSON.stringify(t)).toBe(true);
    }
  });
});

describe('lines read once', () => {
  it('normaliseLines is idempotent (on every element text of the fixture pages, edge and generated strings)', () => {
    for (const t of texts) {
      const once = normaliseLines(t);
      expect(normaliseLines(once), JSON.stringify(t)).toBe(once);
    }
  });

  const ctx: FieldContext = {
    get $(): never {
      throw new Error('not used');
    },
    url: new URL('http://agorahooawayyfoe.onion/p/x'),
    capturedAt: new Date('2014-04-06T12:00:00Z'),
    pageType: 'listing',
    fieldHooks: agoraAdapter.hooks!.fields!,
    transforms: {},
    errors: [],
    warnings: [],
  };
  const orUndefined = (s: string) => (s === '' ? undefined : s);

  it("a `from: 'lines'` field and Agora's description give the twice-normalised text on every element of the fixture pages", () => {
    const description: FieldSpec = { hook: 'description', transform: 'lines' };
    const hook = agoraAdapter.hooks!.fields!.description!;
    for (const d of docs) {
      for (const e of elements(d)) {
        expect(evalField({ from: 'lines' }, e, ctx, 'f')).toBe(orUndefined(normaliseLines(linesOf(e))));
        expect(evalField({ from: 'lines', all: true }, e, ctx, 'f')).toEqual(linesOf(e) === '' ? undefined : [normaliseLines(linesOf(e))]);
        const raw = hook(e, ctx);
        // What the hook returned before (normalised, null when empty), normalised again by the field's transform.
        const before = typeof raw === 'string' ? orUndefined(normaliseLines(normaliseLines(raw))) : undefined;
        expect(evalField(description, e, ctx, 'f')).toBe(before);
      }
    }
    expect(ctx.errors).toEqual([]);
  });
});

describe('page-type rules with a bare #id', () => {
  it('match where css-select finds the id, on every fixture page for every id of any of them', () => {
    const ids = new Set(['single-product', 'product-index', 'nope', 'Single-product']);
    for (const d of docs) for (const e of elements(d)) if (e.attribs.id) ids.add(e.attribs.id);
    const url = new URL('http://agorahooawayyfoe.onion/p/x');
    for (const d of docs) {
      for (const id of ids) {
        if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) continue;
        const selector = `#${id}`;
        expect(matchesRule({ type: 'listing', selector }, d, url, () => ''), selector).toBe(existsIn(d, selector));
        expect(matchesRule({ type: 'listing', notSelector: selector }, d, url, () => ''), selector).toBe(!existsIn(d, selector));
      }
    }
  });
});

/** Every selector an adapter holds: page-type rules, record scopes, field alternatives, list fields. */
function adapterSelectors(a: Adapter): string[] {
  const out = new Set<string>();
  const add = (f: FieldSpec | FieldSpec[] | undefined) => {
    for (const alt of f === undefined ? [] : Array.isArray(f) ? f : [f]) if (alt.selector) out.add(alt.selector);
  };
  for (const r of a.pageTypes) for (const s of [r.selector, r.notSelector]) if (s) out.add(s);
  for (const spec of Object.values(a.pages)) {
    if (!spec) continue;
    for (const rs of [spec.listings, spec.vendors, spec.feedback] as (RecordSpec<string> | undefined)[]) {
      if (!rs) continue;
      if (rs.scope) out.add(rs.scope);
      for (const f of Object.values(rs.fields) as (FieldSpec | FieldSpec[])[]) add(f);
    }
    add(spec.breadcrumbs);
    add(spec.pagination);
    add(spec.nextPage);
  }
  return [...out];
}

/** The same elements in the same order, by identity (a deep `toEqual` of DOM nodes is slow). */
const same = (a: readonly Element[], b: readonly Element[]) => a.length === b.length && a.every((x, i) => x === b[i]);

describe('the page index', () => {
  const extras = [
    'div', 'A', 'td.column-name', 'a#x.y', '.a.b', 'img, a', '.vendorbio-description, .vendorbio-stats-online, h1', 'a[href*=","], td',
    'td:not(.column-name) > a', 'div > .gen-user-link', 'i.fa-user + strong', 'tr:has(td)', '[href]', '*', ':not(a)', 'a:not(.x).y',
    'a.gen-user-link[href*="/vendor/"] ~ .gen-user-ratings', '#middlestuff i.fa-user', 'body *', 'a.x\\:y', 'div.product-page-price',
  ];
  const selectors = [...new Set([...ADAPTERS.flatMap(adapterSelectors), ...extras])];
  it('keys only the plain forms', () => {
    expect(selectorKeys('tr.products-list-item:has(a.gen-user-link[href*="/vendor/"])')).toEqual([{ kind: 'class', name: 'products-list-item' }]);
    expect(selectorKeys('td:not(.column-name)')).toEqual([{ kind: 'tag', name: 'td' }]);
    expect(selectorKeys('a[rel="next"], a:contains("Next"), a:contains("»")')).toEqual([{ kind: 'tag', name: 'a' }]);
    expect(selectorKeys('#top-navigation .topnav-element A')).toEqual([{ kind: 'tag', name: 'a' }]);
    expect(selectorKeys('x#i.c')).toEqual([{ kind: 'id', name: 'i' }]);
    expect(selectorKeys('a[x="(]"]')).toEqual([{ kind: 'tag', name: 'a' }]);
    for (const s of ['[href]', '*', ':not(a)', 'a, [x]', 'a.x\\:y', 'a|b', 'a.é', 'td >', 'a[x="(]"']) expect(selectorKeys(s), s).toBeNull();
  });
  // Below every element: the selectors the index answers (the others take the general walk), Agora's and the extras.
  const keyed = [...new Set([...adapterSelectors(agoraAdapter), ...extras])].filter((s) => selectorKeys(s) !== null);
  it('selects what css-select selects, below the root and below every element, on every fixture page', { timeout: 180_000 }, () => {
    for (const d of docs) {
      const all = elements(d);
      const memo = new PageMemo(d);
      const matches = new Map<string, Set<Element>>();
      for (const s of selectors) {
        const found = selectIn(d, s);
        expect(same(memo.select(d, s), found), s).toBe(true);
        expect(existsInPage(d, s), s).toBe(existsIn(d, s));
        matches.set(s, new Set(found));
      }
      // Every element selected once from the root (by its tag), so the index knows each as a scope.
      for (const name of new Set(all.map((e) => e.name))) memo.select(d, name);
      for (const e of all) {
        if (!e.children.some((c) => c.type === 'tag')) continue;
        const below = elements(e).slice(1);
        for (const s of keyed) {
          // css-select below an element: the page's matches among its descendants (checked directly on record scopes).
          const want = below.filter((x) => matches.get(s)!.has(x));
          expect(same(memo.select(e, s), want), s).toBe(true);
        }
      }
      for (const a of ADAPTERS) {
        for (const spec of Object.values(a.pages)) {
          for (const rs of [spec?.listings, spec?.vendors, spec?.feedback] as (RecordSpec<string> | undefined)[]) {
            if (!rs?.scope) continue;
            for (const e of selectIn(d, rs.scope)) for (const s of selectors) expect(same(memo.select(e, s), selectIn(e, s)), s).toBe(true);
          }
        }
      }
    }
  });
});
