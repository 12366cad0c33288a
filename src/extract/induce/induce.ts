// Adapter induction: from a few labelled pages per page type, a declarative adapter in the same format as the
// shipped ones (selectors + patterns, no code hooks). For every labelled value it finds the elements that show it,
// proposes selectors that could reach them (ids and classes, parent/child context, a sibling label such as
// "Ships to", structural paths) and ways to read the value (whole text, own text, a pattern around a label, price
// and number transforms), runs every proposal on every training page of the type with the adapter runtime itself,
// keeps the proposals that are never wrong, and covers the training pages with the fewest, most general ones
// (later ones become alternatives). Page-type rules and record scopes are built from the chosen selectors and
// checked against the other labelled pages, so a category page or a buyer's profile does not become a listing or
// a vendor.
import type { AnyNode, Element } from 'domhandler';
import { evalField, asMoney, asNumber, asStringList, type FieldContext } from '../adapter/fields.ts';
import { isLoadedPage, loadPage, type LoadedPage } from '../adapter/run.ts';
import { collapseWhitespace, findPrices, parseNumber, parsePrice } from '../adapter/transforms.ts';
import { validateAdapter } from '../adapter/validate.ts';
import type { Adapter, FieldSpec, PageSpec, PageTypeRule, RecordSpec, TransformName } from '../adapter/types.ts';
import { selectIn } from '../html/select.ts';
import { linesOf, ownTextOf, rawTextOf } from '../html/text.ts';
import { parseDestinations } from '../shipping/destinations.ts';
import type { PageInput, PageType } from '../types.ts';
import { INDUCE_FIELDS, isCssLabel, type FieldKind, type InduceFieldKey, type LabelFile, type LabelValue, type Money, type PageLabel, type RecordKind } from './labels.ts';

export interface LabelledPage {
  label: PageLabel;
  input: PageInput;
}

export interface InducedField {
  pageType: PageType;
  field: InduceFieldKey;
  /** Training pages of the type with a labelled value, and how many the chosen specs read correctly. */
  labelled: number;
  correct: number;
  /** Candidate specs tried; the chosen alternatives (in order). */
  candidates: number;
  chosen: FieldSpec[];
  /** Why nothing was chosen, or where the labelled value could not be found. */
  problems: string[];
}

export interface InduceResult {
  adapter: Adapter;
  fields: InducedField[];
  pageTypeRules: { pageType: PageType; rule: PageTypeRule | null; problem?: string }[];
  warnings: string[];
  millis: number;
}

export interface InduceOptions {
  /** Adapter version (default 1.0.0). */
  version?: string;
}

// ---- values ----

const placeNorm = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
const textNorm = (s: string) => collapseWhitespace(s);

type Expected = { kind: FieldKind; value: string | number | string[] | Money };

function sameValue(kind: FieldKind, got: unknown, exp: Expected['value']): boolean {
  if (got === undefined || got === null) return false;
  switch (kind) {
    case 'text':
      return typeof got === 'string' && textNorm(got) === textNorm(String(exp));
    case 'place':
      return typeof got === 'string' && placeNorm(got) === placeNorm(String(exp)) && placeNorm(got) !== '';
    case 'places': {
      const g = [...new Set(parseDestinations(asStringList(got)).to.map(placeNorm))].sort();
      const e = [...new Set((exp as string[]).map(placeNorm))].sort();
      return g.length > 0 && JSON.stringify(g) === JSON.stringify(e);
    }
    case 'path': {
      const g = asStringList(got).map((s) => textNorm(s).toLowerCase());
      const e = (exp as string[]).map((s) => textNorm(s).toLowerCase());
      return g.length > 0 && JSON.stringify(g) === JSON.stringify(e);
    }
    case 'price': {
      const m = asMoney(got);
      const e = exp as Money;
      return !!m && m.currency === e.currency && Math.abs(m.amount - e.amount) <= 1e-9 * Math.max(1, Math.abs(e.amount));
    }
    case 'number': {
      const n = asNumber(got);
      return n !== null && Math.abs(n - Number(exp)) < 1e-6 * Math.max(1, Math.abs(Number(exp)));
    }
  }
}

// ---- DOM helpers ----

const SKIP = new Set(['script', 'style', 'noscript', 'head', 'meta', 'link']);

function isEl(n: AnyNode | null | undefined): n is Element {
  return !!n && (n.type === 'tag' || n.type === 'script' || n.type === 'style');
}

