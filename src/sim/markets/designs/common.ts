import type { SimDay, SimListing, SimMarket, SubstanceClass } from '../../world/index.ts';
import { SUBSTANCE_CLASSES, dayToIsoDate } from '../../world/index.ts';
import { displayAmount, formatPrice } from '../format.ts';
import { priceOn } from '../view.ts';
import { h } from '../html.ts';

export const CATEGORY_LABELS: Record<SubstanceClass, string> = {
  opioid: 'Opioids',
  stimulant: 'Stimulants',
  cannabis: 'Cannabis',
  psychedelic: 'Psychedelics',
  benzodiazepine: 'Benzos',
  dissociative: 'Dissociatives',
  nps: 'Research Chemicals',
  prescription: 'Prescription',
};

export function asCategory(value: string | null | undefined): SubstanceClass | undefined {
  return (SUBSTANCE_CLASSES as readonly string[]).includes(value ?? '') ? (value as SubstanceClass) : undefined;
}

/** A listing's price on `day`, in the market's currency and its design's notation. */
export function price(market: SimMarket, listing: SimListing, day: SimDay): string {
  return formatPrice(market.currency, displayAmount(market.currency, priceOn(listing, day), day), market.design);
}

/** A non-negative integer query parameter, clamped; bad values fall back to `fallback`. */
export function intParam(url: URL, name: string, fallback: number, max = 1_000_000): number {
  const raw = url.searchParams.get(name);
  if (raw === null || !/^\d{1,9}$/.test(raw)) return fallback;
  return Math.min(Number(raw), max);
}

export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

export function slicePage<T>(items: readonly T[], page: number, size: number): T[] {
  return items.slice((page - 1) * size, page * size);
}

export function stars(rating: number): string {
  const r = Math.max(0, Math.min(5, Math.round(rating)));
  return '★'.repeat(r) + '☆'.repeat(5 - r);
}

export function polarity(rating: number): 'positive' | 'neutral' | 'negative' {
  return rating >= 4 ? 'positive' : rating === 3 ? 'neutral' : 'negative';
}

export function serverTime(day: SimDay): string {
  return `<div class="server-time">Server time: ${h(dayToIsoDate(day))} 12:00 UTC</div>`;
}
