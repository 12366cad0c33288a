/**
 * One calibrated link score: a logistic model over pair features. Weights are fitted on simulated ground truth
 * by `darkpatrol link train` (src/link/train.ts) and kept in a versioned JSON file in the repo
 * (src/link/model/weights.json); every score is explained as the log-odds contribution of each feature.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVIDENCE_OF_KIND, type KeyFacts, type Prepared } from './prepare.ts';
import { nameSimilarity } from './name.ts';
import { cosine } from './style.ts';

export const FEATURES = [
  'pgp', 'crypto', 'email', 'messenger', 'name_same', 'name_sim', 'style', 'style_hi', 'product', 'ships_from',
  'ships_to', 'price', 'same_source', 'messenger_side',
] as const;
export type FeatureName = (typeof FEATURES)[number];

export const FEATURE_LABELS: Record<FeatureName, string> = {
  pgp: 'shared PGP key', crypto: 'same crypto address', email: 'same e-mail', messenger: 'same messenger handle or phone',
  name_same: 'same name (leet/decorations normalised)', name_sim: 'name similarity', style: 'writing style (TF-IDF cosine)',
  style_hi: 'writing style above 0.5', product: 'product profile (cosine)', ships_from: 'same ships-from country',
  ships_to: 'ships-to overlap (Jaccard)', price: 'price level closeness', same_source: 'both accounts on the same source',
  messenger_side: 'one side is a messenger account',
};

/**
 * Key-rotation rules. The simulator does not model how a rotated key keeps its holder's user ID or is certified by
 * the old key, so these are not fitted: their log-odds are set here (issue 13 §4) and shown like any feature.
 *  - rotation_signed: a key of one account carries a certification by a key of the other, verified against that
 *    key (certify.ts). Only the old key's holder can make it: hard evidence, like a shared key.
 *  - rotation_uid: the same handle, no key in common, and a key of each whose user ID names the same e-mail or the
 *    same name beyond the handle itself ("UK-ProZone <uk@prozone.com>" → a new key for "UK-ProZone <uk@prozone.com>";
 *    "MagicFox <magicfox@host>" on both sides restates the handle and does not count).
 *  - rotation_overlap: the same handle, no key in common, and their wording overlaps (the discounted style cosine,
 *    counted from 0.3; products are left out, unrelated vendors of one name sell the same few drugs).
 */
export const RULES = ['rotation_signed', 'rotation_uid', 'rotation_overlap'] as const;
export type RuleName = (typeof RULES)[number];
export const RULE_WEIGHTS: Record<RuleName, number> = { rotation_signed: 12, rotation_uid: 10, rotation_overlap: 4 };
export const RULE_LABELS: Record<RuleName, string> = {
  rotation_signed: 'key rotation: the new key is certified by the old key (signature verified)',
  rotation_uid: 'key rotation: same handle, new key with the same user ID / e-mail as the old key',
  rotation_overlap: 'key rotation: same handle, new key, overlapping wording',
};

/** Below this many words of own text the style cosine is discounted in proportion (see Prepared.words). */
export const MIN_STYLE_WORDS = 80;

export interface LinkModel {
  version: string;
  trainedOn: { seed: string; scale: string; pairs: number; positives: number; decisions?: number };
  bias: number;
  weights: Record<FeatureName, number>;
  /** Soft links at or above this probability join identities. */
  threshold: number;
}

export const MODEL_PATH = fileURLToPath(new URL('./model/weights.json', import.meta.url));

export function loadModel(path = MODEL_PATH): LinkModel {
  const m = JSON.parse(readFileSync(path, 'utf8')) as LinkModel;
  for (const f of FEATURES) if (typeof m.weights?.[f] !== 'number') throw new Error(`link model ${path} has no weight for ${f}`);
  if (typeof m.bias !== 'number' || !(m.threshold > 0 && m.threshold < 1)) throw new Error(`link model ${path} is malformed`);
  return m;
}

export interface SharedSelector {
  kind: string;
  value: string;
  captures: number[];
}

export interface PairFeatures {
  x: Float64Array;
  /** Rule values, aligned with RULES. */
  rules: Float64Array;
  shared: SharedSelector[];
  nameSim: number;
  /** The raw style cosine (x holds it discounted for thin text). */
  style: number;
  /** min(words a, words b) / MIN_STYLE_WORDS, at most 1: how far the style cosine is trusted. */
  textWeight: number;
  /** The keys behind a rotation rule (fingerprints) and what matched. */
  rotation?: { keysA: string[]; keysB: string[]; userIds: string[]; signedBy: string[] };
}

