/**
 * One calibrated link score: a logistic model over pair features. Weights are fitted on simulated ground truth
 * by `darkpatrol link train` (src/link/train.ts) and kept in a versioned JSON file in the repo
 * (src/link/model/weights.json); every score is explained as the log-odds contribution of each feature.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVIDENCE_OF_KIND, type Prepared } from './prepare.ts';
import { nameSimilarity } from './name.ts';
import { cosine } from './style.ts';

export const FEATURES = [
  'pgp', 'crypto', 'email', 'messenger', 'name_same', 'name_sim', 'style', 'style_hi', 'product', 'ships_from',
  'ships_to', 'price', 'same_source', 'messenger_side',
] as const;
export type FeatureName = (typeof FEATURES)[number];

export const FEATURE_LABELS: Record<FeatureName, string> = {
  pgp: 'same PGP key', crypto: 'same crypto address', email: 'same e-mail', messenger: 'same messenger handle or phone',
  name_same: 'same name (leet/decorations normalised)', name_sim: 'name similarity', style: 'writing style (TF-IDF cosine)',
  style_hi: 'writing style above 0.5', product: 'product profile (cosine)', ships_from: 'same ships-from country',
  ships_to: 'ships-to overlap (Jaccard)', price: 'price level closeness', same_source: 'both accounts on the same source',
  messenger_side: 'one side is a messenger account',
};

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
  shared: SharedSelector[];
  nameSim: number;
  style: number;
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
  x[6] = st;
  x[7] = Math.max(0, st - 0.5);
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
  return { x, shared, nameSim: ns, style: st };
}

export function logit(model: LinkModel, x: Float64Array): number {
  let z = model.bias;
  FEATURES.forEach((f, i) => { z += model.weights[f] * (x[i] as number); });
  return z;
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

export interface EvidenceItem {
  feature: FeatureName;
  label: string;
  value: number;
  weight: number;
  /** Log-odds this item adds to the score. */
  contribution: number;
  /** The shared selectors behind a hard item, with the captures each was read from. */
  selectors?: SharedSelector[];
}

export interface LinkExplanation {
  model: string;
  score: number;
  logOdds: number;
  bias: number;
  /** Hard evidence: a shared PGP key or crypto address. */
  hard: boolean;
  items: EvidenceItem[];
  /** Profile captures of the two accounts (where their texts and names were read). */
  captures: { a: number | null; b: number | null };
}

export function explain(model: LinkModel, a: Prepared, b: Prepared, f: PairFeatures): LinkExplanation {
  const z = logit(model, f.x);
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
  items.sort((p, q) => Math.abs(q.contribution) - Math.abs(p.contribution));
  return { model: model.version, score: sigmoid(z), logOdds: Math.round(z * 1000) / 1000, bias: model.bias,
    hard: (f.x[0] as number) > 0 || (f.x[1] as number) > 0, items,
    captures: { a: a.data.profileCapture, b: b.data.profileCapture } };
}
