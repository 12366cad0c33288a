// Per-account features computed once: name keys, style vector, product/shipping/price profile, hard selectors.
import type { AccountData, SelectorSeen } from './load.ts';
import { nameKeys, type NameKeys } from './name.ts';
import { addStyleTokens, CountAccumulator, FeatureSpace, tfidf, type StyleOptions, type StyleVector } from './style.ts';

/** Selector kinds grouped by the evidence they give. Onion names are left out: vendors quote market addresses. */
export const EVIDENCE_OF_KIND: Record<string, 'pgp' | 'crypto' | 'email' | 'messenger' | undefined> = {
  pgp_key: 'pgp', btc_address: 'crypto', xmr_address: 'crypto', ltc_address: 'crypto', eth_address: 'crypto',
  email: 'email', phone: 'messenger', telegram: 'messenger', wickr: 'messenger', session: 'messenger',
  signal: 'messenger', threema: 'messenger', jabber: 'messenger',
};

/** Armored key blocks, whole or flattened onto one line, and base64 runs: key material, not anyone's writing. */
const ARMOR = /-{2,5}\s?BEGIN\s{1,3}PGP[\s\S]{0,20000}?(?:-{2,5}\s?END\s{1,3}PGP[^-]{0,40}-{2,5}|$)/gi;
const BASE64_RUN = /[A-Za-z0-9+/=]{40,}/g;
const ARMOR_HEADER = /^\s*(?:Version|Comment|Hash|Charset)\s*:.*$/gim;

/** The text stylometry reads: without PGP blocks and other key material (they would make unrelated vendors alike). */
export function styleText(text: string): string {
  if (!text.includes('PGP') && !hasBase64Run(text)) return text;
  return text.replace(ARMOR, ' ').replace(ARMOR_HEADER, ' ').replace(BASE64_RUN, ' ');
}

/** `/[A-Za-z0-9+/=]{40}/.test(text)`, by one scan. */
function hasBase64Run(text: string): boolean {
  let run = 0;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 47 && c <= 57) || c === 43 || c === 61) {
      if (++run >= 40) return true;
    } else run = 0;
  }
  return false;
}

const WORDS = /[\p{L}\p{N}']+/gu;
function wordCount(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(WORDS)) n++;
  return n;
}

/** The product bucket of listings the classifier could not place: not a product, so never compared. */
export const UNCLASSIFIED = '?';

export interface Prepared {
  index: number;
  data: AccountData;
  name: NameKeys;
  style: StyleVector;
  /**
   * Words of own text behind the style vector (profile, descriptions, posts; a title word counts a quarter): below
   * MIN_STYLE_WORDS the style cosine is discounted (see model.ts), since a few shared words prove nothing.
   */
  words: number;
  /** L2-normalised counts of classified products (listings the classifier could not place are left out). */
  products: Map<string, number>;
  mainShipsFrom: string | null;
  /** Mean deviation of this account's log unit prices from the all-account mean of the same product and unit. */
  priceDev: number | null;
  /** Selectors usable as evidence (kind has an evidence group, seen on few enough accounts). */
  selectors: SelectorSeen[];
  /** What the account's PGP keys say, computed once for the key-rotation rules (model.ts); null without a key. */
  keys: KeyFacts | null;
}

/** An account's PGP keys, read once: fingerprints, and per key its user-ID e-mails and names with their core names. */
export interface KeyFacts {
  fingerprints: Set<string>;
  perKey: Array<{
    /** The key's user-ID e-mails, lower-cased, with the core name (name.ts) of the local part. */
    emails: Array<{ value: string; core: string }>;
    /** The key's user IDs as written, their name part (comment and e-mail removed, lower case) and its core name. */
    userIds: Array<{ raw: string; name: string; core: string }>;
  }>;
}

