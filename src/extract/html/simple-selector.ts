import { parse, type Selector } from 'css-what';
import type { AnyNode, Element } from 'domhandler';

/**
 * The selector shapes adapters use (tag, `.class`, `#id`, `[attr]`, `[attr="v"]`, `[attr*="v"]`, `[attr^="v"]`,
 * `[attr$="v"]`, descendant and child combinators, `:not(…)` of those, `:has(…)` of compounds) tested directly on
 * the DOM nodes, with css-select's results (same tokens from css-what, same HTML-mode rules). css-select builds a
 * chain of closures per selector, each calling the next through one shared call site, and caches failed ancestors
 * in a WeakSet per descendant combinator; here one loop reads the node's name and attributes. Anything else
 * (siblings, other pseudo-classes, case-insensitive attributes, namespaces) returns null: css-select compiles it.
 */
export type ElementTest = ((node: AnyNode) => boolean) & {
  /** The tag names an element must have to match (every selector of the list names its element's tag), else undefined. */
  subjectTags?: readonly string[];
};

type AttributeAction = 'exists' | 'equals' | 'any' | 'start' | 'end' | 'element';

interface AttributeTest {
  name: string;
  action: AttributeAction;
  value: string;
}

interface Compound {
  /** Lower-case tag name, or undefined for any element. */
  tag: string | undefined;
  attributes: AttributeTest[];
  /** Each `:not(list)`: no selector of the list matches the element. */
  not: Complex[][];
  /** Each `:has(list)`: some descendant element matches one compound of the list. */
  has: Compound[][];
}

interface Complex {
  /** Right to left: compounds[0] is the element tested, compounds[i + 1] an ancestor of compounds[i]'s. */
  compounds: Compound[];
  /** childOf[i]: compounds[i + 1] must be the parent (`>`), else any ancestor (descendant combinator). */
  childOf: boolean[];
}

/** Attributes HTML compares without case: css-select ignores case for them, so they are left to it. */
const CASE_INSENSITIVE_ATTRIBUTES = new Set([
  'accept', 'accept-charset', 'align', 'alink', 'axis', 'bgcolor', 'charset', 'checked', 'clear', 'codetype', 'color',
  'compact', 'declare', 'defer', 'dir', 'direction', 'disabled', 'enctype', 'face', 'frame', 'hreflang', 'http-equiv',
  'lang', 'language', 'link', 'media', 'method', 'multiple', 'nohref', 'noresize', 'noshade', 'nowrap', 'readonly',
  'rel', 'rev', 'rules', 'scope', 'scrolling', 'selected', 'shape', 'target', 'text', 'type', 'valign', 'valuetype',
  'vlink',
]);

/** JavaScript's `\s` (the class css-select's `~=` regex splits on). */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `value` as one whitespace-separated word of `attr` (`[attr~="value"]`, `.value`). */
function hasWord(attr: string, value: string): boolean {
  const n = value.length;
  for (let i = attr.indexOf(value); i >= 0; i = attr.indexOf(value, i + 1)) {
    if ((i === 0 || isSpace(attr.charCodeAt(i - 1))) && (i + n === attr.length || isSpace(attr.charCodeAt(i + n)))) return true;
  }
  return false;
}

function attributeMatches(t: AttributeTest, e: Element): boolean {
  const attribs = e.attribs;
  if (t.action === 'exists') return attribs != null && Object.prototype.hasOwnProperty.call(attribs, t.name) && attribs[t.name] != null;
  const v = attribs?.[t.name];
  if (v == null) return false;
  switch (t.action) {
    case 'equals':
      return v === t.value;
    case 'any':
      return v.includes(t.value);
    case 'start':
      return v.startsWith(t.value);
    case 'end':
      return v.endsWith(t.value);
    case 'element':
      return v.length >= t.value.length && hasWord(v, t.value);
  }
}

