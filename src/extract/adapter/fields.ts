import { isTag, type AnyNode } from 'domhandler';
import { textContent } from 'domutils';
import type { Money } from '../../domain/money.ts';
import { selectIn, type PageMemo } from '../html/select.ts';
import { linesOf, ownTextOf, rawTextOf, textOf } from '../html/text.ts';
import type { ExtractError } from '../types.ts';
import type { FieldSpec, HookContext, TransformName } from './types.ts';
import { collapseWhitespace, decodeEntities, normaliseLines, parseDate, parseInteger, parseNumber, parsePrice, resolveUrl, splitList } from './transforms.ts';

/** Longest text a pattern is run on; longer sources are cut (patterns are adapter-authored, inputs are hostile). */
export const MAX_PATTERN_INPUT = 256 * 1024;
/** Longest value the transforms run on; longer ones are cut. */
export const MAX_TRANSFORM_INPUT = MAX_PATTERN_INPUT * 4;
const MAX_HTML_SOURCE = 1 << 20;

export interface FieldContext extends HookContext {
  fieldHooks: Record<string, (node: AnyNode, ctx: HookContext) => unknown>;
  transforms: Record<string, (value: string, ctx: HookContext) => unknown>;
  errors: ExtractError[];
  warnings: ExtractError[];
  /** Selections and texts shared by every field of the page (the runner sets one per page). */
  memo?: PageMemo;
}

const patternCache = new Map<string, RegExp>();

export function compilePattern(pattern: string | RegExp): RegExp {
  if (pattern instanceof RegExp) return pattern;
  let re = patternCache.get(pattern);
  if (!re) {
    re = new RegExp(pattern, 'iu');
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(pattern, re);
  }
  return re;
}

const globalCache = new WeakMap<RegExp, RegExp>();

/** The 'g' version of a pattern, built once per pattern (matchAll clones it, so sharing it is safe). */
function globalOf(re: RegExp): RegExp {
  let g = globalCache.get(re);
  if (!g) {
    g = new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g');
    globalCache.set(re, g);
  }
  return g;
}

function pick(m: RegExpMatchArray): string {
  return m.groups?.value ?? m[1] ?? m[0];
}

const BOOLEAN_ATTRIBUTE = /^(?:autofocus|autoplay|async|checked|controls|defer|disabled|hidden|loop|multiple|open|readonly|required|scoped|selected)$/i;

/** cheerio's `$(node).attr(name)` (HTML mode) without building a cheerio object per field: the value, the name of
 * a boolean attribute, an option's text as its value, 'on' for a radio/checkbox without one. */
export function attrOf(node: AnyNode, name: string): string | undefined {
  if (!isTag(node)) return undefined;
  const attribs = node.attribs ?? {};
  if (Object.prototype.hasOwnProperty.call(attribs, name)) return BOOLEAN_ATTRIBUTE.test(name) ? name : attribs[name];
  if (node.name === 'option' && name === 'value') return textContent(node.children);
  if (node.name === 'input' && (attribs.type === 'radio' || attribs.type === 'checkbox') && name === 'value') return 'on';
  return undefined;
}

/** Elements below `scope` matching `selector`, through the page's memo when the runner set one. */
export function selectInPage(ctx: FieldContext, scope: AnyNode, selector: string): AnyNode[] {
  return ctx.memo ? ctx.memo.select(scope, selector) : selectIn(scope, selector);
}

function sourceOf(spec: FieldSpec, node: AnyNode, ctx: FieldContext): unknown {
  if (spec.hook !== undefined) {
    const fn = ctx.fieldHooks[spec.hook];
    if (!fn) throw new Error(`unknown field hook '${spec.hook}'`);
    return fn(node, ctx);
  }
  switch (spec.from ?? 'text') {
    case 'text':
      return ctx.memo ? ctx.memo.text(node, rawTextOf) : rawTextOf(node);
    case 'lines':
      return linesOf(node);
    case 'ownText':
      return ownTextOf(node);
    case 'html': {
      const html = ctx.$(node).html() ?? '';
      return html.length > MAX_HTML_SOURCE ? html.slice(0, MAX_HTML_SOURCE) : html;
    }
    case 'attr':
      return spec.attr ? (attrOf(node, spec.attr) ?? null) : null;
    case 'url':
      return ctx.url.pathname + ctx.url.search;
  }
}

