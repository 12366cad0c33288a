/**
 * Scores the identities in the store against a sim world's ground truth (vendors.external_id is the world
 * account id when the world was loaded by ingestWorld or crawled from the sim).
 *
 * - overall: pairwise precision/recall/F1 over all pairs of accounts (a pair is predicted when both accounts
 *   are in one identity, true when both belong to one real person), and cluster purity.
 * - per alias kind k: recall = share of the truth's alias links (identity anchor ↔ alias of kind k) whose two
 *   accounts ended in one identity; precision = share of the identity mates predicted for kind-k accounts that
 *   are truly the same person. Groups: 'hard' (same key or shared crypto address), 'name-only'
 *   (same-name-other-key), 'style-only'; and 'hard (observed)': aliases that really share a PGP key or crypto
 *   address *in the store* with another account of their identity (what extraction actually found).
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { AliasKind, World } from '../sim/index.ts';

export interface PrfRow {
  group: string;
  accounts: number;
  aliasLinks: number;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface LinkEvaluation {
  accounts: number;
  identitiesTrue: number;
  identitiesPredicted: number;
  pairwise: { precision: number; recall: number; f1: number; truePairs: number; predictedPairs: number; correctPairs: number };
  purity: number;
  /** Share of each true identity's accounts that sit in its largest predicted identity, averaged over accounts. */
  completeness: number;
  byKind: PrfRow[];
}

export const HARD_KINDS: readonly AliasKind[] = ['same-name-same-key', 'other-name-same-key', 'shared-crypto'];

