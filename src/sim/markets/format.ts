import { CURRENCY_DECIMALS, dayToIsoDate, dayToUnix, usdTo } from '../world/index.ts';
import type { DisplayCurrency, MarketDesign, SimDay } from '../world/index.ts';

function trimZeros(fixed: string, minDecimals: number): string {
  const [int, frac = ''] = fixed.split('.');
  let f = frac.replace(/0+$/, '');
  if (f.length < minDecimals) f = f.padEnd(minDecimals, '0');
  return f ? `${int}.${f}` : (int ?? '0');
}

function thousands(fixed: string): string {
  const [int = '0', frac] = fixed.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}

/** The amount shown for `usd` on `day` in `currency`, rounded as the ground truth rounds it. */
export function displayAmount(currency: DisplayCurrency, usd: number, day: SimDay): number {
  return usdTo(currency, usd, day);
}

type Notation = 'trim-suffix' | 'symbol' | 'code-prefix' | 'code-suffix' | 'grouped-symbol';

/**
 * How each design writes each currency. With the default five markets (table BTC, cards USD, list XMR,
 * forum BTC, shop USD) every notation below appears somewhere:
 *   table  "0.0123 BTC"      "$1,234.50"    "1.234567 XMR"
 *   cards  "฿0.01230000"     "$1,234.50"    "ɱ1.234567"
 *   list   "BTC 0.01230000"  "1234.50 USD"  "1.234567 XMR"
 *   forum  "฿0.01230000"     "USD 1234.50"  "XMR 1.234567"
 *   shop   "BTC 0.01230000"  "USD 1234.50"  "ɱ1.234567"
 */
const NOTATIONS: Record<MarketDesign, Record<DisplayCurrency, Notation>> = {
  table: { BTC: 'trim-suffix', USD: 'grouped-symbol', XMR: 'code-suffix' },
  cards: { BTC: 'symbol', USD: 'grouped-symbol', XMR: 'symbol' },
  list: { BTC: 'code-prefix', USD: 'code-suffix', XMR: 'code-suffix' },
  forum: { BTC: 'symbol', USD: 'code-prefix', XMR: 'code-prefix' },
  shop: { BTC: 'code-prefix', USD: 'code-prefix', XMR: 'symbol' },
};

const SYMBOLS: Record<DisplayCurrency, string> = { BTC: '฿', USD: '$', XMR: 'ɱ' };

/**
 * Formats a price as `design` writes it in `currency`. Amounts keep every decimal the ground truth has
 * (BTC 8, XMR 6, USD 2); trailing zeros may be trimmed, never rounded away, so an extractor can recover the
 * exact amount.
 */
export function formatPrice(currency: DisplayCurrency, amount: number, design: MarketDesign): string {
  const fixed = amount.toFixed(CURRENCY_DECIMALS[currency]);
  switch (NOTATIONS[design][currency]) {
    case 'trim-suffix':
      return `${trimZeros(fixed, 4)} ${currency}`;
    case 'symbol':
      return `${SYMBOLS[currency]}${fixed}`;
    case 'grouped-symbol':
      return `${SYMBOLS[currency]}${thousands(fixed)}`;
    case 'code-prefix':
      return `${currency} ${fixed}`;
    case 'code-suffix':
      return `${fixed} ${currency}`;
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export type DateStyle = 'iso' | 'us' | 'eu' | 'relative' | 'long';

/** A sim day as a design prints it; `today` is the server's current sim day (for relative dates). */
export function formatDay(day: SimDay, style: DateStyle, today: SimDay): string {
  const iso = dayToIsoDate(day);
  const [y, m, d] = iso.split('-');
  const month = MONTHS[Number(m) - 1] ?? '';
  switch (style) {
    case 'iso':
      return iso;
    case 'us':
      return `${month} ${Number(d)}, ${y}`;
    case 'eu':
      return `${d}/${m}/${y}`;
    case 'long': {
      const t = new Date(dayToUnix(day) * 1000);
      return t.toUTCString();
    }
    case 'relative': {
      const ago = today - day;
      if (ago <= 0) return 'today';
      if (ago === 1) return 'yesterday';
      if (ago < 60) return `${ago} days ago`;
      return `${Math.floor(ago / 30)} months ago`;
    }
  }
}

/** Buyer names as markets mask them: "b***r", "m***4". */
export function maskBuyer(handle: string): string {
  if (handle.length <= 2) return `${handle[0] ?? '?'}***`;
  return `${handle[0]}***${handle[handle.length - 1]}`;
}

export const COUNTRY_NAMES: Record<string, string> = {
  WW: 'Worldwide', US: 'United States', GB: 'United Kingdom', DE: 'Germany', NL: 'Netherlands', FR: 'France',
  ES: 'Spain', IT: 'Italy', BE: 'Belgium', PL: 'Poland', CA: 'Canada', AU: 'Australia', SE: 'Sweden',
  CZ: 'Czech Republic', AT: 'Austria', CH: 'Switzerland', DK: 'Denmark', NO: 'Norway', FI: 'Finland',
  IE: 'Ireland', PT: 'Portugal', CN: 'China', IN: 'India', CO: 'Colombia', BR: 'Brazil', MX: 'Mexico',
  HK: 'Hong Kong', RU: 'Russia', UA: 'Ukraine', LT: 'Lithuania', EE: 'Estonia', LV: 'Latvia', RO: 'Romania',
  BG: 'Bulgaria', HU: 'Hungary', SK: 'Slovakia', SI: 'Slovenia', HR: 'Croatia', GR: 'Greece', TR: 'Turkey',
  NZ: 'New Zealand', ZA: 'South Africa', JP: 'Japan', TH: 'Thailand', PE: 'Peru', BO: 'Bolivia', AR: 'Argentina',
  EU: 'European Union',
};

export function countryName(code: string): string {
  return COUNTRY_NAMES[code] ?? code;
}

/** Quantity as listing pages print it ("3.5 g", "10 pills x 100 ug"). */
export function formatQuantity(quantity: number, unit: string, dose?: { amount: number; unit: string }): string {
  const q = `${quantity} ${unit}`;
  return dose ? `${q} x ${dose.amount} ${dose.unit}` : q;
}