/** Applies one transform; returns undefined when the value cannot be converted. */
function applyTransform(name: TransformName, value: unknown, ctx: FieldContext): unknown {
  if (typeof value !== 'string') return value;
  switch (name) {
    case 'text':
      return collapseWhitespace(value);
    case 'lines':
      return normaliseLines(value);
    case 'number':
      return parseNumber(value) ?? undefined;
    case 'integer':
      return parseInteger(value) ?? undefined;
    case 'price':
      return parsePrice(value) ?? undefined;
    case 'date':
      return parseDate(value, ctx.capturedAt) ?? undefined;
    case 'url':
      return (ctx.memo ? ctx.memo.url(value, (href) => resolveUrl(href, ctx.url)) : resolveUrl(value, ctx.url)) ?? undefined;
    case 'list':
      return splitList(value);
    case 'lower':
      return value.toLowerCase();
    case 'decodeEntities':
      return decodeEntities(value);
    default: {
      const hookName = name.slice('hook:'.length);
      const fn = ctx.transforms[hookName];
      if (!fn) throw new Error(`unknown transform '${name}'`);
      return fn(value, ctx);
    }
  }
}

/**
 * Whether a field's raw value is `linesOf`'s text as it is (no hook, no pattern cutting a piece out of it): already
 * normalised, and at most 1 MiB (rawTextOf's cut), so never cut here. normaliseLines is idempotent (each line comes out
 * trimmed, its space runs single spaces, no three newlines in a row), so normalising it again gives the same text.
 */
function isLinesSource(spec: FieldSpec): boolean {
  return spec.from === 'lines' && spec.hook === undefined && spec.pattern === undefined;
}

function transformAll(spec: FieldSpec, raw: string, ctx: FieldContext): unknown {
  if (raw.length > MAX_TRANSFORM_INPUT) raw = raw.slice(0, MAX_TRANSFORM_INPUT);
  const names = spec.transform;
  let value: unknown = raw;
  if (names === undefined || (Array.isArray(names) && names.length === 0)) {
    value = spec.from === 'lines' ? (isLinesSource(spec) ? raw : normaliseLines(raw)) : spec.from === 'html' ? raw : collapseWhitespace(raw);
  } else if (!Array.isArray(names)) {
    value = applyTransform(names, value, ctx);
    if (value === undefined || value === null) return undefined;
  } else {
    for (const n of names) {
      value = applyTransform(n, value, ctx);
      if (value === undefined || value === null) return undefined;
    }
  }
  if (typeof value === 'string' && value === '') return undefined;
  return value;
}

/**
 * Evaluates one field within a scope element. Returns undefined when absent. Never throws: bad selectors,
 * patterns or hook transforms are reported in `ctx.errors` under `path`, or for a record's field (`index` ≥ 0)
 * under `path[index].name`, built only for an error.
 */
export function evalField(spec: FieldSpec, scope: AnyNode, ctx: FieldContext, path: string, index = -1, name = ''): unknown {
  try {
    // Without a selector the field reads the scope itself.
    const nodes = spec.selector ? selectInPage(ctx, scope, spec.selector) : undefined;
    if (spec.value !== undefined) return !nodes || nodes.length > 0 ? spec.value : undefined;
    if (!spec.all) {
      if (!nodes) return valueOf(spec, scope, ctx, undefined);
      for (const node of nodes) {
        const v = valueOf(spec, node, ctx, undefined);
        if (v !== undefined) return v;
      }
      return undefined;
    }
    const values: unknown[] = [];
    if (!nodes) valueOf(spec, scope, ctx, values);
    else for (const node of nodes) valueOf(spec, node, ctx, values);
    return values.length > 0 ? values.flat() : undefined;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const code = /selector|pseudo|unmatched|expected|did not/i.test(message) && !/transform|hook/.test(message) ? 'bad_selector' : 'hook_failed';
    const where = index < 0 ? path : `${path}[${index}].${name}`;
    ctx.errors.push({ code, message: `${where}: ${message}`, path: where });
    return undefined;
  }
}