function f1(p: number | null, r: number | null): number | null {
  if (p === null || r === null) return null;
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

const pairs = (n: number) => (n * (n - 1)) / 2;

/** The part of a world's ground truth evaluation needs (World itself fits). */
export interface LinkTruth {
  accounts: ReadonlyArray<Pick<World['accounts'][number], 'id' | 'identityId' | 'aliasKind'>>;
}

export async function evaluateLinking(db: Kysely<Database>, world: LinkTruth, agencyId: number): Promise<LinkEvaluation> {
  const rows = await sql<{ vendor_id: number; external_id: string | null; identity_id: number | null }>`
    select v.id as vendor_id, v.external_id, m.identity_id from vendors v
    left join identity_members m on m.vendor_id = v.id where v.agency_id = ${agencyId}`.execute(db);
  const accById = new Map(world.accounts.map((a) => [a.id, a]));
  const vendorOf = new Map<string, number>();
  const predOf = new Map<string, number>();
  for (const r of rows.rows) {
    if (!r.external_id || !accById.has(r.external_id)) continue;
    vendorOf.set(r.external_id, r.vendor_id);
    predOf.set(r.external_id, r.identity_id ?? -r.vendor_id);
  }
  const ids = [...predOf.keys()];
  const truthOf = (id: string) => (accById.get(id) as LinkTruth['accounts'][number]).identityId;
  const clusterSize = new Map<number, number>();
  const cell = new Map<string, number>();
  const trueSize = new Map<string, number>();
  for (const id of ids) {
    const p = predOf.get(id) as number;
    clusterSize.set(p, (clusterSize.get(p) ?? 0) + 1);
    const t = truthOf(id);
    trueSize.set(t, (trueSize.get(t) ?? 0) + 1);
    const k = `${p}|${t}`;
    cell.set(k, (cell.get(k) ?? 0) + 1);
  }
  let predicted = 0;
  for (const n of clusterSize.values()) predicted += pairs(n);
  let truePairs = 0;
  for (const n of trueSize.values()) truePairs += pairs(n);
  let correct = 0;
  const bestInCluster = new Map<number, number>();
  const bestInTruth = new Map<string, number>();
  for (const [k, n] of cell) {
    correct += pairs(n);
    const [p, t] = k.split('|') as [string, string];
    bestInCluster.set(Number(p), Math.max(bestInCluster.get(Number(p)) ?? 0, n));
    bestInTruth.set(t, Math.max(bestInTruth.get(t) ?? 0, n));
  }
  const purity = [...bestInCluster.values()].reduce((s, n) => s + n, 0) / Math.max(1, ids.length);
  const completeness = [...bestInTruth.values()].reduce((s, n) => s + n, 0) / Math.max(1, ids.length);
  const precision = predicted === 0 ? 1 : correct / predicted;
  const recall = truePairs === 0 ? 1 : correct / truePairs;

  // Hard evidence as actually observed in the store: shared PGP key or crypto address within the identity.
  const hardSel = await sql<{ vendor_id: number; selector_id: number }>`
    select distinct ss.vendor_id, ss.selector_id from selector_sightings ss join selectors s on s.id = ss.selector_id
    where ss.agency_id = ${agencyId} and s.kind in ('pgp_key','btc_address','xmr_address','ltc_address','eth_address')`.execute(db);
  const selsOfVendor = new Map<number, number[]>();
  for (const r of hardSel.rows) (selsOfVendor.get(r.vendor_id) ?? selsOfVendor.set(r.vendor_id, []).get(r.vendor_id) as number[]).push(r.selector_id);
  const accountsOfIdentity = new Map<string, string[]>();
  for (const id of ids) (accountsOfIdentity.get(truthOf(id)) ?? accountsOfIdentity.set(truthOf(id), []).get(truthOf(id)) as string[]).push(id);
  const observedHard = (id: string): boolean => {
    const mine = new Set(selsOfVendor.get(vendorOf.get(id) as number) ?? []);
    if (mine.size === 0) return false;
    for (const other of accountsOfIdentity.get(truthOf(id)) ?? []) {
      if (other === id) continue;
      for (const s of selsOfVendor.get(vendorOf.get(other) as number) ?? []) if (mine.has(s)) return true;
    }
    return false;
  };

  const groups: Array<[string, (id: string, kind: AliasKind) => boolean]> = [
    ...(['unique', 'anchor', 'same-name-same-key', 'other-name-same-key', 'same-name-other-key', 'shared-crypto', 'style-only'] as const)
      .map((k) => [k, (_id: string, kind: AliasKind) => kind === k] as [string, (id: string, kind: AliasKind) => boolean]),
    ['hard (same key or crypto)', (_id, kind) => HARD_KINDS.includes(kind)],
    ['hard (observed in store)', (id, kind) => kind !== 'unique' && kind !== 'anchor' && observedHard(id)],
    ['no hard evidence observed', (id, kind) => kind !== 'unique' && kind !== 'anchor' && !observedHard(id)],
  ];
  // Anchor of each identity among the ingested accounts (the truth's first account).
  const anchorOf = new Map<string, string>();
  for (const a of world.accounts) if (!anchorOf.has(a.identityId)) anchorOf.set(a.identityId, a.id);
  const byKind: PrfRow[] = groups.map(([name, test]) => {
    let n = 0;
    let mates = 0;
    let good = 0;
    let links = 0;
    let linked = 0;
    for (const id of ids) {
      const acc = accById.get(id) as LinkTruth['accounts'][number];
      if (!test(id, acc.aliasKind)) continue;
      n++;
      const p = predOf.get(id) as number;
      mates += (clusterSize.get(p) as number) - 1;
      good += (cell.get(`${p}|${acc.identityId}`) as number) - 1;
      if (acc.aliasKind === 'unique' || acc.aliasKind === 'anchor') continue;
      const anchor = anchorOf.get(acc.identityId);
      if (!anchor || anchor === id || !predOf.has(anchor)) continue;
      links++;
      if (predOf.get(anchor) === p) linked++;
    }
    const prec = mates === 0 ? (n === 0 ? null : 1) : good / mates;
    const rec = links === 0 ? null : linked / links;
    return { group: name, accounts: n, aliasLinks: links, precision: prec, recall: rec, f1: f1(prec, rec) };
  });
  return {
    accounts: ids.length, identitiesTrue: trueSize.size, identitiesPredicted: clusterSize.size,
    pairwise: { precision, recall, f1: f1(precision, recall) as number, truePairs, predictedPairs: predicted, correctPairs: correct },
    purity, completeness, byKind,
  };
}

/**
 * Scores the identities in the store against a truth given per vendor row (vendors.id → true identity), for
 * accounts whose vendors.external_id does not name a world account: material brought in through the import routes,
 * where a Telegram sender is `user<N>` and a dump user is its `users.id` row (which two dumps can share). Only the
 * vendors in `identityOf` are scored; the others in the agency are left out of every figure.
 */
export interface VendorLinkEvaluation {
  accounts: number;
  identitiesTrue: number;
  identitiesPredicted: number;
  pairwise: { precision: number; recall: number; f1: number; truePairs: number; predictedPairs: number; correctPairs: number };
  /** The same, counted only over pairs of accounts on two different markets/sources (what linking across imports adds). */
  crossSource: { precision: number; recall: number; truePairs: number; predictedPairs: number; correctPairs: number };
  purity: number;
  completeness: number;
  /** The most true identities found in one predicted identity (1: no identity mixes people). */
  largestMixedIdentity: number;
  /** Predicted identities holding accounts of more than one true identity. */
  mixedIdentities: number;
}

export async function evaluateLinkingByVendor(db: Kysely<Database>, agencyId: number, identityOf: ReadonlyMap<number, string>): Promise<VendorLinkEvaluation> {
  const rows = await sql<{ vendor_id: number; market_id: number; identity_id: number | null }>`
    select v.id as vendor_id, v.market_id, m.identity_id from vendors v
    left join identity_members m on m.vendor_id = v.id where v.agency_id = ${agencyId}`.execute(db);
  const scored = rows.rows.filter((r) => identityOf.has(r.vendor_id));
  const pred = (r: (typeof scored)[number]) => r.identity_id ?? -r.vendor_id;
  const truth = (r: (typeof scored)[number]) => identityOf.get(r.vendor_id) as string;
  const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
  const clusterSize = new Map<number, number>();
  const trueSize = new Map<string, number>();
  const cell = new Map<string, number>();
  // Same counts per market, to take the same-market pairs out for the cross-source figures.
  const clusterSizeM = new Map<string, number>();
  const trueSizeM = new Map<string, number>();
  const cellM = new Map<string, number>();
  const peopleIn = new Map<number, Set<string>>();
  for (const r of scored) {
    const p = pred(r);
    const t = truth(r);
    count(clusterSize, p);
    count(trueSize, t);
    count(cell, `${p}|${t}`);
    count(clusterSizeM, `${p}|${r.market_id}`);
    count(trueSizeM, `${t}|${r.market_id}`);
    count(cellM, `${p}|${t}|${r.market_id}`);
    (peopleIn.get(p) ?? peopleIn.set(p, new Set()).get(p) as Set<string>).add(t);
  }
  const sumPairs = (m: Map<unknown, number>) => [...m.values()].reduce((s, n) => s + pairs(n), 0);
  const predicted = sumPairs(clusterSize);
  const truePairs = sumPairs(trueSize);
  const correct = sumPairs(cell);
  const xPredicted = predicted - sumPairs(clusterSizeM);
  const xTrue = truePairs - sumPairs(trueSizeM);
  const xCorrect = correct - sumPairs(cellM);
  const bestInCluster = new Map<number, number>();
  const bestInTruth = new Map<string, number>();
  for (const [k, n] of cell) {
    const [p, t] = k.split('|') as [string, string];
    bestInCluster.set(Number(p), Math.max(bestInCluster.get(Number(p)) ?? 0, n));
    bestInTruth.set(t, Math.max(bestInTruth.get(t) ?? 0, n));
  }
  const sum = (m: Map<unknown, number>) => [...m.values()].reduce((s, n) => s + n, 0);
  const precision = predicted === 0 ? 1 : correct / predicted;
  const recall = truePairs === 0 ? 1 : correct / truePairs;
  const sizes = [...peopleIn.values()].map((s) => s.size);
  return {
    accounts: scored.length, identitiesTrue: trueSize.size, identitiesPredicted: clusterSize.size,
    pairwise: { precision, recall, f1: f1(precision, recall) as number, truePairs, predictedPairs: predicted, correctPairs: correct },
    crossSource: { precision: xPredicted === 0 ? 1 : xCorrect / xPredicted, recall: xTrue === 0 ? 1 : xCorrect / xTrue,
      truePairs: xTrue, predictedPairs: xPredicted, correctPairs: xCorrect },
    purity: sum(bestInCluster) / Math.max(1, scored.length), completeness: sum(bestInTruth) / Math.max(1, scored.length),
    largestMixedIdentity: Math.max(1, ...sizes), mixedIdentities: sizes.filter((n) => n > 1).length,
  };
}

/** Links of one evidence kind: how many the run wrote, how many joined an identity, how many are right. */
export interface EvidenceKindCount {
  /** The explanation item's label, with the selector kind behind it ("shared PGP key (pgp_key)"). */
  evidence: string;
  /** Hard evidence (a shared key or address, a key certified by the other's key) joins accounts on its own. */
  hard: boolean;
  links: number;
  clustered: number;
  /** Links between two accounts of one true identity (null when the vendor has no truth). */
  correct: number;
  wrong: number;
}

const HARD_FEATURES = new Set(['pgp', 'crypto', 'rotation_signed']);

/**
 * Counts the agency's written links by the evidence their explanation names: every item backed by shared selectors
 * (per selector kind) and every key-rotation item. With `identityOf`, each link is checked against the truth
 * (links with a vendor outside the truth count in neither `correct` nor `wrong`).
 */
export async function linkEvidenceCounts(db: Kysely<Database>, agencyId: number, identityOf?: ReadonlyMap<number, string>): Promise<EvidenceKindCount[]> {
  const links = await sql<{ vendor_a: number; vendor_b: number; evidence: { clustered?: boolean; items?: Array<{ feature: string; label: string; selectors?: Array<{ kind: string }> }> } }>`
    select vendor_a, vendor_b, evidence from links where agency_id = ${agencyId}`.execute(db);
  const out = new Map<string, EvidenceKindCount>();
  for (const l of links.rows) {
    const kinds = new Map<string, boolean>();
    for (const item of l.evidence.items ?? []) {
      if (item.selectors?.length) for (const s of item.selectors) kinds.set(`${item.label} (${s.kind})`, HARD_FEATURES.has(item.feature));
      else if (item.feature.startsWith('rotation_')) kinds.set(item.label, HARD_FEATURES.has(item.feature));
    }
    const ta = identityOf?.get(l.vendor_a);
    const tb = identityOf?.get(l.vendor_b);
    for (const [evidence, hard] of kinds) {
      const c = out.get(evidence) ?? { evidence, hard, links: 0, clustered: 0, correct: 0, wrong: 0 };
      c.links++;
      if (l.evidence.clustered) c.clustered++;
      if (ta !== undefined && tb !== undefined) {
        if (ta === tb) c.correct++;
        else c.wrong++;
      }
      out.set(evidence, c);
    }
  }
  return [...out.values()].sort((a, b) => Number(b.hard) - Number(a.hard) || b.links - a.links || a.evidence.localeCompare(b.evidence));
}
