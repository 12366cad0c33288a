import countries from 'i18n-iso-countries';

/** What a ships-from/ships-to text names: one country (ISO 3166-1), a region, or nothing we can place. */
export type Place = { kind: 'country'; alpha2: string; numeric: string; name: string } | { kind: 'region'; name: string } | { kind: 'unknown'; name: string };

const REGIONS: Record<string, string> = {
  ww: 'Worldwide',
  worldwide: 'Worldwide',
  world: 'Worldwide',
  'world wide': 'Worldwide',
  anywhere: 'Worldwide',
  international: 'Worldwide',
  eu: 'European Union',
  europe: 'Europe',
  'european union': 'European Union',
};
const ALIASES: Record<string, string> = { uk: 'GB', 'great britain': 'GB', england: 'GB', usa: 'US', 'united states': 'US', holland: 'NL', 'the netherlands': 'NL', russia: 'RU', 'south korea': 'KR', czechia: 'CZ' };

const memo = new Map<string, Place>();

/** Places a market's free-text country ('NL', 'Netherlands', 'NLD', 'UK', 'WW', 'Worldwide') on the map. */
export function placeOf(raw: string): Place {
  const hit = memo.get(raw);
  if (hit) return hit;
  const text = raw.trim();
  const key = text.toLowerCase().replace(/\s+/g, ' ');
  let place: Place;
  const alpha2 = ALIASES[key] ?? (/^[a-z]{2}$/.test(key) && countries.isValid(key.toUpperCase()) ? key.toUpperCase() : undefined) ?? (/^[a-z]{3}$/.test(key) ? countries.alpha3ToAlpha2(key.toUpperCase()) : undefined) ?? countries.getAlpha2Code(text, 'en');
  if (REGIONS[key]) place = { kind: 'region', name: REGIONS[key] };
  else if (alpha2 && countries.alpha2ToNumeric(alpha2)) place = { kind: 'country', alpha2, numeric: countries.alpha2ToNumeric(alpha2)!, name: countries.getName(alpha2, 'en') ?? alpha2 };
  else place = { kind: 'unknown', name: text || 'unknown' };
  if (memo.size < 10_000) memo.set(raw, place);
  return place;
}
