// Pieces shared by the adapters of the five simulated market designs (src/sim/markets/designs/): value
// transforms and the login-page rule. Each design's adapter stays declarative; only what a selector and a
// pattern cannot say is a hook here.
import type { AdapterHooks, FieldSpec, HookContext } from '../adapter/types.ts';
import type { ExtractResult, PageType } from '../types.ts';
import { parseDate } from '../adapter/transforms.ts';

/** The sim market designs, in the sim's own naming ('table' | 'cards' | 'list' | 'forum' | 'shop'). */
export const SIM_DESIGNS = ['table', 'cards', 'list', 'forum', 'shop'] as const;
export type SimDesign = (typeof SIM_DESIGNS)[number];

function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * A relative age only when it names a day ("today", "yesterday", "12 days ago"). "3 months ago" does not say
 * which day, so it gives no date (the text stays in `postedAtText`).
 */
function exactDay(value: string, ctx: HookContext): string | undefined {
  const t = value.trim().toLowerCase();
  if (/\b(month|year|week)s?\b/.test(t)) return undefined;
  return parseDate(value, ctx.capturedAt) ?? undefined;
}

/** "Out of stock", "sold out", "Currently unavailable": nothing left. */
function zero(): number {
  return 0;
}

/** Profile text without the PGP block the market printed inside the same element. */
function beforePgp(value: string): string | undefined {
  const i = value.indexOf('-----BEGIN PGP');
  const text = (i >= 0 ? value.slice(0, i) : value).trim();
  return text === '' ? undefined : text;
}

/** "[positive]" / "[neutral]" / "[negative]" → 1 / 0 / -1 (the scale of markets that show only polarity). */
function polarity(value: string): number | undefined {
  const t = value.trim().toLowerCase();
  if (t.startsWith('pos')) return 1;
  if (t.startsWith('neu')) return 0;
  if (t.startsWith('neg')) return -1;
  return undefined;
}

export const simTransforms: NonNullable<AdapterHooks['transforms']> = { urlDecode, exactDay, zero, beforePgp, polarity };

/**
 * Every sim design's login form also carries an image CAPTCHA; the generic blocking-page rule would call it a
 * captcha wall. A page with a password field is the login form (the CAPTCHA is part of it).
 */
export function simDetectPageType({ $ }: Omit<HookContext, 'pageType'>): PageType | undefined {
  if ($('form input[type="password" i]').length > 0) return 'login';
  return undefined;
}

/** Sets `ratingMax` on feedback rows of markets whose scale is implied, not printed. */
export function setRatingMax(result: ExtractResult, max: number): void {
  for (const f of result.feedback) if (f.rating !== null && f.ratingMax === null) f.ratingMax = max;
}

// ---- field spec builders ----

/** The id captured by `pattern` in the href of the first `selector` link, URL-decoded. */
export function hrefId(selector: string, pattern: string): FieldSpec {
  return { selector, from: 'attr', attr: 'href', pattern, transform: 'hook:urlDecode' };
}

export function hrefUrl(selector: string): FieldSpec {
  return { selector, from: 'attr', attr: 'href', transform: 'url' };
}

/** A value from the page URL (path + query), e.g. the listing id of a feedback page. */
export function fromUrl(pattern: string): FieldSpec {
  return { from: 'url', pattern, transform: 'hook:urlDecode' };
}

/** `price` (amount + currency) and `priceText` (as shown) from one element; no selector = the record's scope. */
export function price(selector: string | undefined, pattern?: string): { price: FieldSpec; priceText: FieldSpec } {
  const src: FieldSpec = { ...(selector ? { selector } : {}), ...(pattern ? { pattern } : {}) };
  return { price: { ...src, transform: 'price', required: true }, priceText: src };
}
