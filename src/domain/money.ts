import { lowerBound } from './sorted.ts';

/**
 * Money and currency conversion. A listing's price is kept in the currency the market showed; conversions use a
 * dated rate table (`FxTable`) that the user can update from a CSV `date,currency,usd`, looked up at the nearest
 * earlier date so a 2014 observation is valued at 2014 rates.
 */
export const CURRENCIES = ['BTC', 'XMR', 'LTC', 'ETH', 'USD', 'EUR', 'GBP', 'AUD', 'CAD'] as const;
export type Currency = (typeof CURRENCIES)[number];

export function isCurrency(value: string): value is Currency {
  return (CURRENCIES as readonly string[]).includes(value);
}

/** An amount in a currency. `amount` is a plain JS number: prices on markets have at most 8-12 decimals. */
export interface Money {
  amount: number;
  currency: Currency;
}

/** One row of the rate table: 1 unit of `currency` was worth `usd` US dollars on `date` (YYYY-MM-DD, UTC). */
export interface FxRate {
  date: string;
  currency: Currency;
  usd: number;
}

export class FxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FxError';
  }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isRealDay(day: string): boolean {
  if (!DATE_RE.test(day)) return false;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day;
}

function toDay(date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new FxError('invalid date');
    return date.toISOString().slice(0, 10);
  }
  const day = date.slice(0, 10);
  if (!isRealDay(day)) throw new FxError(`invalid date '${date}' (expected YYYY-MM-DD)`);
  return day;
}

/**
 * A dated table of USD values per currency. USD is always 1. Lookups return the rate of the nearest date on or
 * before the asked date; asking before the first known date is an error (valuing 2013 trade at 2021 rates would be
 * silently wrong).
 */
export class FxTable {
  private readonly byCurrency = new Map<Currency, { dates: string[]; usd: number[] }>();

  constructor(rates: Iterable<FxRate> = []) {
    for (const r of rates) this.set(r);
  }

  /** Adds or replaces the rate of one currency on one day. */
  set(rate: FxRate): void {
    if (!isCurrency(rate.currency)) throw new FxError(`unknown currency '${String(rate.currency)}'`);
    if (!(Number.isFinite(rate.usd) && rate.usd > 0)) throw new FxError(`rate for ${rate.currency} on ${rate.date} must be a positive number`);
    const day = toDay(rate.date);
    let series = this.byCurrency.get(rate.currency);
    if (!series) {
      series = { dates: [], usd: [] };
      this.byCurrency.set(rate.currency, series);
    }
    const i = lowerBound(series.dates, day);
    if (series.dates[i] === day) {
      series.usd[i] = rate.usd;
    } else {
      series.dates.splice(i, 0, day);
      series.usd.splice(i, 0, rate.usd);
    }
  }

  /** USD value of one unit of `currency` at `date` (nearest earlier date), or undefined when unknown. */
  usdPerUnit(currency: Currency, date: string | Date): { usd: number; date: string } | undefined {
    const day = toDay(date);
    if (currency === 'USD') return { usd: 1, date: day };
    const series = this.byCurrency.get(currency);
    if (!series) return undefined;
    const i = lowerBound(series.dates, day);
    const idx = series.dates[i] === day ? i : i - 1;
    if (idx < 0) return undefined;
    return { usd: series.usd[idx]!, date: series.dates[idx]! };
  }

  /** Converts money to `to` at `date`; undefined when a rate is missing for that date. */
  convert(money: Money, to: Currency, date: string | Date): Money | undefined {
    if (money.currency === to) return { amount: money.amount, currency: to };
    const from = this.usdPerUnit(money.currency, date);
    const target = this.usdPerUnit(to, date);
    if (!from || !target) return undefined;
    return { amount: (money.amount * from.usd) / target.usd, currency: to };
  }

