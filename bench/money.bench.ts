// Follow the money at size: transactions/s ingested over the sim's Bitcoin Core RPC endpoint into the chain graph
// (zod-validated, prevouts resolved) and traced (haircut, from every vendor with a known address), with heap and RSS,
// beside a peer in the same run: the same RPC requests with a plain JSON.parse of each answer (the floor of any
// client: HTTP + JSON decoding, nothing kept). The ledger is the tiny sim world plus background payments to reach
// about --txs transactions.  Run: node --expose-gc --import tsx bench/money.bench.ts --txs 1000000
import { parseArgs } from 'node:util';
import { Attribution, BitcoinCoreSource, ChainGraph, Clusters, knownAddresses, simTags, traceHaircut } from '../src/money/index.ts';
import { generateLedger, serveLedger } from '../src/sim/ledger/index.ts';
import { generateWorld } from '../src/sim/world/index.ts';

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, txs: { type: 'string', default: '1000000' } } });
const target = Number(values.txs);
if (!Number.isInteger(target) || target < 1) throw new Error('--txs must be a positive integer');
const mib = (b: number) => Math.round(b / 2 ** 20);
const gc = () => (global.gc ? global.gc() : undefined);

const world = generateWorld({ seed: values.seed!, scale: 'tiny' });
const base = generateLedger(world);
const baseTxs = base.txs.size;
const perDay = Math.max(0, Math.ceil((target - baseTxs) / base.blocks.length));
let t = performance.now();
const ledger = perDay ? generateLedger(world, { backgroundTxPerDay: perDay }) : base;
const generateS = (performance.now() - t) / 1000;
const server = await serveLedger(ledger);
const first = ledger.blocks[0]!.height;
const last = ledger.blocks.at(-1)!.height;
try {
  // Peer: the same requests, JSON.parse only.
  const rpc = async (method: string, params: unknown[]) => {
    const r = await fetch(server.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }) });
    return JSON.parse(await r.text()) as { result: unknown };
  };
  let peerTxs = 0;
  t = performance.now();
  for (let h = first; h <= last; h++) {
    const hash = (await rpc('getblockhash', [h])).result as string;
    peerTxs += ((await rpc('getblock', [hash, 2])).result as { tx: unknown[] }).tx.length;
  }
  const peerS = (performance.now() - t) / 1000;

  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const core = new BitcoinCoreSource(server.rpcUrl, { timeoutMs: 120_000 });
  const graph = new ChainGraph(core);
  core.prevouts = (txid) => graph.txs.get(txid)?.vout;
  t = performance.now();
  await graph.ingestBlocks(core, first, last);
  const ingestS = (performance.now() - t) / 1000;
  gc();
  const afterIngest = process.memoryUsage();
  const clusters = new Clusters();
  t = performance.now();
  clusters.applyAll(graph);
  const clusterS = (performance.now() - t) / 1000;
  const attribution = new Attribution(graph, clusters, simTags(ledger));
  const known = [...knownAddresses(world).values()];
  const traced = new Set<string>();
  let followed = 0;
  t = performance.now();
  for (const start of known) {
    const r = await traceHaircut(graph, clusters, attribution, start);
    followed += r.steps;
    for (const a of r.arrivals) for (const x of a.path) traced.add(x);
  }
  const traceS = (performance.now() - t) / 1000;
  gc();
  const end = process.memoryUsage();
  const n = graph.txs.size;
  console.log(JSON.stringify({
    seed: values.seed, targetTxs: target, blocks: ledger.blocks.length, backgroundTxPerDay: perDay, generateLedgerS: Math.round(generateS),
    ingest: { txs: n, seconds: Math.round(ingestS * 10) / 10, txPerS: Math.round(n / ingestS), heapMiB: mib(afterIngest.heapUsed - heap0), heapBytesPerTx: Math.round((afterIngest.heapUsed - heap0) / n), rssMiB: mib(afterIngest.rss) },
    peerJsonParse: { txs: peerTxs, seconds: Math.round(peerS * 10) / 10, txPerS: Math.round(peerTxs / peerS) },
    cluster: { seconds: Math.round(clusterS * 10) / 10, txPerS: Math.round(n / clusterS) },
    trace: { vendors: known.length, outputsFollowed: followed, pathTxs: traced.size, seconds: Math.round(traceS * 10) / 10, outputsPerS: Math.round(followed / traceS) },
    memoryAtEnd: { heapMiB: mib(end.heapUsed), rssMiB: mib(end.rss) },
  }));
} finally {
  await server.close();
}
