import type { ChainGraph } from './graph.ts';
import type { ChainTx } from './types.ts';

/** Why two addresses share a cluster: the transaction and the heuristic. */
export interface ClusterLink {
  txid: string;
  heuristic: 'common-input' | 'change';
  addresses: string[];
}

export interface ClusterOptions {
  /** Treat CoinJoin-like transactions as multi-party (never merge their inputs). Default true. */
  detectCoinJoin?: boolean;
  /** The fresh-address change heuristic (off by default: see docs/money.md for its measured precision). */
  change?: boolean;
}

/**
 * A CoinJoin-like transaction: at least 3 inputs and at least 3 outputs of one identical value (Wasabi,
 * Whirlpool and JoinMarket all produce equal-value outputs). Its inputs belong to different people.
 */
export function isCoinJoin(tx: ChainTx): boolean {
  if (tx.coinbase || tx.vin.length < 3 || tx.vout.length < 3) return false;
  const counts = new Map<number, number>();
  let best = 0;
  for (const o of tx.vout) {
    const c = (counts.get(o.value) ?? 0) + 1;
    counts.set(o.value, c);
    if (c > best) best = c;
  }
  const owners = new Set(tx.vin.map((i) => i.address)).size;
  return best >= 3 && owners >= 3;
}

/** Address clusters by union-find, each merge remembered so a cluster explains itself. */
export class Clusters {
  readonly #parent = new Map<string, string>();
  readonly #size = new Map<string, number>();
  readonly #links = new Map<string, ClusterLink[]>();
  readonly #applied = new Set<string>();
  readonly options: Required<ClusterOptions>;
  coinJoins = 0;

  constructor(options: ClusterOptions = {}) {
    this.options = { detectCoinJoin: options.detectCoinJoin ?? true, change: options.change ?? false };
  }

  find(a: string): string {
    let root = a;
    for (;;) {
      const p = this.#parent.get(root);
      if (p === undefined || p === root) break;
      root = p;
    }
    let cur = a;
    while (cur !== root) {
      const p = this.#parent.get(cur) as string;
      this.#parent.set(cur, root);
      cur = p;
    }
    return root;
  }

  union(a: string, b: string): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    const sa = this.#size.get(ra) ?? 1;
    const sb = this.#size.get(rb) ?? 1;
    const [big, small] = sa >= sb ? [ra, rb] : [rb, ra];
    this.#parent.set(small, big);
    this.#size.set(big, sa + sb);
    const l = [...(this.#links.get(big) ?? []), ...(this.#links.get(small) ?? [])];
    this.#links.set(big, l);
    this.#links.delete(small);
    return true;
  }

  /** Applies the heuristics to one transaction (idempotent). */
  apply(tx: ChainTx, graph?: ChainGraph): void {
    if (this.#applied.has(tx.txid) || tx.coinbase) return;
    this.#applied.add(tx.txid);
    if (this.options.detectCoinJoin && isCoinJoin(tx)) {
      this.coinJoins++;
      return;
    }
    const ins = [...new Set(tx.vin.map((i) => i.address).filter((a): a is string => a !== null))];
    const first = ins[0];
    if (first === undefined) return;
    const joined: string[] = [];
    for (const a of ins.slice(1)) if (this.union(first, a)) joined.push(a);
    if (joined.length > 0) this.#remember(first, { txid: tx.txid, heuristic: 'common-input', addresses: [first, ...joined] });
    if (this.options.change && graph) {
      const change = changeOutput(tx, graph);
      if (change && this.union(first, change)) this.#remember(first, { txid: tx.txid, heuristic: 'change', addresses: [first, change] });
    }
  }

  #remember(a: string, link: ClusterLink): void {
    const root = this.find(a);
    const l = this.#links.get(root) ?? [];
    l.push(link);
    this.#links.set(root, l);
  }

  applyAll(graph: ChainGraph): void {
    for (const tx of graph.txs.values()) this.apply(tx, graph);
  }

  /** The merges that built the cluster of `a` (which transactions joined which addresses). */
  explain(a: string): ClusterLink[] {
    return this.#links.get(this.find(a)) ?? [];
  }

  sizeOf(a: string): number {
    return this.#size.get(this.find(a)) ?? 1;
  }

  /** Every address seen in a merge, grouped by cluster root. */
  groups(addresses: Iterable<string>): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const a of addresses) {
      const r = this.find(a);
      const l = out.get(r);
      if (l) l.push(a);
      else out.set(r, [a]);
    }
    return out;
  }
}