/**
 * One node's value of a field: with `all`, every value is pushed to `values` (undefined returned); without, the
 * value or undefined when the node gives none.
 */
function valueOf(spec: FieldSpec, node: AnyNode, ctx: FieldContext, values: unknown[] | undefined): unknown {
  const got = sourceOf(spec, node, ctx);
  if (got === null || got === undefined) return undefined;
  if (typeof got !== 'string') {
    if (values) values.push(got);
    return values ? undefined : got;
  }
  let src = got;
  if (spec.pattern !== undefined) {
    if (src.length > MAX_PATTERN_INPUT) src = src.slice(0, MAX_PATTERN_INPUT);
    const re = compilePattern(spec.pattern);
    if (values) {
      const global = globalOf(re);
      let count = 0;
      for (const m of src.matchAll(global)) {
        const v = transformAll(spec, pick(m), ctx);
        if (v !== undefined) values.push(v);
        if (++count >= 10_000) break;
      }
      return undefined;
    }
    const m = re.exec(src);
    if (!m) return undefined;
    src = pick(m);
  }
  const v = transformAll(spec, src, ctx);
  if (values && v !== undefined) values.push(v);
  return values ? undefined : v;
}

// ---- coercion of raw field values into typed record fields ----

export function asString(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.length > 0 ? v.map(String).join(' ') : null;
  if (typeof v === 'object' && 'amount' in (v as object)) {
    const m = v as Money;
    return `${m.amount} ${m.currency}`;
  }
  const s = String(v);
  return s === '' ? null : s;
}

export function asNumber(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') return parseNumber(v);
  return null;
}

export function asStringList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x) => asStringList(x));
  if (typeof v === 'string') return v === '' ? [] : [v];
  return [String(v)];
}

export function asMoney(v: unknown): Money | null {
  if (v && typeof v === 'object' && 'amount' in v && 'currency' in v) return v as Money;
  if (typeof v === 'string') return parsePrice(v);
  return null;
}

/** Parses "4.83/5", "~5/5", "5 / 5" and "[0 deals]"-style rating texts, plus deal buckets ("55~70 deals"). */
export function parseRatingText(text: string): {
  rating: number | null;
  ratingMax: number | null;
  approx: boolean;
  dealsMin: number | null;
  dealsMax: number | null;
} {
  const r = /(~)?\s*(\d+(?:[.,]\d+)?)\s*\/\s*(\d+(?:[.,]\d+)?)/.exec(text);
  const deals = /(\d[\d,]*)\s*(?:~|-|to)\s*(\d[\d,]*)\s*(?:deals|sales|orders|transactions)|(\d[\d,]*)\+?\s*(?:deals|sales|orders|transactions)/i.exec(text);
  let dealsMin: number | null = null;
  let dealsMax: number | null = null;
  if (deals) {
    if (deals[3] !== undefined) {
      dealsMin = Number(deals[3].replace(/,/g, ''));
      dealsMax = /\+/.test(deals[0]) ? null : dealsMin;
    } else {
      dealsMin = Number(deals[1]!.replace(/,/g, ''));
      dealsMax = Number(deals[2]!.replace(/,/g, ''));
    }
  }
  return {
    rating: r ? Number(r[2]!.replace(',', '.')) : null,
    ratingMax: r ? Number(r[3]!.replace(',', '.')) : null,
    approx: r ? r[1] === '~' : false,
    dealsMin,
    dealsMax,
  };
}

/** ASCII-armoured PGP blocks in a text (line structure kept). */
export function findPgpBlocks(text: string, max = 20): string[] {
  const out: string[] = [];
  const re =
    /-----BEGIN PGP (?:(PUBLIC KEY BLOCK|MESSAGE|SIGNATURE)-----[\s\S]{0,200000}?-----END PGP \1-----|SIGNED MESSAGE-----[\s\S]{0,200000}?-----END PGP SIGNATURE-----)/g;
  let m: RegExpExecArray | null;
  while (out.length < max && (m = re.exec(text)) !== null) out.push(m[0]);
  return out;
}

export { textOf };