export function pairFeatures(a: Prepared, b: Prepared): PairFeatures {
  const x = new Float64Array(FEATURES.length);
  const shared: SharedSelector[] = [];
  if (a.selectors.length > 0 && b.selectors.length > 0) {
    const bs = new Map(b.selectors.map((s) => [s.selectorId, s]));
    for (const s of a.selectors) {
      const o = bs.get(s.selectorId);
      if (!o) continue;
      shared.push({ kind: s.kind, value: s.value, captures: [...s.captures.slice(0, 3), ...o.captures.slice(0, 3)] });
      const ev = EVIDENCE_OF_KIND[s.kind];
      if (ev) x[FEATURES.indexOf(ev)] = 1;
    }
  }
  const ns = nameSimilarity(a.name, b.name);
  x[4] = a.name.core.length >= 3 && a.name.core === b.name.core ? 1 : 0;
  x[5] = ns;
  const st = cosine(a.style, b.style);
  const textWeight = Math.min(1, Math.min(a.words, b.words) / MIN_STYLE_WORDS);
  const ste = st * textWeight;
  x[6] = ste;
  x[7] = Math.max(0, ste - 0.5);
  let prod = 0;
  for (const [k, v] of a.products) prod += v * (b.products.get(k) ?? 0);
  x[8] = prod;
  x[9] = a.mainShipsFrom !== null && a.mainShipsFrom === b.mainShipsFrom ? 1 : 0;
  const ta = a.data.shipsTo;
  const tb = b.data.shipsTo;
  if (ta.size > 0 && tb.size > 0) {
    let inter = 0;
    for (const c of ta) if (tb.has(c)) inter++;
    x[10] = inter / (ta.size + tb.size - inter);
  }
  x[11] = a.priceDev !== null && b.priceDev !== null ? Math.exp(-Math.abs(a.priceDev - b.priceDev) / 0.15) : 0;
  x[12] = a.data.sourceId === b.data.sourceId ? 1 : 0;
  x[13] = a.data.sourceKind === 'messenger' || b.data.sourceKind === 'messenger' ? 1 : 0;
  const rules = new Float64Array(RULES.length);
  const out: PairFeatures = { x, rules, shared, nameSim: ns, style: st, textWeight };
  if (a.keys !== null && b.keys !== null && x[0] === 0) rotation(a, b, out);
  return out;
}

function rotation(a: Prepared, b: Prepared, f: PairFeatures): void {
  const ka = a.keys as KeyFacts;
  const kb = b.keys as KeyFacts;
  const signedBy: string[] = [];
  for (const k of b.data.pgpKeys) for (const s of k.signedBy) if (ka.fingerprints.has(s)) signedBy.push(`${k.fingerprint} certified by ${s}`);
  for (const k of a.data.pgpKeys) for (const s of k.signedBy) if (kb.fingerprints.has(s)) signedBy.push(`${k.fingerprint} certified by ${s}`);
  if (signedBy.length > 0) f.rules[0] = 1;
  const userIds: string[] = [];
  if (f.x[4] === 1) {
    // Only what a user ID says beyond the handle counts: a UID name or e-mail local part that is the handle again
    // ("MagicFox <magicfox@host>") is what any vendor of that name would write, so it adds nothing to name_same.
    const core = a.name.core;
    const mailsB = new Set(kb.perKey.flatMap((k) => k.emails).filter((e) => e.core !== core).map((e) => e.value));
    const namesB = new Set(kb.perKey.flatMap((k) => k.userIds).filter((u) => u.name.length >= 3 && u.core !== core).map((u) => u.name));
    for (const k of ka.perKey) {
      for (const e of k.emails) if (mailsB.has(e.value)) userIds.push(e.value);
      for (const u of k.userIds) if (namesB.has(u.name)) userIds.push(u.raw);
    }
    if (userIds.length > 0) f.rules[1] = 1;
    // Wording only: a product profile is shared by many unrelated vendors of one name (every market sells the same
    // few drugs), so product overlap on top of name_same linked different people once handles collide at scale.
    const overlap = f.x[6] as number;
    if (overlap >= 0.3) f.rules[2] = overlap;
  }
  if (f.rules.some((v) => v > 0)) f.rotation = { keysA: [...ka.fingerprints], keysB: [...kb.fingerprints], userIds: [...new Set(userIds)].slice(0, 5), signedBy };
}

