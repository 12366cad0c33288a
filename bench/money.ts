// Follow-the-money benchmark (small: the machine is shared): transactions/s ingested over the sim's Bitcoin Core
// RPC endpoint, traced vendors/s on the ingested graph, and heap per ingested transaction.
// Run: npx tsx bench/money.ts [seed] [scale]
import { Attribution, BitcoinCoreSource, ChainGraph, Clusters, knownAddresses, simTags, traceHaircut } from '../src/money/index.ts';
import { generateLedger, serveLedger } from '../src/sim/ledger/index.ts';
import { generateWorld, type ScalePreset } from '../src/sim/world/index.ts';

const seed = process.argv[2] ?? '1';
const scale = (process.argv[3] ?? 'tiny') as ScalePreset;
const world = generateWorld({ seed, scale });
const ledger = generateLedger(world);
const server = await serveLedger(ledger);
try {
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const core = new BitcoinCoreSource(server.rpcUrl);
  const graph = new ChainGraph(core);
  core.prevouts = (txid) => graph.txs.get(txid)?.vout;
  let t = performance.now();
  await graph.ingestBlocks(core, ledger.blocks[0]!.height, ledger.blocks.at(-1)!.height);
  const ingestS = (performance.now() - t) / 1000;
  global.gc?.();
  const heap1 = process.memoryUsage().heapUsed;
  const clusters = new Clusters();
  clusters.applyAll(graph);
  const attribution = new Attribution(graph, clusters, simTags(ledger));
  const known = [...knownAddresses(world).values()];
  t = performance.now();
  let followed = 0;
  for (const start of known) followed += (await traceHaircut(graph, clusters, attribution, start)).steps;
  const traceS = (performance.now() - t) / 1000;
  const perTx = (heap1 - heap0) / graph.txs.size;
  console.log(JSON.stringify({
    seed, scale, txs: graph.txs.size, ingestTxPerS: Math.round(graph.txs.size / ingestS), vendorsTraced: known.length, outputsFollowed: followed,
    traceOutputsPerS: Math.round(followed / traceS), heapBytesPerTx: Math.round(perTx), heapAt1MTxMiB_extrapolated: Math.round((perTx * 1e6) / 2 ** 20),
  }));
} finally {
  await server.close();
}
