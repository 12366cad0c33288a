/**
 * Ships-to text as destinations and exclusions. Vendors write exclusions into the ships-to field ("Worldwide
 * except Australia, New Zealand", "WorldWide, No Finland", "We do not ship to USA / Canada"); read as a list,
 * they became destinations — the opposite of what they say. They feed the ranking's reach and the partner feeds'
 * country filter, so they are kept apart.
 */
import { collapseWhitespace } from '../html/text.ts';

export interface Destinations {
  /** Where the vendor ships ("Worldwide", "EU", "Germany"), as written. */
  to: string[];
  /** Where the vendor says it does not ship, as written ("Finland", "USA"). */
  excluded: string[];
}

/** Words that open an exclusion: everything after them, up to the end of the clause, is excluded. */
const EXCEPT_RE = /\b(?:except(?:\s+for)?|excluding|excl\.?|but\s+not(?:\s+to)?|not\s+to|other\s+than|apart\s+from)\b\s*:?\s*/i;
const NEGATED_SHIP_RE =
  /\b(?:(?:we|i)\s+)?(?:do\s+not|don'?t|does\s+not|doesn'?t|will\s+not|won'?t|can\s*not|can'?t|never|no\s+longer)\s+ship(?:ping)?\s+(?:to|in(?:to)?)\b\s*:?\s*/i;
const NO_SHIPPING_RE = /\bno\s+(?:shipping|shipments?|deliver(?:y|ies))\s+(?:to|in(?:to)?)\b\s*:?\s*/i;
/** "No Finland", "not USA", "!Canada" as one list item. */
const ITEM_NEGATION_RE = /^(?:(?:no|not|non|never|except)\b\.?|excl\.|!|-)\s*(?=\S)/i;
const FILLER_RE = /^(?:the|and|or|to)\s+|\s+(?:please|sorry)$/gi;
const SPLIT_RE = /\s*(?:[,;|/+]|\band\b|\bor\b|&|\n)\s*/i;

function items(text: string): string[] {
  return text
    .split(SPLIT_RE)
    .map((s) => s.replace(/[.!)(\]["']+$/g, '').replace(/^[.!([)"'\s]+/g, '').replace(FILLER_RE, '').trim())
    .filter((s) => s !== '' && s.length <= 60 && /\p{L}/u.test(s));
}

/**
 * Reads a ships-to value. `to` keeps the positive destinations as written; an exclusion clause moves its items to
 * `excluded` ("Worldwide except A, B or C" → to [Worldwide], excluded [A, B, C]).
 */
export function parseDestinations(raw: string | string[]): Destinations {
  const text = collapseWhitespace(Array.isArray(raw) ? raw.join(', ') : raw).slice(0, 2000);
  const to: string[] = [];
  const excluded: string[] = [];
  if (text === '') return { to, excluded };
  // Clauses separated by sentence ends: "Worldwide. We do not ship to USA / Canada".
  for (const clause of text.split(/(?<=[.!?])\s+(?=[A-Z])/)) {
    const neg = NEGATED_SHIP_RE.exec(clause) ?? NO_SHIPPING_RE.exec(clause);
    const exc = EXCEPT_RE.exec(clause);
    const cut = [neg, exc].filter((m): m is RegExpExecArray => m !== null).sort((a, b) => a.index - b.index)[0];
    const positive = cut ? clause.slice(0, cut.index) : clause;
    const negative = cut ? clause.slice(cut.index + cut[0].length) : '';
    for (const item of items(positive)) {
      if (ITEM_NEGATION_RE.test(item)) excluded.push(item.replace(ITEM_NEGATION_RE, '').trim());
      else if (!/^(?:we|i)\b.*\bship/i.test(item)) to.push(item);
    }
    for (const item of items(negative)) excluded.push(item.replace(ITEM_NEGATION_RE, '').trim());
  }
  const uniq = (xs: string[]) => [...new Map(xs.filter(Boolean).map((x) => [x.toLowerCase(), x])).values()];
  return { to: uniq(to), excluded: uniq(excluded) };
}
