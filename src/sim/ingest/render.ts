// Plain-text renderings of what a crawler would capture from the sim: the text of a vendor profile (with the
// armored PGP block the market shows), of a listing page, of a messenger post. Their SHA-256 is the synthetic
// capture's payload digest, and the selector extractor reads exactly these texts.
import { createHash } from 'node:crypto';
import { dayToIsoDate, usdTo, priceOn } from '../world/index.ts';
import { cachedArmoredKey } from './key-cache.ts';
import type { SimAccount, SimListing, SimMarket, SimMessage, SimPgpKey } from '../world/index.ts';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function profileText(account: SimAccount, key: SimPgpKey | undefined): string {
  const head = `${account.handle}\n\n${account.profileText}`;
  return key ? `${head}\n\n${cachedArmoredKey(key).trimEnd()}\n` : head;
}

export interface ListingView {
  day: number;
  usd: number;
  price: number;
  currency: string;
}

/** The price a crawler would read on `day` in the market's display currency. */
export function listingView(l: SimListing, market: SimMarket | undefined, asOfDay: number): ListingView {
  const day = Math.max(l.openDay, Math.min(l.closeDay ?? asOfDay, asOfDay));
  const usd = priceOn(l, day);
  const currency = market?.currency ?? 'USD';
  return { day, usd, price: usdTo(currency, usd, day), currency };
}

export function listingText(l: SimListing, view: ListingView): string {
  return `${l.title}\n\n${l.description}\n\nPrice: ${view.price} ${view.currency}\nShips from: ${l.shipsFrom}\n`
    + `Ships to: ${l.shipsTo.join(', ')}\nSeen: ${dayToIsoDate(view.day)}\n`;
}

export function messageText(m: SimMessage): string {
  return m.parts.map((p) => p.text).join('');
}