function elementsOf(root: AnyNode): Element[] {
  const out: Element[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (isEl(n)) {
      if (SKIP.has(n.name) && n.name !== 'head') continue;
      out.push(n);
    }
    const kids = (n as { children?: AnyNode[] }).children;
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
  return out;
}

function parentEl(e: Element): Element | null {
  const p = e.parent;
  return isEl(p as AnyNode) ? (p as Element) : null;
}

function childEls(e: Element): Element[] {
  return (e.children as AnyNode[]).filter(isEl);
}

/** Classes that look stable (not generated ids or per-item counters). */
function stableClasses(e: Element): string[] {
  return (e.attribs.class ?? '')
    .split(/\s+/)
    .filter((c) => /^-?[A-Za-z_][\w-]{0,40}$/.test(c) && !/\d{3,}/.test(c))
    .slice(0, 4);
}

const cssIdent = (s: string) => s.replace(/([^\w-])/g, '\\$1');

function stableId(e: Element): string | null {
  const id = e.attribs.id;
  return id && /^[A-Za-z][\w-]{0,40}$/.test(id) && !/\d{3,}/.test(id) ? id : null;
}

/** Ways to name an element by itself: tag, tag.class, tag.c1.c2, #id. */
function descs(e: Element): string[] {
  const out = [e.name];
  const cls = stableClasses(e);
  for (const c of cls) out.push(`${e.name}.${cssIdent(c)}`);
  if (cls.length > 1) out.push(`${e.name}.${cls.map(cssIdent).join('.')}`);
  const id = stableId(e);
  if (id) out.push(`#${cssIdent(id)}`);
  return out;
}

/** The most specific single name: #id, else tag with all classes. */
function bestDesc(e: Element): string {
  const id = stableId(e);
  if (id) return `#${cssIdent(id)}`;
  const cls = stableClasses(e);
  return cls.length > 0 ? `${e.name}.${cls.map(cssIdent).join('.')}` : e.name;
}

function nthOfType(e: Element): number {
  const p = e.parent as { children?: AnyNode[] } | null;
  if (!p?.children) return 1;
  let i = 0;
  for (const c of p.children) {
    if (isEl(c) && c.name === e.name) i++;
    if (c === e) return i;
  }
  return 1;
}

/** Short label-like text: "Ships to", "Vendor:", "Origin Country :". */
function labelTextOf(e: Element): string | null {
  const t = collapseWhitespace(rawTextOf(e, 200));
  if (t.length < 2 || t.length > 40 || !/\p{L}/u.test(t) || /\d/.test(t) || /["\\]/.test(t)) return null;
  return t;
}

function contains(a: Element, b: Element): boolean {
  for (let x: Element | null = b; x; x = parentEl(x)) if (x === a) return true;
  return false;
}

/**
 * Candidate selectors that may reach `e` on pages built from the same template. Texts in `values` (the labelled
 * values of the training pages, place-normalised) are data, not labels: "Worldwide" beside "Ships to" on every
 * training page must not become `td:contains("Worldwide")`.
 */
function selectorCandidates(e: Element, values: ReadonlySet<string> = new Set()): string[] {
  const labelText = (x: Element) => {
    const t = labelTextOf(x);
    return t !== null && values.has(placeNorm(t)) ? null : t;
  };
  const out = new Set<string>();
  const own = descs(e);
  for (const d of own) out.add(d);
  const ancestors: Element[] = [];
  for (let a = parentEl(e); a && ancestors.length < 4; a = parentEl(a)) {
    if (a.name === 'body' || a.name === 'html') break;
    ancestors.push(a);
  }
  ancestors.forEach((a, k) => {
    const aDescs = descs(a).filter((d) => d !== a.name || k === 0);
    for (const ad of aDescs) {
      for (const d of own) {
        out.add(`${ad} ${d}`);
        if (k === 0) out.add(`${ad} > ${d}`);
      }
    }
  });
  // A label beside the value ("<label>Ships to</label><span>…</span>"), at the element or up to 3 levels above.
  const chain: Element[] = [e];
  const levels = [e, ...ancestors.slice(0, 3)];
  levels.forEach((a, k) => {
    if (k > 0) chain.unshift(a);
    const down = chain.slice(1).map((x) => x.name).join(' > ');
    for (const c of childEls(a)) {
      if (contains(c, e)) continue;
      const t = labelText(c);
      if (!t) continue;
      const head = `${a.name}:has(> ${c.name}:contains("${t}"))`;
      out.add(down ? `${head} > ${down}` : head);
    }
  });
  // The element right after a sibling of the same kind ("to <b>…</b>" after "from <b>…</b>").
  for (let p = e.prev; p; p = p.prev) {
    if (!isEl(p)) continue;
    if (p.name === e.name) out.add(`${p.name} + ${e.name}`);
    break;
  }
  // The element right after a label sibling.
  for (let p = e.prev; p; p = p.prev) {
    if (!isEl(p)) continue;
    const t = labelText(p);
    if (t) out.add(`${p.name}:contains("${t}") + ${e.name}`);
    break;
  }
  // A structural path from the nearest ancestor with an id or class.
  const path: string[] = [`${e.name}:nth-of-type(${nthOfType(e)})`];
  for (const a of ancestors) {
    if (stableId(a) || stableClasses(a).length > 0) {
      out.add(`${bestDesc(a)} > ${path.join(' > ')}`);
      break;
    }
    path.unshift(`${a.name}:nth-of-type(${nthOfType(a)})`);
  }
  return [...out];
}

/** Selector cost: shorter, class/id/label based beats structural positions and the document head. */
function selectorCost(sel: string | undefined): number {
  if (!sel) return 0;
  let c = sel.length / 20 + (sel.match(/[ >+~]/g)?.length ?? 0);
  if (sel.includes(':nth-of-type')) c += 6;
  if (/^(title|head)\b/.test(sel)) c += 4;
  if (sel.includes(':contains')) c += 1;
  return c;
}

function specCost(s: FieldSpec): number {
  let c = selectorCost(s.selector);
  if (s.pattern) c += 2 + String(s.pattern).length / 40;
  if (s.from === 'ownText' || s.from === 'lines') c += 0.5;
  return c;
}

// ---- locating labelled values ----

const MAX_HITS = 8;
const MAX_CANDIDATES = 250;

/** The deepest elements whose text satisfies `test` (no child element also does). */
function deepestMatching(page: LoadedPage, test: (text: string) => boolean): Element[] {
  const texts = new Map<Element, string>();
  const textOfEl = (e: Element) => {
    let t = texts.get(e);
    if (t === undefined) texts.set(e, (t = rawTextOf(e, 50_000)));
    return t;
  };
  const hits: Element[] = [];
  for (const e of elementsOf(page.root)) {
    if (e.name === 'html' || e.name === 'head' || e.name === 'body') continue;
    if (!test(textOfEl(e))) continue;
    if (childEls(e).some((c) => test(textOfEl(c)))) continue;
    hits.push(e);
    if (hits.length >= MAX_HITS) break;
  }
  return hits;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const NUMBER_CAPTURE = '(\\d+(?:[.,]\\d+)*)';

/** Patterns that cut the value at [start, end) out of `src`, from the label before it and the text after it. */
function contextPatterns(src: string, start: number, end: number, capture: string): string[] {
  const before = src.slice(0, start);
  const after = src.slice(end);
  const lefts: string[] = [];
  if (before.trim() === '') lefts.push('^\\s*');
  const words = before.trim().split(/\s+/).filter(Boolean);
  const tail: string[] = [];
  for (let i = words.length - 1; i >= 0 && tail.length < 3; i--) {
    if (/\d/.test(words[i]!) || words[i]!.length > 30) break;
    tail.unshift(words[i]!);
  }
  // The nearest one to three words (or a sign: "Spain → Worldwide"): a shorter label ("Category") holds where a longer one would take in the end of
  // the field before it ("19 left Category"); the training pages reject the ones that read wrong.
  for (let k = tail.length; k >= 1; k--) {
    const t = tail.slice(tail.length - k);
    if (/\p{L}|\p{S}|[:(]/u.test(t.join(''))) lefts.push(t.map(escapeRe).join('\\s*') + '\\s*');
  }
  const rights: string[] = [];
  if (after.trim() === '') rights.push('\\s*$');
  const nextChar = after.trim()[0];
  // A letter is cut at the next word, not its first letter: "\s*S" would end "United States" at "United".
  const nextWord = /^\p{L}/u.test(nextChar ?? '') ? /^[\p{L}\p{N}]+/u.exec(after.trim())![0] : null;
  if (nextWord) rights.push(`\\s*${escapeRe(nextWord)}\\b`);
  else if (nextChar) rights.push(`\\s*${escapeRe(nextChar)}`);
  if (/^[ \t]*\n/.test(after)) rights.push('[ \\t]*(?:\\n|$)');
  const out: string[] = [];
  for (const l of lefts) for (const r of rights) out.push(`${l}${capture}${r}`);
  if (capture === NUMBER_CAPTURE) for (const l of lefts) out.push(`${l}${capture}`);
  return out;
}

interface Reader {
  from?: FieldSpec['from'];
  pattern?: string;
  transform: TransformName;
}

const SOURCES: NonNullable<FieldSpec['from']>[] = ['text', 'ownText', 'lines'];

function sourceText(e: Element, from: NonNullable<FieldSpec['from']>): string {
  if (from === 'ownText') return ownTextOf(e);
  if (from === 'lines') return linesOf(e, 50_000);
  return rawTextOf(e, 50_000);
}

const TRANSFORM: Record<FieldKind, TransformName> = { text: 'text', place: 'text', places: 'list', path: 'text', price: 'price', number: 'number' };

/** Ways to read `exp` from element `e`: a source, an optional pattern, the field's transform. */
function readersFor(e: Element, exp: Expected): Reader[] {
  const out: Reader[] = [];
  const transform = TRANSFORM[exp.kind];
  for (const from of SOURCES) {
    const src = sourceText(e, from);
    if (src.trim() === '') continue;
    const f = from === 'text' ? undefined : from;
    if (exp.kind === 'price') {
      if (sameValue('price', parsePrice(src), exp.value)) out.push({ from: f, transform });
      for (const p of findPrices(src, 20)) {
        if (sameValue('price', p, exp.value)) {
          for (const pat of contextPatterns(src, p.index, p.index + p.text.length, `(${escapeRe(p.text).replace(/\d+(?:\\\.\d+)*/g, '[\\d.,]+')})`)) out.push({ from: f, pattern: pat, transform });
        }
      }
      continue;
    }
    if (exp.kind === 'number') {
      for (const m of src.matchAll(/\d+(?:[.,]\d+)*/g)) {
        if (parseNumber(m[0]) !== null && Math.abs(parseNumber(m[0])! - Number(exp.value)) < 1e-9) {
          if (src.trim() === m[0]) out.push({ from: f, transform });
          for (const pat of contextPatterns(src, m.index, m.index + m[0].length, NUMBER_CAPTURE)) out.push({ from: f, pattern: pat, transform });
        }
      }
      continue;
    }
    if (exp.kind === 'places') {
      // The whole list in one element ("United States, Worldwide") or on one line after a label ("Ship to : A , B").
      const items = exp.value as string[];
      if (sameValue('places', src, items)) out.push({ from: f, transform });
      const lower = src.toLowerCase();
      // First and last occurrences: "Germany → Germany" shows the origin before the destination.
      for (const at of [(it: string) => lower.indexOf(it), (it: string) => lower.lastIndexOf(it)]) {
        const idx = items.map((it) => at(it.toLowerCase())).filter((i) => i >= 0);
        if (idx.length === items.length && items.length > 0) {
          const start = Math.min(...idx);
          const end = Math.max(...items.map((it) => at(it.toLowerCase()) + it.length));
          for (const pat of contextPatterns(src, start, end, '([^\\n]+?)')) if (!out.some((o) => o.from === f && o.pattern === pat)) out.push({ from: f, pattern: pat, transform });
        }
      }
      continue;
    }
    // text, place, path items
    const value = textNorm(String(exp.value));
    if (value === '') continue;
    if (textNorm(src) === value || (exp.kind === 'place' && placeNorm(src) === placeNorm(value))) {
      out.push({ from: f, transform });
      continue;
    }
    const pos = exp.kind === 'place' ? src.toLowerCase().indexOf(value.toLowerCase()) : src.indexOf(value);
    if (pos >= 0 && from !== 'ownText') {
      for (const pat of contextPatterns(src, pos, pos + value.length, '(.+?)')) out.push({ from: f, pattern: pat, transform });
    }
  }
  return out;
}

// ---- evaluation of candidate specs on training pages ----

function fieldCtx(page: LoadedPage): FieldContext {
  return { $: page.$, url: page.url, capturedAt: page.capturedAt, pageType: 'unknown', fieldHooks: {}, transforms: {}, errors: [], warnings: [] };
}

interface TrainingPage {
  label: PageLabel;
  page: LoadedPage;
  ctx: FieldContext;
}

interface Scored {
  spec: FieldSpec;
  correct: Set<number>;
  wrong: number;
  cost: number;
}

function scoreSpec(spec: FieldSpec, pages: TrainingPage[], expected: (Expected | null | undefined)[], kind: FieldKind): Scored {
  const correct = new Set<number>();
  let wrong = 0;
  pages.forEach((tp, i) => {
    const exp = expected[i];
    if (exp === undefined) return; // not labelled on this page
    let got: unknown;
    try {
      got = evalField(spec, tp.page.root, tp.ctx, 'induce');
    } catch {
      got = undefined;
    }
    const empty = got === undefined || got === null || got === '' || (Array.isArray(got) && got.length === 0);
    if (exp === null) {
      if (!empty) wrong++;
      return;
    }
    if (empty) return;
    if (sameValue(kind, got, exp.value)) correct.add(i);
    else wrong++;
  });
  return { spec, correct, wrong, cost: specCost(spec) };
}

/** Greedy cover: the never-wrong spec reading most pages (cheapest on ties), then alternatives for the rest. */
function cover(scored: Scored[], labelled: number[]): Scored[] {
  const safe = scored.filter((s) => s.wrong === 0 && s.correct.size > 0);
  const left = new Set(labelled);
  const chosen: Scored[] = [];
  while (left.size > 0 && chosen.length < 4) {
    let best: Scored | null = null;
    let bestGain = 0;
    for (const s of safe) {
      let gain = 0;
      for (const i of s.correct) if (left.has(i)) gain++;
      if (gain > bestGain || (gain === bestGain && gain > 0 && best && s.cost < best.cost)) {
        best = s;
        bestGain = gain;
      }
    }
    if (!best) break;
    chosen.push(best);
    for (const i of best.correct) left.delete(i);
  }
  return chosen;
}

// ---- per-field induction ----

/** The first element each clicked CSS path names on a training page (a path that does not parse names none). */
function clickedElements(tp: TrainingPage, css: string | string[]): Element[] {
  return (Array.isArray(css) ? css : [css]).flatMap((s) => {
    try {
      return selectIn(tp.page.root, s).slice(0, 1);
    } catch {
      return [];
    }
  });
}

function expectedOf(kind: FieldKind, v: LabelValue | undefined, tp: TrainingPage): Expected | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (isCssLabel(v)) {
    const els = clickedElements(tp, v.css);
    if (els.length === 0) return undefined;
    if (kind === 'path' || (kind === 'places' && els.length > 1)) return { kind, value: els.map((e) => textNorm(ownTextOf(e) || rawTextOf(e))) };
    const text = rawTextOf(els[0]!);
    if (kind === 'price') {
      const m = parsePrice(text);
      return m ? { kind, value: m } : undefined;
    }
    if (kind === 'number') {
      const n = parseNumber(text);
      return n === null ? undefined : { kind, value: n };
    }
    if (kind === 'places') return { kind, value: parseDestinations(text).to };
    return { kind, value: textNorm(text) };
  }
  if (kind === 'price') return typeof v === 'object' && !Array.isArray(v) && 'amount' in v ? { kind, value: v } : typeof v === 'string' && parsePrice(v) ? { kind, value: parsePrice(v)! } : undefined;
  if (kind === 'number') return typeof v === 'number' ? { kind, value: v } : typeof v === 'string' && parseNumber(v) !== null ? { kind, value: parseNumber(v)! } : undefined;
  if (kind === 'places' || kind === 'path') return Array.isArray(v) ? { kind, value: v } : typeof v === 'string' ? { kind, value: kind === 'places' ? parseDestinations(v).to : [v] } : undefined;
  return typeof v === 'string' || typeof v === 'number' ? { kind, value: String(v) } : undefined;
}

/** Elements that show an expected value on one page. */
function locate(tp: TrainingPage, exp: Expected, v: LabelValue): Element[][] {
  if (isCssLabel(v)) {
    const els = clickedElements(tp, v.css);
    return exp.kind === 'path' || exp.kind === 'places' ? [els] : els.map((e) => [e]);
  }
  const find = (test: (t: string) => boolean) => deepestMatching(tp.page, test);
  switch (exp.kind) {
    case 'price':
      return find((t) => findPrices(t, 20).some((p) => sameValue('price', p, exp.value))).map((e) => [e]);
    case 'number': {
      const n = Number(exp.value);
      return find((t) => (t.match(/\d+(?:[.,]\d+)*/g) ?? []).some((x) => parseNumber(x) === n)).map((e) => [e]);
    }
    case 'path':
      return [locatePath(tp, exp.value as string[])];
    case 'places': {
      const items = exp.value as string[];
      const one = find((t) => items.every((it) => t.toLowerCase().includes(it.toLowerCase())));
      return one.map((e) => [e]);
    }
    default: {
      const value = textNorm(String(exp.value));
      const low = value.toLowerCase();
      return find((t) => (exp.kind === 'place' ? t.toLowerCase().includes(low) : collapseWhitespace(t).includes(value))).map((e) => [e]);
    }
  }
}

/**
 * Candidate specs for a list whose items are separate elements (a breadcrumb, a sidebar path): per item, selectors
 * on the item or an ancestor (up to two levels, with the path down to the item), also relative to the last item
 * (the marked "selected" entry: `X:has(~ .selected)`). A selector is usable when, on every training page, it picks
 * only labelled items; the union of the fewest usable selectors covering every item becomes the spec.
 */
function listItemSpecs(groups: { page: number; root: AnyNode; items: Element[] }[]): FieldSpec[] {
  const specs: FieldSpec[] = [];
  for (let level = 0; level <= 2; level++) {
    const cands = new Set<string>();
    let consistent = true;
    let suffix: string | null = null;
    for (const g of groups) {
      if (g.items.length === 0) continue;
      const ancs = g.items.map((it) => {
        let a: Element | null = it;
        const down: string[] = [];
        for (let i = 0; i < level && a; i++) {
          down.unshift(a.name);
          a = parentEl(a);
        }
        return { a, down: down.join(' > ') };
      });
      if (ancs.some((x) => !x.a || x.a.name === 'body')) {
        consistent = false;
        break;
      }
      for (const x of ancs) {
        if (suffix === null) suffix = x.down;
        if (x.down !== suffix) consistent = false;
      }
      const marked = ancs[ancs.length - 1]!.a!;
      const markDescs = descs(marked).filter((d) => d !== marked.name);
      for (const { a } of ancs) {
        for (const d of descs(a!)) {
          cands.add(d);
          const p = parentEl(a!);
          if (p && p.name !== 'body') cands.add(`${bestDesc(p)} > ${d}`);
          if (a !== marked) for (const m of markDescs) cands.add(`${d}:has(~ ${m})`);
        }
      }
    }
    if (!consistent || suffix === null) continue;
    const full = (c: string) => (suffix ? `${c} > ${suffix}` : c);
    const itemSets = groups.map((g) => new Set<AnyNode>(g.items));
    const usable: { sel: string; covers: Set<string> }[] = [];
    for (const c of cands) {
      const covers = new Set<string>();
      let ok = true;
      for (let gi = 0; gi < groups.length && ok; gi++) {
        let got: Element[];
        try {
          got = selectIn(groups[gi]!.root, full(c));
        } catch {
          ok = false;
          break;
        }
        for (const e of got) {
          if (!itemSets[gi]!.has(e)) ok = false;
          else covers.add(`${gi}:${groups[gi]!.items.indexOf(e)}`);
        }
      }
      if (ok && covers.size > 0) usable.push({ sel: full(c), covers });
    }
    const need = new Set(groups.flatMap((g, gi) => g.items.map((_, i) => `${gi}:${i}`)));
    const chosen: string[] = [];
    while (need.size > 0 && chosen.length < 6) {
      let best: { sel: string; covers: Set<string> } | null = null;
      let gain = 0;
      for (const u of usable) {
        let g = 0;
        for (const k of u.covers) if (need.has(k)) g++;
        if (g > gain || (g === gain && g > 0 && best && u.sel.length < best.sel.length)) {
          best = u;
          gain = g;
        }
      }
      if (!best) break;
      chosen.push(best.sel);
      for (const k of best.covers) need.delete(k);
    }
    if (need.size > 0 || chosen.length === 0) continue;
    const selector = chosen.join(', ');
    for (const from of ['ownText', 'text'] as const) specs.push({ selector, ...(from === 'text' ? {} : { from }), transform: 'text', all: true });
  }
  return specs;
}

/** The elements showing each item of a path, in order (own text or whole text equal to the item). */
function locatePath(tp: TrainingPage, items: string[]): Element[] {
  const els = elementsOf(tp.page.root).filter((e) => e.name !== 'html' && e.name !== 'body' && e.name !== 'head' && e.name !== 'title');
  const out: Element[] = [];
  for (const item of items) {
    const want = textNorm(item).toLowerCase();
    const hit = els.find((e) => !out.includes(e) && (ownTextOf(e).toLowerCase() === want || (textNorm(rawTextOf(e, 500)).toLowerCase() === want && childEls(e).every((c) => textNorm(rawTextOf(c, 500)).toLowerCase() !== want))));
    if (!hit) return [];
    out.push(hit);
  }
  return out;
}

/**
 * `taken`: the specs chosen for the record's earlier fields. Where two fields show
 * the same value on every training page (ships from Belgium to Belgium), the same element reads both; an element and
 * pattern another field already reads (on every training page) only wins when nothing else reads as many pages.
 */
function induceField(field: InduceFieldKey, pages: TrainingPage[], taken: readonly FieldSpec[] = []): { chosen: Scored[]; info: InducedField; safe: string[] } {
  const def = INDUCE_FIELDS[field];
  const kind = def.kind;
  const info: InducedField = { pageType: pages[0]!.label.pageType, field, labelled: 0, correct: 0, candidates: 0, chosen: [], problems: [] };
  const expected = pages.map((tp) => expectedOf(kind, tp.label.fields?.[field], tp));
  const specs = new Map<string, FieldSpec>();
  const add = (s: FieldSpec) => {
    const key = JSON.stringify(s);
    if (!specs.has(key) && specs.size < 6000) specs.set(key, s);
  };
  const listGroups: { page: number; root: AnyNode; items: Element[] }[] = [];
  // Every value typed on the training pages, to keep data out of label selectors.
  const values = new Set<string>();
  for (const tp of pages) {
    for (const v of Object.values(tp.label.fields ?? {})) {
      for (const x of typeof v === 'string' ? [v] : Array.isArray(v) ? v : []) if (placeNorm(x) !== '') values.add(placeNorm(x));
    }
  }
  const oneItemPaths = expected.every((e) => !e || e.kind !== 'path' || (e.value as string[]).length === 1);
  pages.forEach((tp, i) => {
    const exp = expected[i];
    const v = tp.label.fields?.[field];
    if (!exp || v === undefined || v === null) return;
    let groups: Element[][];
    if (exp.kind === 'path' && !isCssLabel(v)) {
      const items = exp.value as string[];
      const seq = locatePath(tp, items);
      if (seq.length > 0) listGroups.push({ page: i, root: tp.page.root, items: seq });
      // A one-item path ("Category: Opioids") may also show in a category menu before the record's own: every
      // element showing it is a candidate, read as a one-item list; the training pages tell them apart. Only when
      // every labelled path of the field has one item (a breadcrumb's last item alone is not the path).
      const want = textNorm(items[0] ?? '').toLowerCase();
      groups = oneItemPaths && want !== '' ? deepestMatching(tp.page, (t) => textNorm(t).toLowerCase().includes(want)).map((e) => [e]) : [];
      if (seq.length === 0 && groups.length === 0) info.problems.push(`${tp.label.file}: value not found on the page`);
      if (groups.length === 0) return;
    } else {
      groups = locate(tp, exp, v);
      if (groups.length === 0 || groups.every((g) => g.length === 0)) {
        info.problems.push(`${tp.label.file}: value not found on the page`);
        return;
      }
      if (kind === 'path' || (kind === 'places' && isCssLabel(v) && groups[0]!.length > 1)) {
        listGroups.push({ page: i, root: tp.page.root, items: groups[0]! });
        return;
      }
    }
    for (const [el] of groups) {
      if (!el) continue;
      // The value's element and up to three ancestors (a label and its value often share a parent).
      const targets: Element[] = [el];
      for (let a = parentEl(el); a && targets.length < 3 && a.name !== 'body'; a = parentEl(a)) targets.push(a);
      targets.forEach((t, depth) => {
        const readers = readersFor(t, exp);
        if (readers.length === 0) return;
        const sels = depth === 0 ? selectorCandidates(t, values) : selectorCandidates(t, values).slice(0, 12);
        for (const sel of sels) for (const r of readers) add({ selector: sel, ...(r.from ? { from: r.from } : {}), ...(r.pattern ? { pattern: r.pattern } : {}), transform: r.transform });
      });
    }
  });
  if (listGroups.length > 0) for (const s of listItemSpecs(listGroups)) add(s);
  info.labelled = expected.filter((e) => e !== undefined && e !== null).length;
  info.candidates = specs.size;
  const labelledIdx = expected.map((e, i) => (e !== undefined && e !== null ? i : -1)).filter((i) => i >= 0);
  // The cheapest candidates first; a cap keeps induction within seconds on large pages.
  const ranked = [...specs.values()].sort((a, b) => specCost(a) - specCost(b)).slice(0, MAX_CANDIDATES);
  const scored = ranked.map((s) => scoreSpec(s, pages, expected, kind));
  const firstOf = (root: AnyNode, sel: string | undefined): AnyNode | null => {
    if (!sel) return root;
    try {
      return selectIn(root, sel)[0] ?? null;
    } catch {
      return null;
    }
  };
  // A pattern taking the whole text (^\s*(…)\s*$) reads what no pattern reads.
  const patternOf = (x: FieldSpec) => (typeof x.pattern === 'string' && /^\^\\s\*\(.*\)\\s\*\$$/.test(x.pattern) ? null : (x.pattern ?? null));
  const sameReading = (a: FieldSpec, b: FieldSpec) =>
    JSON.stringify(patternOf(a)) === JSON.stringify(patternOf(b)) && !!a.all === !!b.all && pages.every((tp) => firstOf(tp.page.root, a.selector) === firstOf(tp.page.root, b.selector));
  for (const x of scored) if (x.wrong === 0 && taken.some((t) => sameReading(x.spec, t))) x.cost += 100;
  const chosen = cover(scored, labelledIdx);
  // Selectors that read every labelled page correctly: candidates for telling this page type apart.
  const safe = scored.filter((x) => x.wrong === 0 && x.correct.size === labelledIdx.length && labelledIdx.length > 0 && x.spec.selector && !x.spec.all).map((x) => x.spec.selector!);
  const ok = new Set<number>();
  for (const c of chosen) for (const i of c.correct) ok.add(i);
  info.correct = ok.size;
  info.chosen = chosen.map((c) => c.spec);
  if (info.labelled > 0 && chosen.length === 0) info.problems.push('no selector reads the labelled values without error on the training pages');
  else if (ok.size < info.labelled) info.problems.push(`${info.labelled - ok.size} labelled page(s) not read by any never-wrong selector`);
  return { chosen, info, safe: [...new Set(safe)] };
}

// ---- page types and record scopes ----

/**
 * A rule from one selector that reads a field correctly on every page of the type and exists on no page of another
 * labelled type (e.g. the "Ships to" row of a listing page), the most specific-looking first.
 */
function singleRule(selectors: string[], positives: TrainingPage[], negatives: TrainingPage[]): { selector: string; text?: string } | null {
  const ranked = [...selectors].sort((a, b) => (b.includes(':contains') ? 1 : 0) - (a.includes(':contains') ? 1 : 0) || selectorCost(a) - selectorCost(b)).slice(0, 300);
  for (const sel of ranked) {
    const has = (tp: TrainingPage) => {
      try {
        return selectIn(tp.page.root, sel).length > 0;
      } catch {
        return false;
      }
    };
    if (positives.every(has) && negatives.every((n) => !has(n))) return { selector: `html:has(${sel})` };
  }
  return null;
}

interface KeySpec {
  selector: string;
  pattern?: string;
}

/** A pattern for the page text from a field pattern: its label and value shape, without anchors. */
function textPattern(p: string): string | null {
  const t = p.replace(/^\^\\s\*/, '').replace(/\\s\*\$$/, '').replace(/\[ \\t\]\*\(\?:\\n\|\$\)$/, '');
  return /\p{L}{3}/u.test(t.replace(/\\[a-z]/gi, '')) ? t : null;
}

/**
 * A page-type rule from the record's key fields: `html:has(A):has(B)…`, plus, when selectors alone also match the
 * other labelled pages, a label pattern on the page text (e.g. "Feedback : (99%" on a vendor's profile, absent on a
 * buyer's). Null when nothing holds on every positive page and on no negative one.
 */
function keyRule(keys: KeySpec[], positives: TrainingPage[], negatives: TrainingPage[]): { selector: string; text?: string } | null {
  const sel = conjunctionRule(keys.map((k) => k.selector), positives, negatives);
  if (sel) return { selector: sel };
  const all = keys.map((k) => k.selector).filter((s) => positives.every((tp) => selectIn(tp.page.root, s).length > 0));
  const base = all.length > 0 ? `html${all.slice(0, 4).map((x) => `:has(${x})`).join('')}` : 'html';
  for (const k of keys) {
    const tp = k.pattern ? textPattern(k.pattern) : null;
    if (!tp) continue;
    let re: RegExp;
    try {
      re = new RegExp(tp, 'iu');
    } catch {
      continue;
    }
    const holds = (p: TrainingPage) => selectIn(p.page.root, base).length > 0 && re.test(p.page.pageText());
    if (positives.every(holds) && negatives.every((n) => !holds(n))) return { selector: base, text: tp };
  }
  // A short line of text every positive page shows and no other labelled page does ("User Type : Seller").
  const linesOf = (p: TrainingPage) =>
    new Set(
      p.page
        .pageText()
        .split('\n')
        .map((l) => collapseWhitespace(l))
        .filter((l) => l.length >= 3 && l.length <= 60 && /\p{L}{2}/u.test(l) && !/\d/.test(l) && l.includes(':')),
    );
  const sets = positives.map(linesOf);
  const negTexts = negatives.map((n) => collapseWhitespace(n.page.pageText()).toLowerCase());
  const common = [...(sets[0] ?? [])].filter((l) => sets.every((x) => x.has(l)) && negTexts.every((t) => !t.includes(l.toLowerCase())));
  common.sort((a, b) => (a.includes(':') ? 0 : 1) - (b.includes(':') ? 0 : 1) || (a.endsWith(':') ? 0 : 1) - (b.endsWith(':') ? 0 : 1) || a.split(' ').length - b.split(' ').length || a.length - b.length);
  if (common[0]) {
    const text = common[0].split(' ').map(escapeRe).join('\\s*');
    const re = new RegExp(text, 'iu');
    const holds = (p: TrainingPage) => selectIn(p.page.root, base).length > 0 && re.test(p.page.pageText());
    if (positives.every(holds) && negatives.every((n) => !holds(n))) return { selector: base, text };
  }
  return null;
}

/** A rule `html:has(A):has(B)…` from selectors, or null when no combination holds on all positives and no negative. */
function conjunctionRule(selectors: string[], positives: TrainingPage[], negatives: TrainingPage[]): string | null {
  const holds = (sel: string, tp: TrainingPage) => {
    try {
      return selectIn(tp.page.root, sel).length > 0;
    } catch {
      return false;
    }
  };
  const usable = selectors.filter((s) => positives.every((tp) => holds(s, tp)));
  const acc: string[] = [];
  for (const s of usable) {
    acc.push(s);
    const rule = `html${acc.map((x) => `:has(${x})`).join('')}`;
    if (negatives.every((tp) => !holds(rule, tp))) return rule;
    if (acc.length >= 4) break;
  }
  return null;
}

/** Element names (tag.class, #id) present on every positive page and on no negative page. */
function featureRule(positives: TrainingPage[], negatives: TrainingPage[]): string | null {
  const featuresOf = (tp: TrainingPage) => {
    const f = new Set<string>();
    for (const e of elementsOf(tp.page.root)) for (const d of descs(e)) if (d !== e.name) f.add(d);
    return f;
  };
  const pos = positives.map(featuresOf);
  const neg = negatives.map(featuresOf);
  const common = [...pos[0]!].filter((f) => pos.every((s) => s.has(f)) && neg.every((s) => !s.has(f)));
  common.sort((a, b) => (a.startsWith('#') ? 0 : 1) - (b.startsWith('#') ? 0 : 1) || a.length - b.length);
  return common[0] ? `html:has(${common[0]})` : null;
}

function adapterIdFor(market: string): string {
  const id = market.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50);
  return /^[a-z]/.test(id) ? `induced-${id}` : `induced-m${id}`;
}

const FIELD_ORDER: Record<RecordKind, string[]> = {
  listings: ['title', 'price', 'vendorHandle', 'shipsFrom', 'shipsTo', 'description', 'category'],
  vendors: ['handle', 'rating', 'level', 'profileText'],
};

/** Induces an adapter from labelled pages. Never runs page content; throws only on unusable labels. */
export function induceAdapter(labels: LabelFile, pages: LabelledPage[], options: InduceOptions = {}): InduceResult {
  const started = performance.now();
  const warnings: string[] = [];
  const training: TrainingPage[] = [];
  for (const lp of pages) {
    const loaded = loadPage(lp.input, 'induce');
    if (!isLoadedPage(loaded)) {
      warnings.push(`${lp.label.file}: ${loaded.errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    training.push({ label: lp.label, page: loaded, ctx: fieldCtx(loaded) });
  }
  const types = [...new Set(training.map((t) => t.label.pageType))];
  const pageSpecs: Partial<Record<PageType, PageSpec>> = {};
  const fields: InducedField[] = [];
  const keySelectors = new Map<PageType, KeySpec[]>();
  const safeByType = new Map<PageType, string[]>();
  const pageTypeRules: InduceResult['pageTypeRules'] = [];
  for (const type of types) {
    const tps = training.filter((t) => t.label.pageType === type);
    const spec: PageSpec = {};
    const keys: KeySpec[] = [];
    const safeSelectors: string[] = [];
    for (const record of ['listings', 'vendors'] as RecordKind[]) {
      const recordPages = tps.filter((t) => !t.label.none?.includes(record));
      const recordFields = (Object.keys(INDUCE_FIELDS) as InduceFieldKey[]).filter(
        (k) => INDUCE_FIELDS[k].record === record && recordPages.some((t) => t.label.fields?.[k] !== undefined),
      );
      if (recordFields.length === 0) continue;
      recordFields.sort((a, b) => FIELD_ORDER[record].indexOf(INDUCE_FIELDS[a].name) - FIELD_ORDER[record].indexOf(INDUCE_FIELDS[b].name));
      const rs: RecordSpec<string> = { fields: {} };
      const recordKeys: KeySpec[] = [];
      const taken: FieldSpec[] = [];
      for (const k of recordFields) {
        const { chosen, info, safe } = induceField(k, recordPages, taken);
        taken.push(...chosen.map((c) => c.spec));
        safeSelectors.push(...safe);
        fields.push(info);
        if (chosen.length === 0) continue;
        const name = INDUCE_FIELDS[k].name;
        rs.fields[name] = chosen.length === 1 ? chosen[0]!.spec : chosen.map((c) => c.spec);
        const first = chosen[0]!;
        if (first.spec.selector && info.labelled > 0 && first.correct.size === info.labelled && !first.spec.all) recordKeys.push({ selector: first.spec.selector, ...(typeof first.spec.pattern === 'string' ? { pattern: first.spec.pattern } : {}) });
        if (k === 'vendor.rating') {
          const maxes = recordPages.map((t) => t.label.ratingMax).filter((m): m is number => m !== undefined);
          if (maxes.length > 0 && maxes.every((m) => m === maxes[0])) {
            rs.fields.ratingMax = chosen.map((c) => ({ ...(c.spec.selector ? { selector: c.spec.selector } : {}), value: maxes[0]! }));
          }
        }
      }
      if (Object.keys(rs.fields).length === 0) continue;
      // One record per page: the page's own address identifies it (a listing is stored by its external id).
      if (record === 'listings' && type === 'listing') {
        rs.fields.externalId ??= { from: 'url' };
        rs.fields.url ??= { from: 'url', transform: 'url' };
      }
      if (record === 'vendors' && type === 'vendor_profile') rs.fields.url ??= { from: 'url', transform: 'url' };
      // Scope: the whole page, but only where the record's key elements are (a buyer's profile has no vendor).
      const negatives = tps.filter((t) => t.label.none?.includes(record));
      const scope = conjunctionRule(recordKeys.map((k) => k.selector), recordPages, negatives);
      if (scope) rs.scope = scope;
      else {
        rs.scope = 'html';
        if (negatives.length > 0) warnings.push(`${type}: no element tells pages with ${record} from pages without; ${record} may be invented there`);
      }
      if (record === 'listings') spec.listings = rs as RecordSpec<never>;
      else spec.vendors = rs as RecordSpec<never>;
      keys.push(...recordKeys);
    }
    keySelectors.set(type, keys);
    safeByType.set(type, safeSelectors);
    pageSpecs[type] = spec;
  }
  // Page-type rules: most specific first; each checked against the other labelled pages.
  const rules: PageTypeRule[] = [];
  for (const type of types) {
    const positives = training.filter((t) => t.label.pageType === type);
    const negatives = training.filter((t) => t.label.pageType !== type);
    if (['login', 'captcha', 'seized'].includes(type)) {
      pageTypeRules.push({ pageType: type, rule: null, problem: 'recognised by the built-in detector' });
      continue;
    }
    const keyed = singleRule(safeByType.get(type) ?? [], positives, negatives) ?? keyRule(keySelectors.get(type) ?? [], positives, negatives);
    const sel = keyed?.selector ?? featureRule(positives, negatives);
    if (!sel) {
      pageTypeRules.push({ pageType: type, rule: null, problem: 'no element tells this page type from the other labelled pages' });
      warnings.push(`page type ${type}: no structural rule found`);
      continue;
    }
    const rule: PageTypeRule = { type, selector: sel, ...(keyed?.text ? { text: keyed.text } : {}) };
    rules.push(rule);
    pageTypeRules.push({ pageType: type, rule });
  }
  rules.sort((a, b) => (b.selector!.match(/:has\(/g)?.length ?? 0) - (a.selector!.match(/:has\(/g)?.length ?? 0));
  const hosts = labels.hosts ?? [
    ...new Set(
      pages
        .map((p) => {
          try {
            return new URL(p.input.url).hostname.toLowerCase();
          } catch {
            return '';
          }
        })
        .filter((h) => h !== '' && !h.endsWith('.invalid')),
    ),
  ];
  const adapter = validateAdapter({
    id: labels.id ?? adapterIdFor(labels.market),
    version: options.version ?? '1.0.0',
    market: labels.market,
    hosts,
    pageTypes: rules,
    pages: pageSpecs,
  });
  return { adapter, fields, pageTypeRules, warnings, millis: performance.now() - started };
}