function isTag(node: AnyNode): node is Element {
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

function elementParent(e: Element): Element | null {
  const p = e.parent;
  return p !== null && isTag(p) ? p : null;
}

function compoundMatches(c: Compound, e: Element): boolean {
  if (c.tag !== undefined && e.name !== c.tag) return false;
  for (const t of c.attributes) if (!attributeMatches(t, e)) return false;
  for (const list of c.not) if (listMatches(list, e)) return false;
  for (const list of c.has) if (!hasDescendant(list, e)) return false;
  return true;
}

function complexMatches(s: Complex, i: number, e: Element): boolean {
  if (!compoundMatches(s.compounds[i]!, e)) return false;
  if (i + 1 === s.compounds.length) return true;
  let p = elementParent(e);
  if (s.childOf[i]) return p !== null && complexMatches(s, i + 1, p);
  for (; p !== null; p = elementParent(p)) if (complexMatches(s, i + 1, p)) return true;
  return false;
}

function listMatches(list: Complex[], e: Element): boolean {
  for (const s of list) if (complexMatches(s, 0, e)) return true;
  return false;
}

/** Whether an element below `e` matches one of `list` (document order, iterative: any depth is safe). */
function hasDescendant(list: Compound[], e: Element): boolean {
  const arrays: AnyNode[][] = [e.children];
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
    if (isTag(node)) {
      for (const c of list) if (compoundMatches(c, node)) return true;
    }
    const children = (node as { children?: AnyNode[] }).children;
    if (children !== undefined && children.length > 0) {
      top++;
      arrays[top] = children;
      indices[top] = 0;
    }
  }
  return false;
}

/** One css-what compound and the combinator before it, or null when it is not one of the shapes above. */
function toCompound(tokens: Selector[]): Compound | null {
  const c: Compound = { tag: undefined, attributes: [], not: [], has: [] };
  for (const t of tokens) {
    switch (t.type) {
      case 'tag':
        if (t.namespace != null) return null;
        c.tag = t.name.toLowerCase();
        break;
      case 'universal':
        if (t.namespace != null) return null;
        break;
      case 'attribute': {
        const name = t.name.toLowerCase();
        if (t.namespace != null || t.ignoreCase === true || (t.ignoreCase === null && CASE_INSENSITIVE_ATTRIBUTES.has(name))) return null;
        if (t.action === 'exists') c.attributes.push({ name, action: 'exists', value: '' });
        else if (t.action === 'equals' || (t.value !== '' && (t.action === 'any' || t.action === 'start' || t.action === 'end'))) {
          c.attributes.push({ name, action: t.action, value: t.value });
        } else if (t.action === 'element' && t.value !== '' && !/\s/.test(t.value)) {
          c.attributes.push({ name, action: 'element', value: t.value });
        } else return null;
        break;
      }
      case 'pseudo': {
        if (!Array.isArray(t.data)) return null;
        if (t.name === 'not') {
          const list = toList(t.data);
          if (!list) return null;
          c.not.push(list);
        } else if (t.name === 'has') {
          const list = toList(t.data);
          if (!list || list.some((s) => s.compounds.length !== 1)) return null;
          c.has.push(list.map((s) => s.compounds[0]!));
        } else return null;
        break;
      }
      default:
        return null;
    }
  }
  return c;
}

function toComplex(tokens: Selector[]): Complex | null {
  const compounds: Compound[] = [];
  const childOf: boolean[] = [];
  let start = 0;
  for (let i = 0; i <= tokens.length; i++) {
    const t = tokens[i];
    if (t !== undefined && t.type !== 'descendant' && t.type !== 'child') continue;
    // A selector starting or ending with a combinator, or two in a row: left to css-select.
    if (i === start) return null;
    const c = toCompound(tokens.slice(start, i));
    if (!c) return null;
    compounds.unshift(c);
    if (t !== undefined) childOf.unshift(t.type === 'child');
    start = i + 1;
  }
  return { compounds, childOf };
}

function toList(selectors: Selector[][]): Complex[] | null {
  const list: Complex[] = [];
  for (const tokens of selectors) {
    const s = toComplex(tokens);
    if (!s) return null;
    list.push(s);
  }
  return list.length > 0 ? list : null;
}

/** A test of `selector` on one node (false for non-elements), or null when css-select must compile it. */
export function compileSimpleSelector(selector: string): ElementTest | null {
  let parsed: Selector[][];
  try {
    parsed = parse(selector);
  } catch {
    return null;
  }
  const list = toList(parsed);
  if (!list) return null;
  const test: ElementTest = (node) => isTag(node) && listMatches(list, node);
  const tags = list.map((s) => s.compounds[0]!.tag);
  if (tags.every((t) => t !== undefined)) test.subjectTags = [...new Set(tags as string[])];
  return test;
}
