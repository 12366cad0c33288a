export { classifyListing, unitPrices, normaliseTitle } from './classify.ts';
export { parseAmounts, findDoses, type ParsedAmounts } from './quantity.ts';
export { SUBSTANCES, type SubstanceEntry } from './lexicon.ts';
