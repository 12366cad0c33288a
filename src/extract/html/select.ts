import { compile, selectAll, selectOne } from 'css-select';
import type { Options } from 'css-select';
import * as DomUtils from 'domutils';
import type { AnyNode, Element } from 'domhandler';
import { pageIndex, selectorKeys, type PageIndex } from './page-index.ts';

type Compiled = ReturnType<typeof compile<AnyNode, Element>>;
type Adapter = NonNullable<Options<AnyNode, Element>['adapter']>;

function isTag(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

function childrenOf(node: AnyNode): AnyNode[] | undefined {
  return (node as { children?: AnyNode[] }).children;
}

/**
 * The first element among `nodes` and their descendants passing `test`, in document order (domutils' findOne, and
 * css-select's walk: children of any node that has them). Iterative: deep hostile DOMs do not overflow the stack. It
 * is the walk of every `:has()` test, so it allocates no result array or closure per call.
 */
function findOne(test: (e: Element) => boolean | void, nodes: AnyNode[]): Element | null {
  const arrays: AnyNode[][] = [nodes];
  const indices: number[] = [0];
  let top = 0;
  while (top >= 0) {
    const arr = arrays[top]!;
    const i = indices[top]!;
    if (i >= arr.length) {
      top--;
      continue;
    }
    indices[top] = i + 1;
    const node = arr[i]!;
    if (isTag(node) && test(node) === true) return node;
    const children = childrenOf(node);
    if (children !== undefined && children.length > 0) {
      top++;
      arrays[top] = children;
      indices[top] = 0;
    }
  }
  return null;
}

/** Visits the elements among `nodes` and their descendants in document order, stopping when `visit` returns true. */
export function forEachElement(nodes: AnyNode[], visit: (e: Element) => boolean | void): void {
  findOne(visit, nodes);
}

/** Elements of `nodes` and their descendants passing `test`, in document order, stopping after `limit` (as domutils' findAll). */
function findAll(test: (e: Element) => boolean, nodes: AnyNode[], limit = Infinity): Element[] {
  const result: Element[] = [];
  forEachElement(nodes, (node) => test(node) && result.push(node) >= limit);
  return result;
}

const EMPTY: AnyNode[] = [];

/**
 * domutils' getText (what `:contains` and `:empty` read): a tag's children's texts joined (`<br>` is a newline),
 * CDATA's children, a text node's data, nothing for anything else. Without its array per element: an element with
 * one text child returns that text, the nextPage selector's `a:contains(…)` reads every link of a page three times.
 */
export function getText(node: AnyNode | AnyNode[]): string {
  if (Array.isArray(node)) {
    let s = '';
    for (const c of node) s += getText(c);
    return s;
  }
  if (isTag(node)) {
    if (node.name === 'br') return '\n';
  } else if (node.type !== 'cdata') {
    return node.type === 'text' ? node.data : '';
  }
  const children = node.children;
  if (children.length === 1 && children[0]!.type === 'text') return children[0]!.data;
  return getText(children);
}

/**
 * domutils as a plain object of functions. css-select's default adapter is the domutils module namespace, whose
 * CommonJS re-exports are getters: every isTag/getParent/getAttributeValue call of every match went through one
 * (8 % of extraction time). The hot ones are written out here with domutils' semantics.
 */
const ADAPTER: Adapter = {
  ...(DomUtils as unknown as Adapter),
  isTag,
  existsOne: (test, elems) => findOne(test, elems) !== null,
  getAttributeValue: (elem, name) => elem.attribs?.[name],
  getChildren: (node) => childrenOf(node) ?? EMPTY,
  getName: (elem) => elem.name,
  getText,
  getParent: (node) => node.parent ?? null,
  getSiblings: (node) => (node.parent ? node.parent.children : DomUtils.getSiblings(node)),
  prevElementSibling: (node) => {
    let prev = node.prev;
    while (prev !== null && !isTag(prev)) prev = prev.prev;
    return prev;
  },
  hasAttrib: (elem, name) => elem.attribs != null && Object.prototype.hasOwnProperty.call(elem.attribs, name) && elem.attribs[name] != null,
  findAll: (test, nodes) => findAll(test, nodes),
  findOne,
};
/**
 * `cacheResults: false`: css-select's descendant combinator otherwise keeps, per compiled selector, a WeakSet of the
 * ancestors that failed it. Compiled selectors live for the process, so that set takes an entry for most elements of
 * every page a selector ever ran on (a hash per ancestor test, and weak entries for the GC to clear); the plain
 * ancestor walk is the same test. (`:has` and `:not` subselects already ran without it: css-select copies the
 * option as a boolean.)
 */
const OPTIONS: Options<AnyNode, Element> = { xmlMode: false, adapter: ADAPTER, cacheResults: false };

const cache = new Map<string, Compiled>();

/** Compiles a CSS selector once (css-select; throws on a bad selector). Adapters reuse a few dozen selectors. */
export function compileSelector(selector: string): Compiled {
  let q = cache.get(selector);
  if (!q) {
    q = compile<AnyNode, Element>(selector, OPTIONS);
    if (cache.size > 2000) cache.clear();
    cache.set(selector, q);
  }
  return q;
}

/** Elements below `root` (descendants, not root itself) matching `selector`, in document order. */
export function selectIn(root: AnyNode, selector: string): Element[] {
  return selectAll<AnyNode, Element>(compileSelector(selector), root, OPTIONS);
}

/** Whether any element below `root` matches `selector` (the walk stops at the first match). */
export function existsIn(root: AnyNode, selector: string): boolean {
  return selectOne<AnyNode, Element>(compileSelector(selector), root, OPTIONS) !== null;
}

/** `selectIn(scope, selector)` answered by a page's index, or undefined when the index cannot (see PageIndex). */
function selectIndexed(index: PageIndex, scope: AnyNode, selector: string, first: boolean): Element[] | undefined {
  const q = compileSelector(selector);
  const keys = selectorKeys(selector);
  if (!keys || (q as { shouldTestNextSiblings?: boolean }).shouldTestNextSiblings) return undefined;
  return index.select(scope, keys, q, first);
}

/** `existsIn(root, selector)` for a page's root, through its index (built on first use) when the selector has keys. */
export function existsInPage(root: AnyNode, selector: string): boolean {
  const found = selectIndexed(pageIndex(root), root, selector, true);
  return found ? found.length > 0 : existsIn(root, selector);
}

/**
 * Selections and texts of one parsed page, computed once: the fields of a record ask for the same selector in the
 * same scope (`td:not(.column-name)` for price, currency, ships-from and ships-to) and for the text of the same
 * cells. Valid while the DOM is not modified (extraction never modifies it). The returned arrays are shared: do not
 * mutate them.
 */
export class PageMemo {
  private readonly selections = new Map<AnyNode, Map<string, Element[]>>();
  private readonly texts = new Map<AnyNode, string>();
  private readonly urls = new Map<string, string | null>();
  /** The page's index: selections below its root, or below a record scope selected from it, test only candidates. */
  private readonly index: PageIndex | undefined;

  constructor(pageRoot?: AnyNode) {
    this.index = pageRoot ? pageIndex(pageRoot) : undefined;
  }

  select(root: AnyNode, selector: string): Element[] {
    let bySelector = this.selections.get(root);
    if (!bySelector) {
      bySelector = new Map();
      this.selections.set(root, bySelector);
    }
    let found = bySelector.get(selector);
    if (!found) {
      found = (this.index && selectIndexed(this.index, root, selector, false)) ?? selectIn(root, selector);
      bySelector.set(selector, found);
    }
    return found;
  }

  /**
   * Fills the memo for several selectors under `root` in one walk of it instead of one walk each: every element is
   * tested against each compiled selector, in document order, which is what `selectIn` returns for each. Selectors
   * already memoised, that do not compile (left for `select` to report), that look at the root's next siblings
   * (css-select adds those to the walk) or that the page's index answers below this root are skipped.
   */
  prefetch(root: AnyNode, selectors: readonly string[]): void {
    let bySelector = this.selections.get(root);
    if (!bySelector) {
      bySelector = new Map();
      this.selections.set(root, bySelector);
    }
    const names: string[] = [];
    const tests: Compiled[] = [];
    for (const selector of selectors) {
      if (bySelector.has(selector) || names.includes(selector)) continue;
      let q: Compiled;
      try {
        q = compileSelector(selector);
      } catch {
        continue;
      }
      if ((q as { shouldTestNextSiblings?: boolean }).shouldTestNextSiblings) continue;
      if (this.index?.covers(root) && selectorKeys(selector)) continue; // `select` answers it from the index
      names.push(selector);
      tests.push(q);
    }
    if (tests.length === 0) return;
    const outs: Element[][] = tests.map(() => []);
    const n = tests.length;
    forEachElement(childrenOf(root) ?? EMPTY, (node) => {
      for (let k = 0; k < n; k++) if (tests[k]!(node)) outs[k]!.push(node);
    });
    for (let k = 0; k < n; k++) bySelector.set(names[k]!, outs[k]!);
  }

  /** `resolve(href)` once per distinct href of the page (the same vendor link on every row; the base is the page's). */
  url(href: string, resolve: (href: string) => string | null): string | null {
    let u = this.urls.get(href);
    if (u === undefined) {
      u = resolve(href);
      this.urls.set(href, u);
    }
    return u;
  }

  /** `read(node)` once per node (a text function of the node, e.g. rawTextOf). */
  text(node: AnyNode, read: (node: AnyNode) => string): string {
    let t = this.texts.get(node);
    if (t === undefined) {
      t = read(node);
      this.texts.set(node, t);
    }
    return t;
  }
}