  /** All rows, sorted by currency then date (for saving the table back to CSV). */
  rows(): FxRate[] {
    const out: FxRate[] = [];
    for (const [currency, s] of [...this.byCurrency.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
      s.dates.forEach((date, i) => out.push({ date, currency, usd: s.usd[i]! }));
    }
    return out;
  }

  get size(): number {
    let n = 0;
    for (const s of this.byCurrency.values()) n += s.dates.length;
    return n;
  }
}

/**
 * Parses a rate CSV (`date,currency,usd`, header optional, `#` comments allowed). Throws FxError naming the line
 * of the first bad row, so a user updating the table learns exactly what to fix.
 */
export function parseFxCsv(csv: string): FxRate[] {
  const out: FxRate[] = [];
  const lines = csv.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    if (i === 0 && cells[0]?.toLowerCase() === 'date') return;
    if (cells.length !== 3) throw new FxError(`line ${i + 1}: expected 3 columns date,currency,usd, got ${cells.length}`);
    const [date, cur, usdText] = cells as [string, string, string];
    if (!isRealDay(date)) throw new FxError(`line ${i + 1}: invalid date '${date}'`);
    const currency = cur.toUpperCase();
    if (!isCurrency(currency)) throw new FxError(`line ${i + 1}: unknown currency '${cur}'`);
    const usd = Number(usdText);
    if (!(Number.isFinite(usd) && usd > 0)) throw new FxError(`line ${i + 1}: invalid usd value '${usdText}'`);
    out.push({ date, currency, usd });
  });
  return out;
}

export function fxTableFromCsv(csv: string): FxTable {
  return new FxTable(parseFxCsv(csv));
}

export function fxTableToCsv(table: FxTable): string {
  return ['date,currency,usd', ...table.rows().map((r) => `${r.date},${r.currency},${r.usd}`)].join('\n') + '\n';
}

/**
 * A small built-in table (monthly, approximate public closing prices) so conversions work out of the box for
 * the fixture and simulation periods. Users load their own authoritative table with `fxTableFromCsv`.
 */
export const DEFAULT_FX_CSV = `date,currency,usd
2013-10-01,BTC,125
2013-10-01,EUR,1.35
2013-10-01,LTC,2.3
2014-01-01,BTC,770
2014-01-01,EUR,1.37
2014-01-01,LTC,24
2014-04-01,BTC,480
2014-04-01,EUR,1.38
2014-04-01,LTC,12
2014-04-06,BTC,453.91
2014-07-01,BTC,640
2014-07-01,EUR,1.37
2015-01-01,BTC,315
2015-01-01,EUR,1.21
2015-01-01,LTC,2.7
2016-01-01,BTC,430
2016-01-01,EUR,1.09
2016-01-01,XMR,0.45
2016-01-01,LTC,3.5
2017-01-01,BTC,1000
2017-01-01,EUR,1.05
2017-01-01,XMR,14
2017-01-01,LTC,4.4
2017-07-01,BTC,2500
2017-07-01,EUR,1.14
2017-07-01,XMR,45
2018-01-01,BTC,13500
2018-01-01,EUR,1.2
2018-01-01,XMR,350
2018-01-01,LTC,230
2019-01-01,BTC,3800
2019-01-01,EUR,1.15
2019-01-01,XMR,47
2019-01-01,LTC,31
2020-01-01,BTC,7200
2020-01-01,EUR,1.12
2020-01-01,XMR,45
2020-01-01,LTC,42
2021-01-01,BTC,29000
2021-01-01,EUR,1.22
2021-01-01,XMR,125
2021-01-01,LTC,125
2022-01-01,BTC,47000
2022-01-01,EUR,1.13
2022-01-01,XMR,230
2022-01-01,LTC,147
2023-01-01,BTC,16500
2023-01-01,EUR,1.07
2023-01-01,XMR,145
2023-01-01,LTC,70
2024-01-01,BTC,42000
2024-01-01,EUR,1.1
2024-01-01,XMR,165
2024-01-01,LTC,72
2025-01-01,BTC,94000
2025-01-01,EUR,1.04
2025-01-01,XMR,195
2025-01-01,LTC,103
2026-01-01,BTC,90000
2026-01-01,EUR,1.17
2026-01-01,XMR,400
2026-01-01,LTC,80
`;

export function defaultFxTable(): FxTable {
  return fxTableFromCsv(DEFAULT_FX_CSV);
}
