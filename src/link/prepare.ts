// Per-account features computed once: name keys, style vector, product/shipping/price profile, hard selectors.
import type { AccountData, SelectorSeen } from './load.ts';
import { nameKeys, type NameKeys } from './name.ts';
import { FeatureSpace, styleTokens, tfidf, type StyleOptions, type StyleVector } from './style.ts';

/** Selector kinds grouped by the evidence they give. Onion names are left out: vendors quote market addresses. */
export const EVIDENCE_OF_KIND: Record<string, 'pgp' | 'crypto' | 'email' | 'messenger' | undefined> = {
  pgp_key: 'pgp', btc_address: 'crypto', xmr_address: 'crypto', ltc_address: 'crypto', eth_address: 'crypto',
  email: 'email', phone: 'messenger', telegram: 'messenger', wickr: 'messenger', session: 'messenger',
  signal: 'messenger', threema: 'messenger', jabber: 'messenger',
};

export interface Prepared {
  index: number;
  data: AccountData;
  name: NameKeys;
  style: StyleVector;
  /** L2-normalised product counts. */
  products: Map<string, number>;
  mainShipsFrom: string | null;
  /** Mean deviation of this account's log unit prices from the all-account mean of the same product and unit. */
  priceDev: number | null;
  /** Selectors usable as evidence (kind has an evidence group, seen on few enough accounts). */
  selectors: SelectorSeen[];
}

export interface PrepareOptions extends StyleOptions {
  /** A selector on more accounts than this is shared infrastructure (an escrow address, a group handle), not identity. */
  maxSelectorAccounts?: number;
}

export function prepareAccounts(accounts: AccountData[], opts: PrepareOptions = {}): Prepared[] {
  const maxSel = opts.maxSelectorAccounts ?? 8;
  const space = new FeatureSpace();
  const counts = accounts.map((a) => {
    const c = new Map<number, number>();
    const add = (toks: string[]) => { for (const t of toks) { const id = space.id(t); c.set(id, (c.get(id) ?? 0) + 1); } };
    add(styleTokens(a.profile, 'profile'));
    for (const t of a.titles) add(styleTokens(t, 'title'));
    for (const b of a.bodies) add(styleTokens(b, 'body'));
    for (const p of a.posts) add(styleTokens(p, 'post'));
    return c;
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
    let norm = 0;
    for (const v of a.products.values()) norm += v * v;
    norm = Math.sqrt(norm) || 1;
    const products = new Map([...a.products].map(([k, v]) => [k, v / norm]));
    let main: string | null = null;
    let best = 0;
    for (const [c, n] of a.shipsFrom) if (n > best) { best = n; main = c; }
    let dev = 0;
    let nd = 0;
    for (const [k, v] of a.prices) {
      const e = priceSum.get(k) as [number, number];
      if (e[1] < 3) continue;
      dev += v - e[0] / e[1];
      nd++;
    }
    return { index, data: a, name: nameKeys(a.handle), style: vectors[index] as StyleVector, products, mainShipsFrom: main,
      priceDev: nd > 0 ? dev / nd : null,
      selectors: a.selectors.filter((s) => EVIDENCE_OF_KIND[s.kind] !== undefined && (selCount.get(s.selectorId) ?? 0) <= maxSel) };
  });
}
