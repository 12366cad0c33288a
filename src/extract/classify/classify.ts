import type { FxTable, Money } from '../../domain/money.ts';
import type { SubstanceClassification, UnitPrices } from '../../domain/substance.ts';
import { CANDIDATE_STOPWORDS, CANDIDATE_TERM_RE, DRUGLIKE_RE, MDMA_PILL_LOGOS, NON_DRUG_RE, SUBSTANCES, type SubstanceEntry } from './lexicon.ts';
import { parseAmounts } from './quantity.ts';

/** Lower case, accents folded, separators to single spaces: "5-MeO-DMT" → "5 meo dmt", "#4" → "4". */
export function normaliseTitle(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/&amp;|&#39;|&quot;/g, ' ')
    .replace(/[^a-z0-9µμ%]+/g, ' ')
    .trim();
}

interface AliasIndex {
  alias: string;
  entry: SubstanceEntry;
  weak: boolean;
}

const INDEX: AliasIndex[] = SUBSTANCES.flatMap((entry) => [
  ...entry.aliases.map((a) => ({ alias: normaliseTitle(a), entry, weak: false })),
  ...(entry.weakAliases ?? []).map((a) => ({ alias: normaliseTitle(a), entry, weak: true })),
]).filter((a) => a.alias !== '');
const ALL_ALIASES = new Set(INDEX.map((a) => a.alias));
const LOGOS = MDMA_PILL_LOGOS.map(normaliseTitle);

interface Hit {
  entry: SubstanceEntry;
  pos: number;
  alias: string;
  weak: boolean;
}

function findHit(norm: string): Hit | null {
  const padded = ` ${norm} `;
  let best: Hit | null = null;
  for (const a of INDEX) {
    // Aliases also match with a number glued in front ("10mgxanax" is rare, "28gkush" is not).
    let pos = padded.indexOf(` ${a.alias} `);
    if (pos < 0) {
      const m = new RegExp(`\\d(${a.alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}) `).exec(padded);
      if (!m || a.alias.length < 3 || /^\d/.test(a.alias)) continue;
      pos = m.index + 1;
    }
    const better =
      !best ||
      (best.weak && !a.weak) ||
      (best.weak === a.weak && (pos < best.pos || (pos === best.pos && a.alias.length > best.alias.length)));
    if (better) best = { entry: a.entry, pos, alias: a.alias, weak: a.weak };
  }
  return best;
}

function candidateTerm(title: string): string | null {
  for (const m of title.toLowerCase().matchAll(CANDIDATE_TERM_RE)) {
    const term = m[0];
    if (CANDIDATE_STOPWORDS.has(term)) continue;
    if (/^\d+(?:[.,-]\d+)*\s*(?:mg|g|ug|mcg|ml|x|pcs|pack)?$/.test(term)) continue;
    if (/^\d+(?:mg|g|ug|ml)-/.test(term)) continue;
    if (ALL_ALIASES.has(normaliseTitle(term))) continue;
    return term;
  }
  return null;
}

/**
 * Classifies a listing by its title (and optionally description, used only when the title names no substance):
 * substance class and name, dose, quantity. Titles that look like drugs but name no known substance go to the
 * 'unknown' class with the chemical-looking candidate term kept, for new-substance early warning.
 */
export function classifyListing(title: string, description?: string | null): SubstanceClassification {
  const norm = normaliseTitle(title);
  const { dose, quantity } = parseAmounts(title);
  const hasAmount = dose !== null || (quantity !== null && quantity.unit === 'g');
  const nonDrug = NON_DRUG_RE.test(title);
  let hit = findHit(norm);
  // A weak alias alone ("ice", "speed", "research chemical") needs drug context, and yields to a named new substance.
  if (hit?.weak && ((!hasAmount && !DRUGLIKE_RE.test(title)) || candidateTerm(title) !== null)) hit = null;
  // Non-drug words ("pipe for meth", "Rolex replica") win unless a named substance comes with an amount.
  if (hit && nonDrug && (!hasAmount || hit.weak)) hit = null;
  if (hit) {
    return { substanceClass: hit.entry.class, substance: hit.entry.name, candidateTerm: null, dose, quantity, confidence: hit.weak ? 0.6 : 0.9 };
  }
  const padded = ` ${norm} `;
  const pillContext = /\b(pills?|tabs?|xtc|e pills?|\d+\s*mg)\b/i.test(title) && !/\b(press|dies?|molds?|moulds?|logo)\b/i.test(title);
  if (LOGOS.some((l) => padded.includes(` ${l} `)) && pillContext) {
    return { substanceClass: 'empathogen', substance: 'mdma', candidateTerm: null, dose, quantity, confidence: 0.6 };
  }
  if (nonDrug) return { substanceClass: 'other', substance: null, candidateTerm: null, dose: null, quantity: null, confidence: 0.7 };
  if (description) {
    const d = findHit(normaliseTitle(description.slice(0, 2000)));
    if (d && !d.weak) return { substanceClass: d.entry.class, substance: d.entry.name, candidateTerm: null, dose, quantity, confidence: 0.5 };
  }
  if (DRUGLIKE_RE.test(title)) {
    return { substanceClass: 'unknown', substance: null, candidateTerm: candidateTerm(title), dose, quantity, confidence: 0.3 };
  }
  return { substanceClass: 'other', substance: null, candidateTerm: null, dose, quantity, confidence: 0.4 };
}

/**
 * Price per gram (mass), per millilitre or per unit, in the listing currency and in USD and EUR at the observation
 * date (nearest earlier rate in `fx`). Null parts when the quantity or a rate is unknown.
 */
export function unitPrices(price: Money | null, c: Pick<SubstanceClassification, 'quantity'>, observedAt: string | Date, fx: FxTable): UnitPrices {
  const none: UnitPrices = { perUnit: null, perUnitUsd: null, perUnitEur: null, per: null, rateDate: null };
  if (!price || !c.quantity || !(c.quantity.amount > 0)) return none;
  const perUnit: Money = { amount: price.amount / c.quantity.amount, currency: price.currency };
  const usd = fx.convert(perUnit, 'USD', observedAt);
  const eur = fx.convert(perUnit, 'EUR', observedAt);
  const rate = price.currency === 'USD' ? fx.usdPerUnit('EUR', observedAt) : fx.usdPerUnit(price.currency, observedAt);
  return { perUnit, perUnitUsd: usd ?? null, perUnitEur: eur ?? null, per: c.quantity.unit, rateDate: rate?.date ?? null };
}
