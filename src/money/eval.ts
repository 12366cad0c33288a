import { generateLedger, publicTags, serveLedger, type Ledger } from '../sim/ledger/index.ts';
import { generateWorld, type World, type WorldOptions } from '../sim/world/index.ts';
import { Attribution } from './attribution.ts';
import { Clusters, type ClusterOptions } from './cluster.ts';
import { EsploraSource } from './esplora-source.ts';
import { ChainGraph } from './graph.ts';
import { BitcoinCoreSource } from './rpc-source.ts';
import type { AddressTag } from './tagpack.ts';
import { traceHaircut } from './trace.ts';

export interface ClusterScore {
  heuristics: string;
  addresses: number;
  clusters: number;
  /** Pairwise: of address pairs put together, the share owned by one entity. */
  precision: number;
  /** Pairwise: of same-entity address pairs, the share put together. */
  recall: number;
  /** Entities with addresses in more than one entity's cluster (merges of unrelated entities). */
  wrongMerges: number;
}

export interface MoneyEval {
  seed: string;
  scale: string;
  blocks: number;
  txs: number;
  clustering: ClusterScore[];
  cashout: {
    /** Vendors with at least one true cash-out. */
    vendorsCashedOut: number;
    /** … of whom the investigator knows at least one bitcoin address (shown publicly or in the seized database). */
    vendorsWithKnownAddress: number;
    /** True (vendor, exchange) pairs of those vendors, and how many the trace named. */
    pairs: number;
    pairsFound: number;
    recall: number;
    /** Named pairs that are true. */
    precision: number;
    /** Pairs whose every cash-out avoided the mixer: amount within ±5 %. */
    amountPairs: number;
    amountWithin5: number;
    medianAmountError: number;
    /** Pairs with a mixed cash-out (their mixed part is not followed through the CoinJoin). */
    mixedPairs: number;
    mixedPairsFound: number;
  };
  fetches: { rpcRequests: number; esploraRequests: number };
}

/** Pairwise precision/recall of a clustering against the owner of every address. */
export function scoreClusters(clusters: Clusters, owner: Map<string, string>, addresses: Iterable<string>, heuristics: string): ClusterScore {
  const byCluster = clusters.groups(addresses);
  let together = 0, correct = 0;
  const entityPairs = new Map<string, number>();
  const entityClusters = new Map<string, Set<string>>();
  let n = 0;
  for (const [root, members] of byCluster) {
    const count = new Map<string, number>();
    for (const a of members) {
      const o = owner.get(a) ?? `unknown:${a}`;
      count.set(o, (count.get(o) ?? 0) + 1);
      entityPairs.set(o, (entityPairs.get(o) ?? 0) + 1);
      n++;
    }
    together += (members.length * (members.length - 1)) / 2;
    for (const [o, c] of count) {
      correct += (c * (c - 1)) / 2;
      if (count.size > 1) {
        const s = entityClusters.get(o) ?? new Set();
        s.add(root);
        entityClusters.set(o, s);
      }
    }
  }
  let truePairs = 0;
  for (const c of entityPairs.values()) truePairs += (c * (c - 1)) / 2;
  return {
    heuristics, addresses: n, clusters: byCluster.size, precision: together === 0 ? 1 : correct / together, recall: truePairs === 0 ? 1 : correct / truePairs,
    wrongMerges: entityClusters.size,
  };
}

/** The addresses an investigator has for each identity: shown on markets/channels, or in the seized database. */
export function knownAddresses(world: World): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const add = (identityId: string, a: string) => {
    if (!/^(bc1|[13])/.test(a)) return;
    const s = out.get(identityId) ?? new Set();
    s.add(a);
    out.set(identityId, s);
  };
  for (const acc of world.accounts) for (const a of acc.shownCrypto) add(acc.identityId, a);
  const accById = new Map(world.accounts.map((a) => [a.id, a]));
  for (const db of world.seized) {
    for (const w of db.wallets) {
      const acc = accById.get(w.ownerId);
      if (acc && w.purpose === 'withdrawal') add(acc.identityId, w.address);
    }
  }
  return new Map([...out].map(([k, v]) => [k, [...v]]));
}

export function simTags(ledger: Ledger): AddressTag[] {
  return publicTags(ledger).map((t) => ({ ...t }));
}

/**
 * `darkpatrol eval money`: builds a world and its ledger, serves it as Bitcoin Core RPC and Esplora on loopback,
 * ingests every block over RPC to score clustering, then traces each vendor from the addresses an investigator
 * knows — on demand over Esplora — and scores the cash-outs found against the ledger's truth.
 */
