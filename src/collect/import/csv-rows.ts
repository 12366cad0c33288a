/**
 * Reading one CSV scrape row into a listing: each field is checked, and a row that cannot be read faithfully is
 * rejected with the reason — never silently changed (a negative price keeps no sign, a bad date does not become
 * the import time, an unknown currency is not accepted).
 */
import { createHash } from 'node:crypto';

/** Currencies a scrape may price in: ISO 4217 (as the runtime knows them) and the coins markets use. */
const CRYPTO = ['BTC', 'XBT', 'XMR', 'LTC', 'ETH', 'BCH', 'DASH', 'ZEC', 'DOGE', 'USDT', 'USDC'];
let known: Set<string> | undefined;
export function isKnownCurrency(code: string): boolean {
  known ??= new Set([...Intl.supportedValuesOf('currency'), ...CRYPTO]);
  return known.has(code.toUpperCase());
}

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A price as scrapes write it: `80`, `45.50`, `1,234.56`, `45,5`, `$80`, `80 USD`. Negative or non-numeric: rejected. */
export function readPrice(text: string): Read<number> {
  const t = text.trim().replace(/^[$€£¥₿]\s*|\s*[$€£¥₿]$/g, '').replace(/\s*[A-Za-z]{3}$/, '').replace(/^[A-Za-z]{3}\s*/, '').trim();
  if (/^-|^\(.*\)$/.test(t)) return { ok: false, reason: `negative price ${JSON.stringify(text)}` };
  let n: number;
  if (/^\d+(\.\d+)?$/.test(t)) n = Number(t);
  else if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(t)) n = Number(t.replaceAll(',', ''));
  else if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(t)) n = Number(t.replaceAll('.', '').replace(',', '.'));
  else if (/^\d+,\d{1,2}$/.test(t)) n = Number(t.replace(',', '.'));
  else return { ok: false, reason: `price ${JSON.stringify(text)} is not a number` };
  return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, reason: `price ${JSON.stringify(text)} is not a number` };
}

/**
 * A date: ISO 8601 (`2014-04-06`, `2014-04-06 12:30[:00]`, with `T`, `Z` or an offset; without a zone read as
 * UTC) or unix time in seconds or milliseconds. Day-first/month-first forms (`03/04/2014`) are ambiguous: rejected.
 */
export function readDate(text: string): Read<Date> {
  const t = text.trim();
  if (/^\d{9,10}$/.test(t)) return { ok: true, value: new Date(Number(t) * 1000) };
  if (/^\d{12,13}$/.test(t)) return { ok: true, value: new Date(Number(t)) };
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(t);
  if (!m) return { ok: false, reason: `invalid date ${JSON.stringify(text)} (use ISO 8601 such as 2014-04-06 or 2014-04-06T12:30:00Z, or unix time)` };
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (utc.getUTCFullYear() !== y || utc.getUTCMonth() !== mo - 1 || utc.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    return { ok: false, reason: `invalid date ${JSON.stringify(text)} (no such day or time)` };
  }
  if (!m[7] || /^z$/i.test(m[7])) return { ok: true, value: utc };
  const off = /([+-])(\d{2}):?(\d{2})/.exec(m[7])!;
  const minutes = (off[1] === '-' ? -1 : 1) * (Number(off[2]) * 60 + Number(off[3]));
  return { ok: true, value: new Date(utc.getTime() - minutes * 60_000) };
}

/** A row id stable across files and re-imports: the mapped key column, or a digest of the row's content. */
export function rowId(fields: readonly string[], key: string | undefined): string {
  if (key !== undefined && key.trim()) return key.trim().slice(0, 200);
  return `sha256:${createHash('sha256').update(JSON.stringify(fields)).digest('hex').slice(0, 32)}`;
}
