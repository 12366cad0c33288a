import { isTag, type AnyNode, type Element } from 'domhandler';
import { lowerBound } from '../../domain/index.ts';

/**
 * What an element must carry to match a selector, read from the rightmost compound of each of its comma alternatives
 * (`tr.products-list-item:has(a)` → class `products-list-item`; `td:not(.x)` → tag `td`): css-select tests the tag
 * by name (lower-cased, as in HTML mode), `.c` as a whitespace-separated token of the `class` attribute and `#i` as
 * the `id` attribute, case-sensitively (no quirks mode). One key per alternative: the id, else the first class, else
 * the tag. `null` when an alternative has none or is not in the plain form read here (escapes, namespaces, `*`,
 * a compound starting with `[` or `:`): such selectors take the general walk.
 */
export type SelectorKey = { kind: 'tag' | 'class' | 'id'; name: string };

const keyCache = new Map<string, SelectorKey[] | null>();
const COMPOUND = /^([A-Za-z][A-Za-z0-9-]*)?((?:[.#][A-Za-z_-][A-Za-z0-9_-]*)*)(?=$|[[:])/;

/** The top-level parts of a selector: its comma alternatives, or null on an escape or unbalanced brackets. */
function alternatives(selector: string): string[] | null {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i]!;
    if (c === '\\') return null;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return null;
  }
  if (depth !== 0 || quote !== '') return null;
  out.push(selector.slice(start));
  return out;
}

function keyOfAlternative(alternative: string): SelectorKey | null {
  const s = alternative.trim();
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && (c === '>' || c === '+' || c === '~' || c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f')) start = i + 1;
    else if (/\s/.test(c)) return null; // whitespace CSS does not read as a combinator: not the plain form
  }
  const m = COMPOUND.exec(s.slice(start));
  if (!m) return null;
  const parts = m[2]!.match(/[.#][^.#]+/g) ?? [];
  const id = parts.find((p) => p[0] === '#');
  if (id) return { kind: 'id', name: id.slice(1) };
  const cls = parts.find((p) => p[0] === '.');
  if (cls) return { kind: 'class', name: cls.slice(1) };
  return m[1] ? { kind: 'tag', name: m[1].toLowerCase() } : null;
}

/** The keys of a selector (one per distinct alternative key), or null when it must take the general walk. */
export function selectorKeys(selector: string): SelectorKey[] | null {
  let keys = keyCache.get(selector);
  if (keys === undefined) {
    keys = null;
    const alts = alternatives(selector);
    if (alts) {
      const found: SelectorKey[] = [];
      for (const alt of alts) {
        const k = keyOfAlternative(alt);
        if (!k) {
          found.length = 0;
          break;
        }
        if (!found.some((f) => f.kind === k.kind && f.name === k.name)) found.push(k);
      }
      if (found.length > 0) keys = found;
    }
    if (keyCache.size > 2000) keyCache.clear();
    keyCache.set(selector, keys);
  }
  return keys;
}

/**
 * The elements below a page's root in document order, with the extent of each one's subtree, walked once; and, built
 * on first use, the positions of the elements that may carry a key (a bucket per key). A selection below the root or
 * below an element the index has returned from the root then tests only the bucket's elements inside that subtree,
 * with the selector's own compiled test: what css-select's walk of every element returns, as no other element can
 * pass. Valid while the DOM is not modified (extraction never modifies it).
 */
export class PageIndex {
  /** The elements below the root in document order (the order of css-select's walk and of `forEachElement`). */
  readonly elements: Element[] = [];
  /** `ends[i]`: the position of the last element in the subtree of `elements[i]` (i itself when it has none). */
  private readonly ends: number[] = [];
  /** The `class` and `id` attributes of each element, read once (a bucket or the markup signals then scan these, not
   * the attributes: objects of as many shapes as attribute orders, so each read of them is a megamorphic lookup). */
  readonly classes: (string | undefined)[] = [];
  readonly ids: (string | undefined)[] = [];
  private readonly buckets = new Map<string, number[]>();
  /** Positions of elements returned by a selection from the root: the record scopes later selected below. */
  private readonly positions = new Map<AnyNode, number>();

  constructor(readonly root: AnyNode) {
    const children = (root as { children?: AnyNode[] }).children;
    if (!children || children.length === 0) return;
    // Iterative (deep hostile DOMs do not overflow the stack): one level per array being visited, with the position
    // of the element owning it (-1 for the root and for non-element parents such as CDATA).
    const arrays: AnyNode[][] = [children];
    const indices: number[] = [0];
    const owners: number[] = [-1];
    let top = 0;
    while (top >= 0) {
      const arr = arrays[top]!;
      const i = indices[top]!;
      if (i >= arr.length) {
        const owner = owners[top]!;
        if (owner >= 0) this.ends[owner] = this.elements.length - 1;
        top--;
        continue;
      }
      indices[top] = i + 1;
      const node = arr[i]!;
      let owner = -1;
      if (isTag(node)) {
        owner = this.elements.length;
        this.elements.push(node);
        this.ends.push(owner);
        const a = node.attribs;
        this.classes.push(a?.class ?? undefined);
        this.ids.push(a?.id ?? undefined);
      }
      const sub = (node as { children?: AnyNode[] }).children;
      if (sub !== undefined && sub.length > 0) {
        top++;
        arrays[top] = sub;
        indices[top] = 0;
        owners[top] = owner;
      }
    }
  }

  /** Positions of the elements that may match `key`: a superset of those css-select matches (then tested exactly). */
  private bucket(key: SelectorKey): number[] {
    const id = `${key.kind}:${key.name}`;
    let b = this.buckets.get(id);
    if (!b) {
      b = [];
      const { elements } = this;
      const name = key.name;
      if (key.kind === 'tag') {
        for (let i = 0; i < elements.length; i++) if (elements[i]!.name === name) b.push(i);
      } else {
        const values = key.kind === 'class' ? this.classes : this.ids;
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v !== undefined && v.includes(name)) b.push(i);
        }
      }
      this.buckets.set(id, b);
    }
    return b;
  }

  /** Whether selections below `scope` can be answered here (the root, or an element a root selection returned). */
  covers(scope: AnyNode): boolean {
    return scope === this.root || this.positions.has(scope);
  }

  /**
   * Elements below `scope` passing `test` among the buckets of `keys`, in document order (at most one with `first`);
   * undefined when the index cannot tell (the scope is neither the root nor an element a root selection returned).
   */
  select(scope: AnyNode, keys: readonly SelectorKey[], test: (e: Element) => boolean, first = false): Element[] | undefined {
    let from: number;
    let to: number;
    const fromRoot = scope === this.root;
    if (fromRoot) {
      from = 0;
      to = this.elements.length - 1;
    } else {
      const p = this.positions.get(scope);
      if (p === undefined) return undefined;
      from = p + 1;
      to = this.ends[p]!;
    }
    const out: Element[] = [];
    if (from > to) return out;
    let candidates: number[];
    if (keys.length === 1) candidates = this.bucket(keys[0]!);
    else {
      const merged = new Set<number>();
      for (const k of keys) for (const i of this.bucket(k)) merged.add(i);
      candidates = [...merged].sort((a, b) => a - b);
    }
    for (let c = lowerBound(candidates, from); c < candidates.length; c++) {
      const i = candidates[c]!;
      if (i > to) break;
      const e = this.elements[i]!;
      if (!test(e)) continue;
      out.push(e);
      if (fromRoot) this.positions.set(e, i);
      if (first) break;
    }
    return out;
  }
}

/**
 * Where a page's index is kept: on its root node, under a symbol, so it lives and dies with the DOM. Not in a WeakMap
 * keyed by the root: V8's young-generation collections treat a WeakMap's values as strong, and the index holds the
 * root, so every page's DOM survived them and was promoted (docs/benchmarks.md, "Extraction, eleventh pass").
 */
const INDEX = Symbol('pageIndex');

/** The index of a page's root, built on first use and kept while the root lives. */
export function pageIndex(root: AnyNode): PageIndex {
  const holder = root as AnyNode & { [INDEX]?: PageIndex };
  return (holder[INDEX] ??= new PageIndex(root));
}
