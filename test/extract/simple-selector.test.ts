// The direct node tests of simple selectors (src/extract/html/simple-selector.ts) against css-select, which they
// replace for the shapes adapters use: every selector of every built-in adapter, and edge cases, on every element of
// the real fixture pages and of a page written to hit the corners (case, whitespace in classes, empty values).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from 'css-select';
import type { AnyNode, Element } from 'domhandler';
import { describe, expect, it } from 'vitest';
import { ADAPTERS } from '../../src/extract/index.ts';
import { parseBoundedDom } from '../../src/extract/html/dom.ts';
import { forEachElement } from '../../src/extract/html/select.ts';
import { compileSimpleSelector } from '../../src/extract/html/simple-selector.ts';
import { fixtureDir } from '../helpers/fixtures.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : name === 'README.md' ? [] : [full];
  });
}

/** Every `selector`, `scope` and `notSelector` string in an adapter. */
function selectorsIn(x: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(x)) for (const v of x) selectorsIn(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'selector' || k === 'scope' || k === 'notSelector') && typeof v === 'string') out.add(v);
      else selectorsIn(v, out);
    }
  }
  return out;
}

const CORNERS = `<!doctype html><html><head><title>t</title></head><body>
<div id="Main" class="a  b\u00a0c d\u2003e" data-x="" data-y="/p/1/buy">
  <p class="A">one <a href="/p/abc" class="gen-user-link">x</a></p>
  <p class="a-b">two <a href="/vendor/v" class="gen-user-link other">v</a> <span class="gen-user-ratings">r</span></p>
  <table class="products-list"><tr class="products-list-item"><td class="column-name"><a href="/p/x">t</a></td>
  <td>1 BTC<br>From: A<br>To: B</td><td><strong>5/5</strong></td></tr><tr><th>h</th></tr></table>
  <ul><li><a>no href</a></li><li><a href="">empty</a></li><li><img src="/liabilities/x.jpg" alt="i" class="flag-img"></li></ul>
  <script class="a">var x;</script><style class="a"></style>
</div><div id="main"><i class="fa-user"></i><strong>h</strong></div></body></html>`;

const EDGE = [
  'p', 'P', 'DIV.a', '.a', '.b', '.c', '.d', '.e', '.A', '#main', '#Main', '[data-x]', '[DATA-X]', '[data-x=""]',
  '[data-y^="/p"]', '[data-y$="buy"]', '[data-y*="/p/"]', 'div > p', 'div p a', 'body > div > p > a', 'div a.gen-user-link',
  'td:not(.column-name)', 'td:not(:has(strong, a, .gen-user-link))', 'tr:has(td)', 'tr:has(a.gen-user-link[href*="/p/"])',
  'a[href]', '*', 'div *', ':not(p)', 'p:not(.A, .a-b)', 'script', 'style.a', 'img:not(.flag-img)', 'a[class~="other"]',
  '[class~="gen-user-link"]', 'ul li a[href]', 'html body div#Main', 'td.column-name > a[href*="/p/"]',
];

describe('simple selectors tested on the nodes', () => {
  const selectors = [...new Set([...ADAPTERS.flatMap((a) => [...selectorsIn(a, new Set())]), ...EDGE])];
  const pages = [...files(fixtureDir('agora-2014-04-06')), ...files(fixtureDir('markets-2019'))].map((f) => readFileSync(f, 'utf8'));
  pages.push(CORNERS);

  it('select the same elements as css-select, on every element of the fixture pages and the corner cases', () => {
    expect(pages.length).toBeGreaterThan(80);
    const roots = pages.map((html) => parseBoundedDom(html).document);
    const elements: Element[] = [];
    for (const root of roots) forEachElement(root.children, (e) => void elements.push(e));
    const mismatches: string[] = [];
    let simple = 0;
    for (const selector of selectors) {
      const fast = compileSimpleSelector(selector);
      if (!fast) continue;
      simple++;
      const reference = compile<AnyNode, Element>(selector, { xmlMode: false });
      for (const e of elements) {
        if (fast(e) !== reference(e) && mismatches.length < 20) mismatches.push(`${selector} on <${e.name} ${JSON.stringify(e.attribs)}>`);
      }
      for (const root of roots) if (fast(root)) mismatches.push(`${selector} on the document node`);
    }
    expect(mismatches).toEqual([]);
    // Most adapter selectors take the direct path; the check above covered them on every element.
    expect(simple).toBeGreaterThan(selectors.length / 2);
    expect(elements.length).toBeGreaterThan(20_000);
  });

  it('leave every other shape to css-select', () => {
    for (const s of ['a:contains("Next")', 'i.fa-user + strong', 'a ~ .b', 'a[rel="next"]', '[type="password" i]', '[class~=""]',
      '[href*=""]', 'tr:has(td a)', '> a', 'p:first-child', 'a::before', 'svg|a', '[class~="a b"]', 'a[href|="x"]', 'a[href!="x"]', '', 'a[']) {
      expect(compileSimpleSelector(s), s).toBeNull();
    }
  });
});
