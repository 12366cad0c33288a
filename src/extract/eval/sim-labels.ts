// What the sim markets print for values the ground truth keeps as codes: country names and category labels.
// Used only to compare extracted text with the truth; an unknown name compares as itself.

const COUNTRIES: Record<string, string> = {
  worldwide: 'WW', 'united states': 'US', 'united kingdom': 'GB', germany: 'DE', netherlands: 'NL', france: 'FR',
  spain: 'ES', italy: 'IT', belgium: 'BE', poland: 'PL', canada: 'CA', australia: 'AU', sweden: 'SE',
  'czech republic': 'CZ', austria: 'AT', switzerland: 'CH', denmark: 'DK', norway: 'NO', finland: 'FI',
  ireland: 'IE', portugal: 'PT', china: 'CN', india: 'IN', colombia: 'CO', brazil: 'BR', mexico: 'MX',
  'hong kong': 'HK', russia: 'RU', ukraine: 'UA', lithuania: 'LT', estonia: 'EE', latvia: 'LV', romania: 'RO',
  bulgaria: 'BG', hungary: 'HU', slovakia: 'SK', slovenia: 'SI', croatia: 'HR', greece: 'GR', turkey: 'TR',
  'new zealand': 'NZ', 'south africa': 'ZA', japan: 'JP', thailand: 'TH', peru: 'PE', bolivia: 'BO', argentina: 'AR',
  'european union': 'EU', usa: 'US', 'u.s.a.': 'US', uk: 'GB', 'great britain': 'GB', england: 'GB', holland: 'NL',
  'world wide': 'WW', world: 'WW', global: 'WW', eu: 'EU',
};

/** "Germany" → "DE", "DE" → "DE", "Worldwide" → "WW"; anything else unchanged (trimmed). */
export function countryCode(shown: string): string {
  const t = shown.trim();
  if (/^[A-Z]{2}$/.test(t)) return t;
  return COUNTRIES[t.toLowerCase()] ?? t;
}

const CATEGORIES: Record<string, string> = {
  opioids: 'opioid', stimulants: 'stimulant', cannabis: 'cannabis', psychedelics: 'psychedelic',
  benzos: 'benzodiazepine', dissociatives: 'dissociative', 'research chemicals': 'nps', prescription: 'prescription',
};

/** "Opioids" → "opioid" (the substance class); anything else lower-cased. */
export function categoryClass(shown: string): string {
  const t = shown.trim().toLowerCase();
  return CATEGORIES[t] ?? t;
}
