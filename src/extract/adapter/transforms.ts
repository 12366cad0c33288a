import { Parser } from 'htmlparser2';
import type { Currency, Money } from '../../domain/money.ts';
import { collapseWhitespace, normaliseLines } from '../html/text.ts';

/** Parses a number written with either decimal convention ("1,234.56", "1.234,56", "12,50", "0.15862175"). */
export function parseNumber(text: string): number | null {
  const m = /[-+]?\d[\d.,'\u00a0 ]*/.exec(text.replace(/(\d) (?=\d{3}\b)/g, '$1'));
  if (!m) return null;
  let s = m[0].replace(/[\u00a0' ]/g, '').replace(/[.,]+$/, '');
  const lastDot = s.lastIndexOf('.');
  const lastComma = s.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) {
    if (lastComma > lastDot) s = s.replace(/\./g, '').replace(',', '.');
    else s = s.replace(/,/g, '');
  } else if (lastComma >= 0) {
    const parts = s.split(',');
    const thousands = parts.length > 2 || (parts.length === 2 && parts[1]!.length === 3 && parts[0] !== '0');
    s = thousands ? parts.join('') : parts.join('.');
  } else if ((s.match(/\./g) ?? []).length > 1) {
    s = s.replace(/\./g, '');
  }
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

export function parseInteger(text: string): number | null {
  const m = /[-+]?\d[\d,.\u00a0 ]*/.exec(text);
  if (!m) return null;
  const n = Number(m[0].replace(/[^\d-+]/g, ''));
  return Number.isSafeInteger(n) ? n : null;
}

interface CurrencyToken {
  currency: Currency;
  factor: number;
}

const CURRENCY_WORDS: Record<string, CurrencyToken> = {
  btc: { currency: 'BTC', factor: 1 },
  xbt: { currency: 'BTC', factor: 1 },
  bitcoin: { currency: 'BTC', factor: 1 },
  bitcoins: { currency: 'BTC', factor: 1 },
  '฿': { currency: 'BTC', factor: 1 },
  'Ƀ': { currency: 'BTC', factor: 1 },
  mbtc: { currency: 'BTC', factor: 1e-3 },
  'µbtc': { currency: 'BTC', factor: 1e-6 },
  'μbtc': { currency: 'BTC', factor: 1e-6 },
  ubtc: { currency: 'BTC', factor: 1e-6 },
  bits: { currency: 'BTC', factor: 1e-6 },
  sat: { currency: 'BTC', factor: 1e-8 },
  sats: { currency: 'BTC', factor: 1e-8 },
  xmr: { currency: 'XMR', factor: 1 },
  monero: { currency: 'XMR', factor: 1 },
  'ɱ': { currency: 'XMR', factor: 1 },
  ltc: { currency: 'LTC', factor: 1 },
  litecoin: { currency: 'LTC', factor: 1 },
  'Ł': { currency: 'LTC', factor: 1 },
  eth: { currency: 'ETH', factor: 1 },
  usd: { currency: 'USD', factor: 1 },
  'us$': { currency: 'USD', factor: 1 },
  $: { currency: 'USD', factor: 1 },
  dollar: { currency: 'USD', factor: 1 },
  dollars: { currency: 'USD', factor: 1 },
  eur: { currency: 'EUR', factor: 1 },
  euro: { currency: 'EUR', factor: 1 },
  euros: { currency: 'EUR', factor: 1 },
  '€': { currency: 'EUR', factor: 1 },
  gbp: { currency: 'GBP', factor: 1 },
  '£': { currency: 'GBP', factor: 1 },
  aud: { currency: 'AUD', factor: 1 },
  'a$': { currency: 'AUD', factor: 1 },
  cad: { currency: 'CAD', factor: 1 },
  'c$': { currency: 'CAD', factor: 1 },
};

const CUR_ALT =
  'm?btc|xbt|µbtc|μbtc|ubtc|bitcoins?|sats?|bits|xmr|monero|ltc|litecoin|eth|usd|us\\$|a\\$|c\\$|dollars?|eur|euros?|gbp|aud|cad|[฿Ƀ$€£ɱŁ]';
const NUM = '\\d{1,3}(?:[,.\\u00a0 ]\\d{3})+(?:[.,]\\d+)?|\\d+(?:[.,]\\d+)?|[.,]\\d+';
/** Amount followed by currency, or currency followed by amount. Words must stand alone ("12 usd", not "12 usda"). */
export const PRICE_RE = new RegExp(
  `(?:(?<cur1>${CUR_ALT})\\s?(?<num1>${NUM})(?![\\d])|(?<num2>${NUM})\\s?(?<cur2>${CUR_ALT})(?![a-z]))`,
  'iu',
);
const PRICE_RE_GLOBAL = new RegExp(PRICE_RE.source, 'giu');

function tokenFor(cur: string): CurrencyToken | undefined {
  return CURRENCY_WORDS[cur.toLowerCase()] ?? CURRENCY_WORDS[cur];
}

function moneyFromMatch(m: RegExpExecArray): (Money & { text: string; index: number }) | null {
  const g = m.groups ?? {};
  const cur = g.cur1 ?? g.cur2;
  const num = g.num1 ?? g.num2;
  if (!cur || !num) return null;
  // A word-currency before the number must itself start at a word boundary ("usd 5", not "thousand 5").
  const token = tokenFor(cur);
  if (!token) return null;
  const amount = parseNumber(num.startsWith('.') || num.startsWith(',') ? `0${num}` : num);
  if (amount === null) return null;
  return { amount: roundMoney(amount * token.factor), currency: token.currency, text: m[0], index: m.index };
}

function roundMoney(n: number): number {
  return Math.round(n * 1e10) / 1e10;
}

/** The first price with a currency in a text, or null. */
export function parsePrice(text: string): Money | null {
  const all = findPrices(text, 1);
  return all[0] ? { amount: all[0].amount, currency: all[0].currency } : null;
}

/** Every price with a currency in a text (in order), at most `max`. */
export function findPrices(text: string, max = 50): (Money & { text: string; index: number })[] {
  const out: (Money & { text: string; index: number })[] = [];
  PRICE_RE_GLOBAL.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (out.length < max && (m = PRICE_RE_GLOBAL.exec(text)) !== null) {
    const before = m.index > 0 ? text[m.index - 1]! : ' ';
    if (/[a-z0-9]/i.test(before) && /^[a-z]/i.test(m[0])) continue;
    const money = moneyFromMatch(m);
    if (money) out.push(money);
  }
  return out;
}

const UNIT_MS: Record<string, number> = {
  second: 1000,
  sec: 1000,
  minute: 60_000,
  min: 60_000,
  hour: 3_600_000,
  hr: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 30 * 86_400_000,
  year: 365 * 86_400_000,
};

/** ISO date (YYYY-MM-DD) from an absolute date or a relative age resolved against `now`. */
export function parseDate(text: string, now: Date): string | null {
  const t = text.trim().toLowerCase();
  if (t === '') return null;
  if (/\btoday\b|\bjust now\b/.test(t)) return now.toISOString().slice(0, 10);
  if (/\byesterday\b/.test(t)) return new Date(now.getTime() - 86_400_000).toISOString().slice(0, 10);
  const rel = /(\d+|an?|one)\s*(second|sec|minute|min|hour|hr|day|week|month|year)s?\s+ago/.exec(t);
  if (rel) {
    const n = rel[1] === 'a' || rel[1] === 'an' || rel[1] === 'one' ? 1 : Number(rel[1]);
    return new Date(now.getTime() - n * UNIT_MS[rel[2]!]!).toISOString().slice(0, 10);
  }
  const iso = /(\d{4})-(\d{2})-(\d{2})/.exec(t);
  if (iso) return validDay(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const dmy = /\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b/.exec(t);
  if (dmy) return validDay(Number(dmy[3]), Number(dmy[2]), Number(dmy[1]));
  if (/\d{4}/.test(t)) {
    const ms = Date.parse(`${text.trim().replace(/(\d)(st|nd|rd|th)\b/gi, '$1')} UTC`);
    if (!Number.isNaN(ms)) return new Date(ms).toISOString().slice(0, 10);
  }
  return null;
}

function validDay(y: number, m: number, d: number): string | null {
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1990 || y > 2100) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** Splits a destinations-like list. A list with an exception ("Worldwide except X, Y") stays one entry. */
export function splitList(text: string): string[] {
  const t = collapseWhitespace(text);
  if (t === '') return [];
  if (/\b(except|excluding|but not|not to)\b/i.test(t)) return [t];
  return t
    .split(/\s*(?:[,;|/]|\band\b|&)\s*/i)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Decodes HTML entities left in already-decoded text (markets that escape twice). Never interprets tags. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  let out = '';
  const parser = new Parser({ ontext: (t) => (out += t) }, { decodeEntities: true });
  parser.end(text.replace(/</g, '&lt;'));
  return out;
}

/**
 * A root-relative href of plain path and query characters only: no dot segment (`/.`), no percent sign (`%2e` is a
 * dot too), nothing the URL parser encodes, strips or reads as a separator (space, `\\`, `#`, `//` host). Against an
 * http(s) base without credentials `new URL` returns the base's origin followed by such an href unchanged.
 */
const PLAIN_ROOT_RELATIVE = /^\/(?![/.])(?:[A-Za-z0-9\-_~?=&]|\/(?!\.)|\.)*$/;

function plainBase(base: URL): boolean {
  return (base.protocol === 'http:' || base.protocol === 'https:') && base.username === '' && base.password === '';
}

export function resolveUrl(href: string, base: URL): string | null {
  // The same value `new URL` gives for the common case (the same vendor and listing links on every row), without
  // building a URL object for it.
  if (PLAIN_ROOT_RELATIVE.test(href) && plainBase(base)) return base.origin + href;
  try {
    const u = new URL(href.trim(), base);
    u.hash = '';
    return u.toString();
  } catch {
    return null;
  }
}

export { collapseWhitespace, normaliseLines };