/** The name part of a PGP user ID: "Name (comment) <mail@host>" → "name". */
export function uidName(uid: string): string {
  return uid.replace(/<[^>]*>/g, ' ').replace(/\([^)]*\)/g, ' ').trim().toLowerCase().replace(/\s+/g, ' ');
}

function keyFacts(a: AccountData): KeyFacts | null {
  if (a.pgpKeys.length === 0) return null;
  return {
    fingerprints: new Set(a.pgpKeys.map((k) => k.fingerprint)),
    perKey: a.pgpKeys.map((k) => ({
      emails: k.emails.map((e) => { const value = e.toLowerCase(); return { value, core: nameKeys(value.split('@')[0] ?? '').core }; }),
      userIds: k.userIds.map((raw) => { const name = uidName(raw); return { raw, name, core: nameKeys(name).core }; }),
    })),
  };
}

export interface PrepareOptions extends StyleOptions {
  /** A selector on more accounts than this is shared infrastructure (an escrow address, a group handle), not identity. */
  maxSelectorAccounts?: number;
  /**
   * Empty each account's texts (profile, titles, bodies, posts) once tokenised, so they do not stay in memory for the
   * rest of the run. The caller's AccountData objects are changed: only for callers that read no text afterwards.
   */
  releaseTexts?: boolean;
}

export function prepareAccounts(accounts: AccountData[], opts: PrepareOptions = {}): Prepared[] {
  const maxSel = opts.maxSelectorAccounts ?? 8;
  const space = new FeatureSpace();
  const acc = new CountAccumulator();
  const words = new Float64Array(accounts.length);
  const counts = accounts.map((a, i) => {
    let w = 0;
    // The tokeniser counts the words of non-title texts as it goes (the same WORD matches, line by line).
    const own = (text: string, kind: 'profile' | 'body' | 'post') => { w += addStyleTokens(styleText(text), kind, space, acc); };
    own(a.profile, 'profile');
    for (const t of a.titles) { const x = styleText(t); w += wordCount(x) / 4; addStyleTokens(x, 'title', space, acc); }
    for (const b of a.bodies) own(b, 'body');
    for (const p of a.posts) own(p, 'post');
    words[i] = w;
    if (opts.releaseTexts) { a.profile = ''; a.titles = []; a.bodies = []; a.posts = []; }
    return acc.take();
  });
  const { vectors } = tfidf(counts, space.size, opts);
  counts.length = 0;

  const selCount = new Map<number, number>();
  for (const a of accounts) for (const s of a.selectors) selCount.set(s.selectorId, (selCount.get(s.selectorId) ?? 0) + 1);

  const priceSum = new Map<string, [number, number]>();
  for (const a of accounts) for (const [k, v] of a.prices) {
    const e = priceSum.get(k) ?? [0, 0];
    e[0] += v; e[1] += 1;
    priceSum.set(k, e);
  }
  return accounts.map((a, index) => {
    const classified = [...a.products].filter(([k]) => k !== UNCLASSIFIED);
    let norm = 0;
    for (const [, v] of classified) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    const products = new Map(classified.map(([k, v]) => [k, v / norm]));
    let main: string | null = null;
    let best = 0;
    for (const [c, n] of a.shipsFrom) if (n > best) { best = n; main = c; }
    let dev = 0;
    let nd = 0;
    for (const [k, v] of a.prices) {
      if (k.startsWith(`${UNCLASSIFIED}/`)) continue;
      const e = priceSum.get(k) as [number, number];
      if (e[1] < 3) continue;
      dev += v - e[0] / e[1];
      nd++;
    }
    return { index, data: a, name: nameKeys(a.handle), style: vectors[index] as StyleVector, words: words[index] as number,
      products, mainShipsFrom: main,
      priceDev: nd > 0 ? dev / nd : null, keys: keyFacts(a),
      selectors: a.selectors.filter((s) => EVIDENCE_OF_KIND[s.kind] !== undefined && (selCount.get(s.selectorId) ?? 0) <= maxSel) };
  });
}
