import type { DisplayCurrency, SimDay } from './types.ts';
import { SIM_EPOCH_UNIX } from './types.ts';
import { Rng } from './rng.ts';

/**
 * The deterministic daily exchange-rate table of every simulated world (independent of the world seed, so that
 * extraction can convert displayed BTC/XMR prices back to USD without the world).
 * Covers days RATE_FIRST_DAY..RATE_LAST_DAY; days outside are clamped to the nearest end.
 */
export const RATE_FIRST_DAY = -400;
export const RATE_LAST_DAY = 1500;

export interface DailyRate {
  day: SimDay;
  /** ISO date (UTC). */
  date: string;
  /** USD per 1 BTC. */
  btcUsd: number;
  /** USD per 1 XMR. */
  xmrUsd: number;
}

/** Decimal places prices are rounded to in each display currency. */
export const CURRENCY_DECIMALS: Record<DisplayCurrency, number> = { USD: 2, BTC: 8, XMR: 6 };

function buildTable(): DailyRate[] {
  const rng = new Rng('darkpatrol-sim-rates-v1');
  const rows: DailyRate[] = [];
  let btc = 42_000;
  let xmr = 160;
  for (let day = RATE_FIRST_DAY; day <= RATE_LAST_DAY; day++) {
    // Geometric random walks with mild mean reversion, so prices stay in a plausible band.
    btc *= Math.exp(rng.normal(0, 0.025) + 0.02 * Math.log(70_000 / btc) / 30);
    xmr *= Math.exp(rng.normal(0, 0.03) + 0.02 * Math.log(170 / xmr) / 30);
    rows.push({ day, date: dayToIsoDate(day), btcUsd: round(btc, 2), xmrUsd: round(xmr, 2) });
  }
  return rows;
}

let table: DailyRate[] | undefined;

/** The whole table (built once, then shared). */
export function rateTable(): readonly DailyRate[] {
  table ??= buildTable();
  return table;
}

export function rateOn(day: SimDay): DailyRate {
  const t = rateTable();
  const i = Math.min(Math.max(Math.floor(day) - RATE_FIRST_DAY, 0), t.length - 1);
  return t[i] as DailyRate;
}

/** USD → display currency on a day, rounded to the currency's decimals. */
export function usdTo(currency: DisplayCurrency, usd: number, day: SimDay): number {
  if (currency === 'USD') return round(usd, 2);
  const r = rateOn(day);
  const rate = currency === 'BTC' ? r.btcUsd : r.xmrUsd;
  return round(usd / rate, CURRENCY_DECIMALS[currency]);
}

/** Display currency → USD on a day (the inverse extraction needs), rounded to cents. */
export function toUsd(currency: DisplayCurrency, amount: number, day: SimDay): number {
  if (currency === 'USD') return round(amount, 2);
  const r = rateOn(day);
  return round(amount * (currency === 'BTC' ? r.btcUsd : r.xmrUsd), 2);
}

export function usdToBtc(usd: number, day: SimDay): number {
  return usdTo('BTC', usd, day);
}

export function usdToXmr(usd: number, day: SimDay): number {
  return usdTo('XMR', usd, day);
}

export function dayToUnix(day: SimDay): number {
  return SIM_EPOCH_UNIX + day * 86_400;
}

export function dayToIsoDate(day: SimDay): string {
  return new Date(dayToUnix(day) * 1000).toISOString().slice(0, 10);
}

/** The simulated day a unix time falls on. */
export function unixToDay(unix: number): SimDay {
  return Math.floor((unix - SIM_EPOCH_UNIX) / 86_400);
}

/** 'YYYY-MM' of a simulated day. */
export function dayToMonth(day: SimDay): string {
  return dayToIsoDate(day).slice(0, 7);
}

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}
