import type { Kysely } from 'kysely';
import { EvidenceRecorder } from '../evidence/index.ts';
import { loadFxTable } from '../extract/store/index.ts';
import type { Database } from '../store/index.ts';
import { Attribution } from './attribution.ts';
import { Clusters } from './cluster.ts';
import { EsploraSource } from './esplora-source.ts';
import { ChainGraph } from './graph.ts';
import { cashOutReport, type CashOutReport } from './report.ts';
import { BitcoinCoreSource } from './rpc-source.ts';
import { addressEvidence, loadTags, preserveChainData, vendorAddresses } from './store.ts';
import type { AddressTag } from './tagpack.ts';
import { traceHaircut } from './trace.ts';
import type { ChainFetch, ChainSource } from './types.ts';

export interface MoneyTraceOptions {
  agencyId: number;
  esplora?: string;
  rpc?: { url: string; user?: string; password?: string; from?: number; to?: number };
  addresses?: string[];
  vendorId?: number;
  /** Who the report is about (default: the vendor row, or the start addresses). */
  subject?: string;
  extraTags?: AddressTag[];
  maxHops?: number;
  timeoutMs?: number;
  /** Where fetched chain data is preserved as evidence; nothing is preserved when absent. */
  evidenceDir?: string;
}

export class MoneyInputError extends Error {}

/**
 * One trace as the CLI and the server run it: start addresses (given, or the vendor's from the store), the chain
 * source, the agency's tags, the haircut trace, the report, and — only when everything succeeded — the fetched
 * chain data preserved as evidence.
 */
export async function runMoneyTrace(db: Kysely<Database>, o: MoneyTraceOptions): Promise<{ report: CashOutReport; preserved: { captures: number; txs: number } }> {
  if (!o.esplora === !o.rpc) throw new MoneyInputError('give exactly one chain source: Esplora or Bitcoin Core RPC');
  const maxHops = o.maxHops ?? 6;
  let start = [...(o.addresses ?? [])];
  if (o.vendorId !== undefined) start.push(...(await vendorAddresses(db, o.agencyId, o.vendorId)));
  start = [...new Set(start)];
  if (start.length === 0) throw new MoneyInputError('no start address: give addresses or a vendor with bitcoin addresses');
  for (const a of start) if (!/^(bc1[02-9ac-hj-np-z]{8,87}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$/.test(a)) throw new MoneyInputError(`not a mainnet bitcoin address: ${JSON.stringify(a.slice(0, 100))}`);
  const fetches: ChainFetch[] = [];
  const onFetch = (f: ChainFetch) => void fetches.push(f);
  let source: ChainSource;
  let graph: ChainGraph;
  if (o.esplora) {
    source = new EsploraSource(o.esplora, { timeoutMs: o.timeoutMs, onFetch });
    graph = new ChainGraph(source);
  } else {
    const rpc = o.rpc as NonNullable<MoneyTraceOptions['rpc']>;
    const core = new BitcoinCoreSource(rpc.url, { timeoutMs: o.timeoutMs, onFetch, user: rpc.user, password: rpc.password });
    source = core;
    const g = new ChainGraph(core);
    graph = g;
    core.prevouts = (txid) => g.txs.get(txid)?.vout;
    const tip = await core.tip();
    const to = rpc.to ?? tip.height;
    const from = rpc.from ?? Math.max(0, to - 143);
    if (!Number.isInteger(from) || !Number.isInteger(to) || from > to || to > tip.height) throw new MoneyInputError(`block range must satisfy from ≤ to ≤ ${tip.height}`);
    if (to - from > 100_000) throw new MoneyInputError('at most 100 000 blocks per trace over RPC (use an indexer such as Esplora or GraphSense for more)');
    await g.ingestBlocks(core, from, to);
  }
  const clusters = new Clusters();
  const attribution = new Attribution(graph, clusters, [...(await loadTags(db, o.agencyId)), ...(o.extraTags ?? [])]);
  const trace = await traceHaircut(graph, clusters, attribution, start, { maxHops });
  const report = cashOutReport(trace, await loadFxTable(db), {
    subject: o.subject ?? (o.vendorId !== undefined ? `vendor ${o.vendorId}` : start.join(', ')), startAddresses: start, maxHops,
    evidence: await addressEvidence(db, o.agencyId, trace.sources),
  });
  let preserved = { captures: 0, txs: 0 };
  if (o.evidenceDir) {
    const recorder = new EvidenceRecorder(db, { dir: o.evidenceDir });
    try {
      preserved = await preserveChainData(db, recorder, o.agencyId, source.name, fetches, graph.txs.values());
    } finally {
      await recorder.writer.close();
    }
  }
  return { report, preserved };
}
