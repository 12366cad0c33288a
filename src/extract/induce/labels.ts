// Labelled example pages for adapter induction: what an analyst clicked (or typed) on a few captured pages of a
// new market, per page type. Read from a JSON file (CLI) or built by the console; hostile input gets a clear error.
import { PAGE_TYPES, type PageType } from '../types.ts';

/** The fields an analyst can label, per record kind, and how their values compare. */
export const INDUCE_FIELDS = {
  'listing.title': { record: 'listings', name: 'title', kind: 'text' },
  'listing.price': { record: 'listings', name: 'price', kind: 'price' },
  'listing.vendorHandle': { record: 'listings', name: 'vendorHandle', kind: 'text' },
  'listing.shipsFrom': { record: 'listings', name: 'shipsFrom', kind: 'place' },
  'listing.shipsTo': { record: 'listings', name: 'shipsTo', kind: 'places' },
  'listing.category': { record: 'listings', name: 'category', kind: 'path' },
  'listing.description': { record: 'listings', name: 'description', kind: 'text' },
  'vendor.handle': { record: 'vendors', name: 'handle', kind: 'text' },
  'vendor.rating': { record: 'vendors', name: 'rating', kind: 'number' },
  'vendor.level': { record: 'vendors', name: 'level', kind: 'text' },
  'vendor.profileText': { record: 'vendors', name: 'profileText', kind: 'text' },
} as const;

export type InduceFieldKey = keyof typeof INDUCE_FIELDS;
export type FieldKind = (typeof INDUCE_FIELDS)[InduceFieldKey]['kind'];
export type RecordKind = 'listings' | 'vendors';
export const INDUCE_FIELD_KEYS = Object.keys(INDUCE_FIELDS) as InduceFieldKey[];

export interface Money {
  amount: number;
  currency: string;
}

/** A clicked element (CSS path from the page root), with the value it shows when the analyst corrected it. */
export interface CssLabel {
  css: string | string[];
}

/** A value as shown on the page (text, number, list of items, price), a clicked element, or null (absent here). */
export type LabelValue = string | number | string[] | Money | CssLabel | null;

export interface PageLabel {
  /** Path of the captured page, relative to the pages directory (CLI) or a capture reference (console). */
  file: string;
  /** The page's URL (optional; page types are induced from structure, not from URLs). */
  url?: string;
  pageType: PageType;
  fields?: Partial<Record<InduceFieldKey, LabelValue>>;
  /** The rating scale when the page prints none (e.g. 100 for "(99%)"). */
  ratingMax?: number;
  /** Record kinds this page has none of although its type usually does (a buyer's profile: ['vendors']). */
  none?: RecordKind[];
}

export interface LabelFile {
  /** Market name stored with the facts. */
  market: string;
  /** Adapter id (default: derived from the market name). */
  id?: string;
  /** Hostnames the adapter serves (default: the hosts of the labelled pages' URLs). */
  hosts?: string[];
  pages: PageLabel[];
}

export class LabelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelError';
  }
}

const MAX_PAGES = 200;
const MAX_TEXT = 20_000;

function isMoney(v: unknown): v is Money {
  return typeof v === 'object' && v !== null && typeof (v as Money).amount === 'number' && typeof (v as Money).currency === 'string';
}

export function isCssLabel(v: unknown): v is CssLabel {
  if (typeof v !== 'object' || v === null || !('css' in v)) return false;
  const css = (v as CssLabel).css;
  return typeof css === 'string' || (Array.isArray(css) && css.every((c) => typeof c === 'string'));
}