/**
 * The fresh-address change heuristic: in a two-output transaction, when exactly one output goes to an address
 * never seen before and the other to an address used earlier, the fresh one is the payer's change.
 */
export function changeOutput(tx: ChainTx, graph: ChainGraph): string | null {
  if (tx.vout.length !== 2 || tx.vin.length === 0) return null;
  const ins = new Set(tx.vin.map((i) => i.address));
  const fresh = tx.vout.filter((o) => o.address && !ins.has(o.address) && graph.firstSeen.get(o.address) === tx.txid);
  if (fresh.length !== 1) return null;
  return fresh[0]?.address ?? null;
}

/** Per clusters and graph: an address whose spends were walked, how long its history was then, and its co-inputs in first-seen order. */
const WALKED = new WeakMap<Clusters, WeakMap<ChainGraph, Map<string, { historyLength: number; coInputs: string[] }>>>();

function walkedOf(clusters: Clusters, graph: ChainGraph): Map<string, { historyLength: number; coInputs: string[] }> {
  let byGraph = WALKED.get(clusters);
  if (!byGraph) WALKED.set(clusters, (byGraph = new WeakMap()));
  let m = byGraph.get(graph);
  if (!m) byGraph.set(graph, (m = new Map()));
  return m;
}

/**
 * Expands the cluster of `start` on demand: loads the history of cluster members, applies the heuristics to their
 * spending transactions, and repeats until nothing new joins, `stop` says enough, or the limits are reached.
 * An address walked before with an unchanged history is not walked again (a busy service address — an exchange's
 * hot wallet, hundreds of thousands of spends — is met by every trace that reaches its cluster).
 */
export async function expandCluster(
  graph: ChainGraph,
  clusters: Clusters,
  start: Iterable<string>,
  limits: { maxAddresses?: number; maxRounds?: number; stop?: (members: string[]) => boolean } = {},
): Promise<string[]> {
  const members = new Set(start);
  let frontier = [...members];
  const maxAddresses = limits.maxAddresses ?? 300;
  const walked = walkedOf(clusters, graph);
  for (let round = 0; round < (limits.maxRounds ?? 4) && frontier.length > 0; round++) {
    const next: string[] = [];
    for (const a of frontier) {
      await graph.loadAddress(a);
      const history = graph.byAddress.get(a) ?? [];
      const memo = walked.get(a);
      if (memo && memo.historyLength === history.length) {
        // Walked before with this history: every spend is applied already, so the clusters cannot change during
        // this walk and only the first sighting of each co-input counts — the same members, in the same order.
        for (const i of memo.coInputs) {
          if (!members.has(i) && clusters.find(i) === clusters.find(a)) {
            members.add(i);
            next.push(i);
          }
        }
      } else {
        const coInputs = new Set<string>();
        for (const id of history) {
          const tx = graph.txs.get(id) as ChainTx;
          if (!tx.vin.some((i) => i.address === a)) continue;
          clusters.apply(tx, graph);
          if (clusters.options.detectCoinJoin && isCoinJoin(tx)) continue;
          for (const i of tx.vin) {
            if (!i.address) continue;
            coInputs.add(i.address);
            if (!members.has(i.address) && clusters.find(i.address) === clusters.find(a)) {
              members.add(i.address);
              next.push(i.address);
            }
          }
        }
        walked.set(a, { historyLength: history.length, coInputs: [...coInputs] });
      }
      if (limits.stop?.([...members]) || members.size >= maxAddresses) return [...members];
    }
    frontier = next;
  }
  return [...members];
}
