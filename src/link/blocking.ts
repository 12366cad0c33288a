/**
 * Candidate generation without all-pairs comparison. Four blocks, each bounded per account so the number of
 * pairs grows near-linearly with accounts:
 *  - selector blocks: accounts sharing a PGP key, crypto address, e-mail or messenger handle;
 *  - name blocks: the same core name (leet/decoration-normalised), capped per bucket;
 *  - sorted neighbourhood over core names and over reversed core names (typos at either end);
 *  - style neighbours: an inverted index over each account's TF-IDF features (only features that few accounts
 *    share; each account probes with its 60 heaviest), accumulating partial dot products and keeping its top-k.
 */
import type { Prepared } from './prepare.ts';

export interface BlockingOptions {
  nameBucketCap?: number;
  window?: number;
  styleTopK?: number;
  /** Style features carried by more accounts than this are not used to find candidates (still used to score). */
  stylePostingCap?: number;
  styleMinPartial?: number;
  /** Each account probes the index with only its heaviest features (bounds the work per account). */
  styleProbeFeatures?: number;
}

export interface CandidateSet {
  pairs: Array<[number, number]>;
  /** Pairs contributed by each block (a pair may come from several). */
  byBlock: Record<'selector' | 'name' | 'neighbourhood' | 'style', number>;
}

export function candidatePairs(accts: Prepared[], opts: BlockingOptions = {}): CandidateSet {
  const n = accts.length;
  const seen = new Set<number>();
  const pairs: Array<[number, number]> = [];
  const byBlock = { selector: 0, name: 0, neighbourhood: 0, style: 0 };
  const add = (i: number, j: number, block: keyof typeof byBlock) => {
    if (i === j) return;
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    const key = a * n + b;
    byBlock[block]++;
    if (seen.has(key)) return;
    seen.add(key);
    pairs.push([a, b]);
  };
  const allPairs = (members: number[], block: keyof typeof byBlock) => {
    for (let x = 0; x < members.length; x++) for (let y = x + 1; y < members.length; y++) add(members[x] as number, members[y] as number, block);
  };

  const bySel = new Map<number, number[]>();
  for (const a of accts) for (const s of a.selectors) {
    const l = bySel.get(s.selectorId);
    if (l) l.push(a.index);
    else bySel.set(s.selectorId, [a.index]);
  }
  for (const m of bySel.values()) if (m.length > 1) allPairs(m, 'selector');
  // A key certified by another account's key (rotation): pair the holders of the two keys.
  const holders = new Map<string, number[]>();
  for (const a of accts) for (const k of a.data.pgpKeys) (holders.get(k.fingerprint) ?? holders.set(k.fingerprint, []).get(k.fingerprint) as number[]).push(a.index);
  for (const a of accts) for (const k of a.data.pgpKeys) for (const s of k.signedBy) for (const j of (holders.get(s) ?? []).slice(0, 20)) add(a.index, j, 'selector');

  const cap = opts.nameBucketCap ?? 60;
  const byName = new Map<string, number[]>();
  for (const a of accts) {
    if (a.name.core.length < 3) continue;
    const l = byName.get(a.name.core);
    if (l) l.push(a.index);
    else byName.set(a.name.core, [a.index]);
  }
  for (const m of byName.values()) if (m.length > 1) allPairs(m.slice(0, cap), 'name');

  const w = opts.window ?? 4;
  for (const keyOf of [(p: Prepared) => p.name.core, (p: Prepared) => [...p.name.core].reverse().join('')]) {
    const order = accts.filter((a) => a.name.core.length >= 3).map((a) => [keyOf(a), a.index] as const)
      .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
    for (let i = 0; i < order.length; i++) {
      for (let k = 1; k <= w && i + k < order.length; k++) {
        const x = order[i] as readonly [string, number];
        const y = order[i + k] as readonly [string, number];
        if (x[0] !== y[0]) add(x[1], y[1], 'neighbourhood');
      }
    }
  }

  styleNeighbours(accts, opts, (i, j) => add(i, j, 'style'));
  return { pairs, byBlock };
}

function styleNeighbours(accts: Prepared[], opts: BlockingOptions, emit: (i: number, j: number) => void): void {
  const k = opts.styleTopK ?? 8;
  const cap = opts.stylePostingCap ?? 300;
  const minPartial = opts.styleMinPartial ?? 0.05;
  const probe = opts.styleProbeFeatures ?? 60;
  const postings = new Map<number, { idx: number[]; w: number[] }>();
  for (const a of accts) a.style.ids.forEach((f, fi) => {
    let l = postings.get(f);
    if (!l) postings.set(f, (l = { idx: [], w: [] }));
    l.idx.push(a.index);
    l.w.push(a.style.w[fi] as number);
  });
  const score = new Float32Array(accts.length);
  const touched: number[] = [];
  for (const a of accts) {
    touched.length = 0;
    const order = Array.from(a.style.w.keys()).sort((x, y) => (a.style.w[y] as number) - (a.style.w[x] as number)).slice(0, probe);
    for (const fi of order) {
      const f = a.style.ids[fi] as number;
      const list = postings.get(f) as { idx: number[]; w: number[] };
      if (list.idx.length > cap || list.idx.length < 2) continue;
      const wa = a.style.w[fi] as number;
      for (let x = 0; x < list.idx.length; x++) {
        const j = list.idx[x] as number;
        if (j === a.index) continue;
        if (score[j] === 0) touched.push(j);
        score[j] = (score[j] as number) + wa * (list.w[x] as number);
      }
    }
    const best = touched.filter((j) => (score[j] as number) >= minPartial).sort((x, y) => (score[y] as number) - (score[x] as number)).slice(0, k);
    for (const j of best) emit(a.index, j);
    for (const j of touched) score[j] = 0;
  }
}
