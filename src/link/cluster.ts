/**
 * Accounts → identities. Union-find, in order of certainty:
 *  1. analysts' confirmed pairs ('must');
 *  2. hard links (a shared PGP key or crypto address) — this chains key rotations: an account that showed key A
 *     and later key B joins the accounts that showed only A with those that showed only B;
 *  3. soft links at or above the threshold, strongest first, each merge guarded against chaining: the two
 *     groups must agree as a whole (mean pair score across them, unscored pairs counting 0, at least
 *     `minSupport`), and a soft merge never makes a group larger than `maxSize`.
 * Analysts' rejected pairs ('cannot') are never joined, by any step.
 */
export interface ScoredPair {
  a: number;
  b: number;
  p: number;
  hard: boolean;
}

export interface ClusterOptions {
  threshold: number;
  minSupport?: number;
  maxSize?: number;
}

export interface ClusterResult {
  /** Group id (the smallest member index) per account index. */
  groupOf: Int32Array;
  /** Edges that joined groups (the explanation tree) and why. */
  joins: Array<{ a: number; b: number; via: 'must' | 'hard' | 'soft' }>;
  refused: { cannot: number; coherence: number; size: number };
}

export function clusterAccounts(n: number, scored: ScoredPair[], must: Array<[number, number]>, cannot: Array<[number, number]>,
  opts: ClusterOptions): ClusterResult {
  const minSupport = opts.minSupport ?? 0.35;
  const maxSize = opts.maxSize ?? 40;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const members: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const find = (x: number): number => {
    let r = x;
    while (parent[r] !== r) r = parent[r] as number;
    while (parent[x] !== r) { const nx = parent[x] as number; parent[x] = r; x = nx; }
    return r;
  };
  const key = (a: number, b: number) => (a < b ? a * n + b : b * n + a);
  const cannotSet = new Set(cannot.map(([a, b]) => key(a, b)));
  const cannotOf = new Map<number, number[]>();
  for (const [a, b] of cannot) {
    (cannotOf.get(a) ?? cannotOf.set(a, []).get(a) as number[]).push(b);
    (cannotOf.get(b) ?? cannotOf.set(b, []).get(b) as number[]).push(a);
  }
  const score = new Map<number, number>();
  for (const s of scored) score.set(key(s.a, s.b), s.p);
  const violates = (ra: number, rb: number): boolean => {
    if (cannotSet.size === 0) return false;
    const [small, other] = (members[ra] as number[]).length <= (members[rb] as number[]).length ? [ra, rb] : [rb, ra];
    for (const x of members[small] as number[]) for (const y of cannotOf.get(x) ?? []) if (find(y) === other) return true;
    return false;
  };
  const union = (ra: number, rb: number) => {
    const [big, small] = (members[ra] as number[]).length >= (members[rb] as number[]).length ? [ra, rb] : [rb, ra];
    parent[small] = big;
    for (const x of members[small] as number[]) (members[big] as number[]).push(x);
    members[small] = [];
  };
  const joins: ClusterResult['joins'] = [];
  const refused = { cannot: 0, coherence: 0, size: 0 };

  for (const [a, b] of must) {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) continue;
    union(ra, rb);
    joins.push({ a, b, via: 'must' });
  }
  for (const s of scored) {
    if (!s.hard) continue;
    const ra = find(s.a);
    const rb = find(s.b);
    if (ra === rb) continue;
    if (violates(ra, rb)) { refused.cannot++; continue; }
    union(ra, rb);
    joins.push({ a: s.a, b: s.b, via: 'hard' });
  }
  const soft = scored.filter((s) => !s.hard && s.p >= opts.threshold).sort((x, y) => y.p - x.p || x.a - y.a || x.b - y.b);
  for (const s of soft) {
    const ra = find(s.a);
    const rb = find(s.b);
    if (ra === rb) continue;
    if (violates(ra, rb)) { refused.cannot++; continue; }
    const ma = members[ra] as number[];
    const mb = members[rb] as number[];
    if (ma.length + mb.length > 2) {
      if (ma.length + mb.length > maxSize) { refused.size++; continue; }
      let sum = 0;
      for (const x of ma) for (const y of mb) sum += score.get(key(x, y)) ?? 0;
      if (sum / (ma.length * mb.length) < minSupport) { refused.coherence++; continue; }
    }
    union(ra, rb);
    joins.push({ a: s.a, b: s.b, via: 'soft' });
  }
  const groupOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const m = members[find(i)] as number[];
    let min = i;
    for (const x of m) if (x < min) min = x;
    groupOf[i] = min;
  }
  return { groupOf, joins, refused };
}
