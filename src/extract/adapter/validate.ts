import { load } from 'cheerio/slim';
import { PAGE_TYPES } from '../types.ts';
import { compilePattern } from './fields.ts';
import type { Adapter, FieldSpec, PageSpec, RecordSpec } from './types.ts';

export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

const SEMVER_RE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const ID_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const BUILTIN = new Set(['text', 'lines', 'number', 'integer', 'price', 'date', 'url', 'list', 'lower', 'decodeEntities']);

/**
 * Checks an adapter before use: id and semver, page types, every selector parses, every pattern compiles, every
 * hook a field names exists. Throws AdapterError listing all problems (an adapter is code we ship, so fail loudly
 * at load time; extraction itself never throws).
 */
export function validateAdapter(adapter: Adapter): Adapter {
  const problems: string[] = [];
  if (!ID_RE.test(adapter.id)) problems.push(`id '${adapter.id}' must match ${ID_RE}`);
  if (!SEMVER_RE.test(adapter.version)) problems.push(`version '${adapter.version}' is not semver`);
  if (!adapter.market) problems.push('market is required');
  const $ = load('<html><body><div></div></body></html>');
  const checkSelector = (sel: string | undefined, where: string) => {
    if (sel === undefined) return;
    try {
      $(sel);
    } catch (e) {
      problems.push(`${where}: bad selector '${sel}': ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const checkPattern = (p: string | RegExp | undefined, where: string) => {
    if (p === undefined) return;
    try {
      compilePattern(p);
    } catch (e) {
      problems.push(`${where}: bad pattern: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const checkField = (f: FieldSpec, where: string) => {
    checkSelector(f.selector, where);
    checkPattern(f.pattern, where);
    if (f.value !== undefined && typeof f.value !== 'string' && typeof f.value !== 'number') problems.push(`${where}: value must be a string or a number`);
    if (f.from === 'attr' && !f.attr) problems.push(`${where}: from 'attr' needs attr`);
    if (f.hook !== undefined && !adapter.hooks?.fields?.[f.hook]) problems.push(`${where}: unknown field hook '${f.hook}'`);
    const ts = f.transform === undefined ? [] : Array.isArray(f.transform) ? f.transform : [f.transform];
    for (const t of ts) {
      if (t.startsWith('hook:')) {
        if (!adapter.hooks?.transforms?.[t.slice(5)]) problems.push(`${where}: unknown transform '${t}'`);
      } else if (!BUILTIN.has(t)) {
        problems.push(`${where}: unknown transform '${t}'`);
      }
    }
  };
  adapter.pageTypes.forEach((r, i) => {
    if (!(PAGE_TYPES as readonly string[]).includes(r.type)) problems.push(`pageTypes[${i}]: unknown type '${r.type}'`);
    checkSelector(r.selector, `pageTypes[${i}]`);
    checkSelector(r.notSelector, `pageTypes[${i}]`);
    checkPattern(r.url, `pageTypes[${i}].url`);
    checkPattern(r.text, `pageTypes[${i}].text`);
  });
  for (const [type, spec] of Object.entries(adapter.pages) as [string, PageSpec][]) {
    if (!(PAGE_TYPES as readonly string[]).includes(type)) problems.push(`pages.${type}: unknown page type`);
    for (const kind of ['listings', 'vendors', 'feedback'] as const) {
      const rs = spec[kind] as RecordSpec<string> | undefined;
      if (!rs) continue;
      checkSelector(rs.scope, `pages.${type}.${kind}.scope`);
      for (const [name, f] of Object.entries(rs.fields) as [string, FieldSpec | FieldSpec[]][]) {
        (Array.isArray(f) ? f : [f]).forEach((alt, i) => checkField(alt, `pages.${type}.${kind}.${name}[${i}]`));
      }
    }
    for (const k of ['breadcrumbs', 'pagination', 'nextPage'] as const) {
      const f = spec[k];
      if (f) checkField(f, `pages.${type}.${k}`);
    }
  }
  if (problems.length > 0) throw new AdapterError(`adapter ${adapter.id}@${adapter.version}: ${problems.join('; ')}`);
  return adapter;
}

/** Compares two semver strings (pre-release ignored): negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[-+]/)[0]!.split('.').map(Number);
  const pb = b.split(/[-+]/)[0]!.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
