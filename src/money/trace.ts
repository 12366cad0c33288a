import type { Attribution, ServiceMatch } from './attribution.ts';
import { expandCluster, isCoinJoin, type Clusters } from './cluster.ts';
import type { ChainGraph } from './graph.ts';
import type { ChainTx } from './types.ts';

/** Value reaching a service (or a CoinJoin) on a traced path. */
export interface Arrival {
  service: ServiceMatch;
  address: string;
  txid: string;
  n: number;
  height: number | null;
  time: number | null;
  /** Satoshis of the traced value in this output (haircut share). */
  sats: number;
  hops: number;
  /** Transactions from the first spend of the vendor's coins to this one. */
  path: string[];
}

export interface TraceOptions {
  /** Transactions followed from a source output (default 6). */
  maxHops?: number;
  /** Shares below this many satoshis are dropped (default 1000). */
  minSats?: number;
  /** Safety bound on followed outputs (default 200 000). */
  maxSteps?: number;
  /** Expand the source addresses by common-input clustering first (default true). */
  expandSources?: boolean;
}

export interface TraceResult {
  sources: string[];
  /** Satoshis received by the source addresses. */
  receivedSats: number;
  arrivals: Arrival[];
  /** Value that entered a CoinJoin-like transaction (not followed further: see docs/money.md). */
  mixed: Array<{ txid: string; sats: number; height: number | null; time: number | null; path: string[]; service: ServiceMatch | null }>;
  unspentSats: number;
  hopLimitSats: number;
  dustSats: number;
  feeSats: number;
  steps: number;
  truncated: boolean;
}

interface Item { txid: string; n: number; taint: number; hops: number; path: string[] }

/**
 * Follows the value a set of addresses received forward, with the **haircut** rule: a transaction passes on its
 * tainted input value to every output in proportion to the output's value (the fee takes its share). A path ends at
 * an attributed service (tag on the address or its cluster), at a CoinJoin-like transaction, at an unspent output,
 * at the hop limit, or when its share falls under `minSats`. Outputs back to a source address are not counted twice.
 */
export async function traceHaircut(graph: ChainGraph, clusters: Clusters, attribution: Attribution, start: string[], options: TraceOptions = {}): Promise<TraceResult> {
  const maxHops = options.maxHops ?? 6;
  const minSats = options.minSats ?? 1000;
  const maxSteps = options.maxSteps ?? 200_000;
  const sources = options.expandSources === false ? [...new Set(start)] : await expandCluster(graph, clusters, start, { maxAddresses: 500, maxRounds: 6 });
  const src = new Set(sources);
  const r: TraceResult = { sources, receivedSats: 0, arrivals: [], mixed: [], unspentSats: 0, hopLimitSats: 0, dustSats: 0, feeSats: 0, steps: 0, truncated: false };
  const stack: Item[] = [];
  const seenOut = new Set<string>();
  for (const a of sources) {
    await graph.loadAddress(a);
    for (const id of graph.byAddress.get(a) ?? []) {
      const tx = graph.txs.get(id) as ChainTx;
      for (const o of tx.vout) {
        if (o.address !== a || seenOut.has(`${id}:${o.n}`)) continue;
        seenOut.add(`${id}:${o.n}`);
        r.receivedSats += o.value;
        stack.push({ txid: id, n: o.n, taint: o.value, hops: 0, path: [] });
      }
    }
  }
  const arrivals = new Map<string, Arrival>();
  while (stack.length > 0) {
    const item = stack.pop() as Item;
    if (++r.steps > maxSteps) {
      r.truncated = true;
      break;
    }
    if (item.taint < minSats) {
      r.dustSats += item.taint;
      continue;
    }
    await graph.loadSpends(item.txid);
    const spender = graph.spentBy.get(`${item.txid}:${item.n}`);
    if (!spender) {
      r.unspentSats += item.taint;
      continue;
    }
    const tx = await graph.loadTx(spender);
    const path = [...item.path, tx.txid];
    if (isCoinJoin(tx)) {
      let service: ServiceMatch | null = null;
      for (const o of tx.vout) if (o.address && !service) service = (await attribution.serviceOf(o.address)) ?? null;
      r.mixed.push({ txid: tx.txid, sats: item.taint, height: tx.height, time: tx.time, path, service });
      continue;
    }
    const hops = item.hops + 1;
    if (hops > maxHops) {
      r.hopLimitSats += item.taint;
      continue;
    }
    const inSum = tx.vin.reduce((a, i) => a + i.value, 0);
    const outSum = tx.vout.reduce((a, o) => a + o.value, 0);
    if (inSum <= 0) continue;
    r.feeSats += (item.taint * (inSum - outSum)) / inSum;
    for (const o of tx.vout) {
      if (!o.address || src.has(o.address)) continue;
      const share = (item.taint * o.value) / inSum;
      const service = await attribution.serviceOf(o.address);
      if (service) {
        const key = `${tx.txid}:${o.n}`;
        const a = arrivals.get(key);
        if (a) a.sats += share;
        else arrivals.set(key, { service, address: o.address, txid: tx.txid, n: o.n, height: tx.height, time: tx.time, sats: share, hops, path });
        continue;
      }
      stack.push({ txid: tx.txid, n: o.n, taint: share, hops, path });
    }
  }
  r.arrivals = [...arrivals.values()].sort((a, b) => (a.height ?? 0) - (b.height ?? 0) || a.txid.localeCompare(b.txid));
  return r;
}
