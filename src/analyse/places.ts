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
  'european union': 'European Union',
  europe: 'Europe',
};
const ALIASES: Record<string, string> = {
  uk: 'GB',
  'great britain': 'GB',
  england: 'GB',
  usa: 'US',
  'u.s.a.': 'US',
  'u.s.': 'US',
  america: 'US',
  'united states': 'US',
  'united states of america': 'US',
  holland: 'NL',
  'the netherlands': 'NL',
  russia: 'RU',
  'south korea': 'KR',
  czechia: 'CZ',
  'czech republic': 'CZ',
};

/** The text of a place with case and spacing made uniform, for matching only. */
function folded(raw: string): string {
  return raw.trim().toLowerCase().replace(/\s+/g, ' ');
}

/** Languages markets write country names in besides English ('Deutschland', 'Nederland', 'España', 'Россия'). */
const NATIVE = ['de', 'nl', 'fr', 'es', 'it', 'pt', 'pl', 'ru', 'sv', 'cs'];

function nativeName(text: string): string | undefined {
  for (const lang of NATIVE) {
    const code = countries.getAlpha2Code(text, lang);
    if (code) return code;
  }
  return undefined;
}

const memo = new Map<string, Place>();

/** Places a market's free-text country ('NL', 'Netherlands', 'NLD', 'UK', 'WW', 'Worldwide') on the map. */
export function placeOf(raw: string): Place {
  const hit = memo.get(raw);
  if (hit) return hit;
  const text = raw.trim().replace(/\s+/g, ' ');
  const key = folded(raw);
  let place: Place;
  const alpha2 =
    ALIASES[key] ??
    (/^[a-z]{2}$/.test(key) && countries.isValid(key.toUpperCase()) ? key.toUpperCase() : undefined) ??
    (/^[a-z]{3}$/.test(key) ? countries.alpha3ToAlpha2(key.toUpperCase()) : undefined) ??
    countries.getAlpha2Code(text, 'en') ??
    nativeName(text);
  if (REGIONS[key]) place = { kind: 'region', name: REGIONS[key] };
  else if (alpha2 && countries.alpha2ToNumeric(alpha2)) place = { kind: 'country', alpha2, numeric: countries.alpha2ToNumeric(alpha2)!, name: countries.getName(alpha2, 'en') ?? alpha2 };
  else place = { kind: 'unknown', name: text || 'unknown' };
  if (memo.size < 10_000) memo.set(raw, place);
  return place;
}

/**
 * One key per place, whatever the spelling: a country's ISO 3166-1 alpha-2 code ('US' for 'US', 'USA', 'United
 * States', 'united states of america'), a region's name ('Worldwide' for 'WW' and 'worldwide'), else the text with
 * its spacing made uniform. Every figure grouped by ships-from or ships-to (flows, origins, revenue) groups by this
 * key, so one place is one row. `placeOf(placeKey(x))` is `placeOf(x)`.
 */
export function placeKey(raw: string): string {
  const p = placeOf(raw);
  return p.kind === 'country' ? p.alpha2 : p.name;
}