function checkValue(v: unknown, where: string): LabelValue {
  if (v === null) return null;
  if (typeof v === 'string') {
    if (v.length > MAX_TEXT) throw new LabelError(`${where}: value longer than ${MAX_TEXT} characters`);
    return v;
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LabelError(`${where}: number is not finite`);
    return v;
  }
  if (Array.isArray(v)) {
    if (v.length > 200 || !v.every((x) => typeof x === 'string' && x.length <= 1000)) throw new LabelError(`${where}: a list must hold at most 200 strings`);
    return v as string[];
  }
  if (isMoney(v)) {
    if (!Number.isFinite(v.amount) || !/^[A-Z]{3,4}$/.test(v.currency)) throw new LabelError(`${where}: price needs a finite amount and a currency code (USD, BTC…)`);
    return { amount: v.amount, currency: v.currency };
  }
  if (isCssLabel(v)) {
    const list = Array.isArray(v.css) ? v.css : [v.css];
    if (list.length === 0 || list.length > 200 || list.some((c) => c.length === 0 || c.length > 2000)) throw new LabelError(`${where}: css must be 1-200 non-empty selectors`);
    return { css: v.css };
  }
  throw new LabelError(`${where}: a value is a string, a number, a list of strings, {amount, currency}, {css} or null`);
}

/** Validates a parsed label file. Throws LabelError naming the first problem. */
export function parseLabels(raw: unknown): LabelFile {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new LabelError('labels must be a JSON object { market, pages: [...] }');
  const o = raw as Record<string, unknown>;
  if (typeof o.market !== 'string' || o.market.trim() === '' || o.market.length > 200) throw new LabelError('labels.market must be a non-empty string');
  if (o.id !== undefined && (typeof o.id !== 'string' || !/^[a-z][a-z0-9_-]{0,62}$/.test(o.id))) throw new LabelError('labels.id must match ^[a-z][a-z0-9_-]{0,62}$');
  if (o.hosts !== undefined && (!Array.isArray(o.hosts) || !o.hosts.every((h) => typeof h === 'string' && /^[a-z0-9.-]{1,255}$/i.test(h)))) throw new LabelError('labels.hosts must be a list of hostnames');
  if (!Array.isArray(o.pages) || o.pages.length === 0) throw new LabelError('labels.pages must be a non-empty list');
  if (o.pages.length > MAX_PAGES) throw new LabelError(`at most ${MAX_PAGES} labelled pages`);
  const pages: PageLabel[] = o.pages.map((p: unknown, i: number) => {
    const where = `pages[${i}]`;
    if (typeof p !== 'object' || p === null) throw new LabelError(`${where} must be an object`);
    const q = p as Record<string, unknown>;
    if (typeof q.file !== 'string' || q.file === '' || q.file.length > 1000) throw new LabelError(`${where}.file must be a non-empty string`);
    if (q.url !== undefined && typeof q.url !== 'string') throw new LabelError(`${where}.url must be a string`);
    if (typeof q.pageType !== 'string' || !(PAGE_TYPES as readonly string[]).includes(q.pageType)) throw new LabelError(`${where}.pageType must be one of ${PAGE_TYPES.join(', ')}`);
    const fields: Partial<Record<InduceFieldKey, LabelValue>> = {};
    if (q.fields !== undefined) {
      if (typeof q.fields !== 'object' || q.fields === null) throw new LabelError(`${where}.fields must be an object`);
      for (const [k, v] of Object.entries(q.fields)) {
        if (!(k in INDUCE_FIELDS)) throw new LabelError(`${where}.fields: unknown field '${k}' (known: ${INDUCE_FIELD_KEYS.join(', ')})`);
        fields[k as InduceFieldKey] = checkValue(v, `${where}.fields.${k}`);
      }
    }
    if (q.ratingMax !== undefined && (typeof q.ratingMax !== 'number' || !(q.ratingMax > 0))) throw new LabelError(`${where}.ratingMax must be a positive number`);
    if (q.none !== undefined && (!Array.isArray(q.none) || !q.none.every((n) => n === 'listings' || n === 'vendors'))) throw new LabelError(`${where}.none must list 'listings' and/or 'vendors'`);
    return {
      file: q.file,
      url: q.url as string | undefined,
      pageType: q.pageType as PageType,
      fields,
      ratingMax: q.ratingMax as number | undefined,
      none: q.none as RecordKind[] | undefined,
    };
  });
  return { market: o.market.trim(), id: o.id as string | undefined, hosts: o.hosts as string[] | undefined, pages };
}