export async function evaluateMoney(opts: { seed: string; scale?: WorldOptions['scale']; maxHops?: number; onProgress?: (s: string) => void }): Promise<MoneyEval> {
  const scale = opts.scale ?? 'tiny';
  opts.onProgress?.('world');
  const world = generateWorld({ seed: opts.seed, scale });
  opts.onProgress?.('ledger');
  const ledger = generateLedger(world);
  const server = await serveLedger(ledger);
  try {
    opts.onProgress?.('ingest over RPC');
    const core = new BitcoinCoreSource(server.rpcUrl);
    const full = new ChainGraph(core);
    core.prevouts = (txid) => full.txs.get(txid)?.vout;
    const tip = await core.tip();
    const first = ledger.blocks[0]?.height as number;
    await full.ingestBlocks(core, first, tip.height);
    const rpcRequests = server.requests;
    const addresses = new Set<string>();
    for (const tx of full.txs.values()) for (const o of tx.vout) if (o.address) addresses.add(o.address);
    const owner = ledger.truth.owner;
    const variants: Array<[string, ClusterOptions]> = [
      ['common-input + CoinJoin detection', {}],
      ['common-input, no CoinJoin detection', { detectCoinJoin: false }],
      ['common-input + CoinJoin detection + fresh-address change', { change: true }],
    ];
    const clustering = variants.map(([name, o]) => {
      const c = new Clusters(o);
      c.applyAll(full);
      return scoreClusters(c, owner, addresses, name);
    });

    opts.onProgress?.('trace over Esplora');
    const known = knownAddresses(world);
    const tags = simTags(ledger);
    const esplora = new EsploraSource(server.esploraUrl);
    const graph = new ChainGraph(esplora);
    const clusters = new Clusters();
    const attribution = new Attribution(graph, clusters, tags);
    const truthPairs = new Map<string, { sats: number; mixed: boolean }>();
    const cashedOut = new Set<string>();
    for (const c of ledger.truth.cashouts) {
      cashedOut.add(c.identityId);
      const k = `${c.identityId}|${c.exchange}`;
      const p = truthPairs.get(k) ?? { sats: 0, mixed: false };
      p.sats += c.sats;
      p.mixed ||= c.route === 'mixer';
      truthPairs.set(k, p);
    }
    const exchangeSlug = new Map(ledger.exchanges.map((e) => [e.name, e.slug]));
    let pairs = 0, pairsFound = 0, named = 0, namedTrue = 0, amountPairs = 0, amountWithin5 = 0, mixedPairs = 0, mixedFound = 0, withKnown = 0;
    const errors: number[] = [];
    for (const identityId of [...cashedOut].sort()) {
      const start = known.get(identityId) ?? [];
      if (start.length === 0) continue;
      withKnown++;
      const r = await traceHaircut(graph, clusters, attribution, start, { maxHops: opts.maxHops ?? 6 });
      const found = new Map<string, number>();
      for (const a of r.arrivals) {
        if (a.service.category !== 'exchange') continue;
        const slug = exchangeSlug.get(a.service.label) ?? a.service.label;
        found.set(slug, (found.get(slug) ?? 0) + a.sats);
      }
      for (const [slug] of found) {
        named++;
        if (truthPairs.has(`${identityId}|${slug}`)) namedTrue++;
      }
      for (const [k, p] of truthPairs) {
        if (!k.startsWith(`${identityId}|`)) continue;
        const slug = k.split('|')[1] as string;
        pairs++;
        const got = found.get(slug);
        if (got !== undefined) pairsFound++;
        if (p.mixed) {
          mixedPairs++;
          if (got !== undefined) mixedFound++;
          continue;
        }
        amountPairs++;
        const err = Math.abs((got ?? 0) - p.sats) / p.sats;
        errors.push(err);
        if (err <= 0.05) amountWithin5++;
      }
    }
    errors.sort((a, b) => a - b);
    return {
      seed: opts.seed, scale: typeof scale === 'string' ? scale : JSON.stringify(scale), blocks: ledger.blocks.length, txs: full.txs.size, clustering,
      cashout: {
        vendorsCashedOut: cashedOut.size, vendorsWithKnownAddress: withKnown, pairs, pairsFound, recall: pairs ? pairsFound / pairs : 1,
        precision: named ? namedTrue / named : 1, amountPairs, amountWithin5, medianAmountError: errors[Math.floor(errors.length / 2)] ?? 0,
        mixedPairs, mixedPairsFound: mixedFound,
      },
      fetches: { rpcRequests, esploraRequests: server.requests - rpcRequests },
    };
  } finally {
    await server.close();
  }
}