/** Hard evidence: a shared PGP key or crypto address, or a key certified by the other account's key. */
export function isHard(f: PairFeatures): boolean {
  return (f.x[0] as number) > 0 || (f.x[1] as number) > 0 || (f.rules[0] as number) > 0;
}

export function logit(model: LinkModel, x: Float64Array, rules?: Float64Array): number {
  let z = model.bias;
  FEATURES.forEach((f, i) => { z += model.weights[f] * (x[i] as number); });
  if (rules) RULES.forEach((r, i) => { z += RULE_WEIGHTS[r] * (rules[i] as number); });
  return z;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export interface EvidenceItem {
  feature: FeatureName | RuleName;
  label: string;
  value: number;
  weight: number;
  /** Log-odds this item adds to the score. */
  contribution: number;
  /** The shared selectors behind a hard item, with the captures each was read from. */
  selectors?: SharedSelector[];
  /** For rotation items: the two accounts' keys and what matched. */
  rotation?: NonNullable<PairFeatures['rotation']>;
}

export interface LinkExplanation {
  model: string;
  score: number;
  logOdds: number;
  bias: number;
  /** Hard evidence: a shared PGP key or crypto address, or a key certified by the other's key. */
  hard: boolean;
  /** Hard items first, then by the size of their contribution. */
  items: EvidenceItem[];
  /** When the evidence is too thin to say much (little text, no classified listing), in words. */
  notes: string[];
  /** True when neither hard evidence nor enough text stands behind the score. */
  thin: boolean;
  /** Profile captures of the two accounts (where their texts and names were read). */
  captures: { a: number | null; b: number | null };
}

const HARD_ITEMS = new Set<string>(['pgp', 'crypto', 'rotation_signed']);

export function explain(model: LinkModel, a: Prepared, b: Prepared, f: PairFeatures): LinkExplanation {
  const z = logit(model, f.x, f.rules);
  const items: EvidenceItem[] = [];
  FEATURES.forEach((feat, i) => {
    const value = f.x[i] as number;
    if (value === 0) return;
    const weight = model.weights[feat];
    const item: EvidenceItem = { feature: feat, label: FEATURE_LABELS[feat], value: Math.round(value * 1000) / 1000, weight,
      contribution: Math.round(weight * value * 1000) / 1000 };
    const sels = f.shared.filter((s) => EVIDENCE_OF_KIND[s.kind] === feat);
    if (sels.length > 0) item.selectors = sels;
    items.push(item);
  });
  RULES.forEach((rule, i) => {
    const value = f.rules[i] as number;
    if (value === 0) return;
    const weight = RULE_WEIGHTS[rule];
    items.push({ feature: rule, label: RULE_LABELS[rule], value: Math.round(value * 1000) / 1000, weight,
      contribution: Math.round(weight * value * 1000) / 1000, ...(f.rotation ? { rotation: f.rotation } : {}) });
  });
  items.sort((p, q) => Number(HARD_ITEMS.has(q.feature)) - Number(HARD_ITEMS.has(p.feature))
    || Math.abs(q.contribution) - Math.abs(p.contribution));
  const hard = isHard(f);
  const notes: string[] = [];
  for (const [side, p] of [['a', a], ['b', b]] as const) {
    if (p.words < MIN_STYLE_WORDS) {
      notes.push(`account ${side} (${p.data.handle}) has ${Math.round(p.words)} words of own text (under ${MIN_STYLE_WORDS}): writing style counted at ${Math.round(f.textWeight * 100)}%`);
    }
  }
  if (a.products.size === 0 || b.products.size === 0) notes.push('no classified listing on one side: product profiles not compared');
  const thin = !hard && f.textWeight < 1 && (f.rules[1] as number) === 0;
  if (thin) notes.push('evidence too thin: no shared key, address or contact, and too little text to judge writing style');
  return { model: model.version, score: sigmoid(z), logOdds: Math.round(z * 1000) / 1000, bias: model.bias,
    hard, items, notes, thin, captures: { a: a.data.profileCapture, b: b.data.profileCapture } };
}
