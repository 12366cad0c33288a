// Follow the money at size: transactions/s ingested over a Bitcoin Core RPC endpoint into the chain graph
// (zod-validated, prevouts resolved) and traced (haircut, from every vendor with a known address), with heap and RSS,
// beside a peer in the same run: the same RPC requests with a plain JSON.parse of each answer (the floor of any
// client: HTTP + JSON decoding, nothing kept). The node is the sim's ledger (the tiny sim world plus background
// payments to reach about --txs transactions) served by bench/money-node.ts in its OWN process, so the figures here
// (time, heap, max RSS) are the client's alone. The graph's heap is also taken when --checkpoint transactions are
// in (default 100 000), to show bytes per transaction at two sizes in the same run.
//   npx tsx bench/money.bench.ts --txs 1000000          (npm run bench -- money)
//   npx tsx bench/money.bench.ts --txs 100000 --max-seconds 600
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Attribution, BitcoinCoreSource, ChainGraph, Clusters, traceHaircut } from '../src/money/index.ts';
import type { MoneyNodeHello } from './money-node.ts';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    txs: { type: 'string', default: '1000000' },
    checkpoint: { type: 'string', default: '100000' },
    'max-seconds': { type: 'string', default: '2400' },
  },
});
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer (got ${JSON.stringify(v)})`);
  return n;
};
const target = positive('txs', values.txs);
const checkpointAt = Math.min(positive('checkpoint', values.checkpoint), Math.max(1, Math.floor(target / 10)));
const maxSeconds = positive('max-seconds', values['max-seconds']);
const mib = (b: number) => Math.round(b / 2 ** 20);
const round1 = (x: number) => Math.round(x * 10) / 10;
if (!global.gc) throw new Error('run with --expose-gc (npx tsx passes NODE_OPTIONS: NODE_OPTIONS=--expose-gc npx tsx bench/money.bench.ts …)');
const gc = global.gc;
const startedAt = performance.now();
let phase = 'starting the node';

// The node, in its own process.
const node = spawn(process.execPath, ['--import', 'tsx', new URL('./money-node.ts', import.meta.url).pathname, '--seed', values.seed!, '--txs', String(target)], {
  stdio: ['pipe', 'pipe', 'inherit'],
  env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=12288' },
});
let stopping = false;
const stopNode = () => {
  stopping = true;
  if (node.exitCode === null && node.signalCode === null) node.kill('SIGTERM');
};
process.on('exit', stopNode);
const limit = setTimeout(() => {
  console.error(
    `money bench: stopped after its --max-seconds ${maxSeconds} s bound while ${phase} (${Math.round((performance.now() - startedAt) / 1000)} s in); ` +
      'no figures recorded. Re-run on a quieter machine, with fewer --txs, or a larger --max-seconds.',
  );
  stopNode();
  process.exit(3);
}, maxSeconds * 1000);
const exited = once(node, 'exit').then(([code, signal]) => {
  throw new Error(`money bench: the node process exited (code ${code}, signal ${signal}) while ${phase}`);
});
const firstLine = new Promise<string>((resolve) => createInterface({ input: node.stdout }).once('line', resolve));
phase = 'the node generates the ledger';
const hello = JSON.parse(await Promise.race([firstLine, exited])) as MoneyNodeHello;
exited.catch((err: Error) => {
  if (!stopping) console.error(err.message);
});
const { rpcUrl, firstHeight: first, lastHeight: last } = hello;

// Ours (ingest into the chain graph) and the peer (the same two requests per block, JSON.parse only, nothing kept),
// interleaved block by block — ours first on even heights, the peer first on odd ones — so both see the same machine
// load and the same node; each side's time is summed over its own requests. The graph's heap is taken at the
// checkpoint (that gc is counted on neither side).
phase = 'ingesting (interleaved with the peer)';
const rpc = async (method: string, params: unknown[]) => {
  const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params }) };
  // One retry on a kept-alive connection the node closed, as httpFetch does for ours.
  const r = await fetch(rpcUrl, init).catch(() => fetch(rpcUrl, init));
  return JSON.parse(await r.text()) as { result: unknown };
};
const peerBlock = async (h: number): Promise<number> => {
  const hash = (await rpc('getblockhash', [h])).result as string;
  return ((await rpc('getblock', [hash, 2])).result as { tx: unknown[] }).tx.length;
};
gc();
const heap0 = process.memoryUsage().heapUsed;
const core = new BitcoinCoreSource(rpcUrl, { timeoutMs: 120_000 });
const graph = new ChainGraph(core);
core.prevouts = (txid) => graph.txs.get(txid)?.vout;
let checkpoint: { txs: number; seconds: number; heapBytes: number } | null = null;
// Garbage collection during the interleaved phase (both sides; the forced gc at the checkpoint is not counted).
let gcMs = 0;
let forcedGc = false;
const gcObserver = new PerformanceObserver((list) => {
  if (!forcedGc) for (const e of list.getEntries()) gcMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
let ingestS = 0;
let peerS = 0;
let peerTxs = 0;
for (let h = first; h <= last; h++) {
  for (const side of h % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours']) {
    const t0 = performance.now();
    if (side === 'ours') await graph.ingestBlocks(core, h, h);
    else peerTxs += await peerBlock(h);
    const s = (performance.now() - t0) / 1000;
    if (side === 'ours') ingestS += s;
    else peerS += s;
  }
  if (!checkpoint && graph.txs.size >= checkpointAt) {
    forcedGc = true;
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    forcedGc = false;
    checkpoint = { txs: graph.txs.size, seconds: ingestS, heapBytes: process.memoryUsage().heapUsed - heap0 };
  }
}
await new Promise((resolve) => setImmediate(resolve));
gcObserver.disconnect();
gc();
const graphHeap = process.memoryUsage().heapUsed - heap0;
const n = graph.txs.size;
let t: number;

phase = 'clustering';
const clusters = new Clusters();
t = performance.now();
clusters.applyAll(graph);
const clusterS = (performance.now() - t) / 1000;

phase = 'tracing';
const attribution = new Attribution(graph, clusters, hello.tags);
const traced = new Set<string>();
let followed = 0;
let arrivals = 0;
t = performance.now();
for (const start of hello.known) {
  const r = await traceHaircut(graph, clusters, attribution, start);
  followed += r.steps;
  arrivals += r.arrivals.length;
  for (const a of r.arrivals) for (const x of a.path) traced.add(x);
}
const traceS = (performance.now() - t) / 1000;
gc();
const end = process.memoryUsage();
clearTimeout(limit);
stopNode();

const cp = checkpoint as { txs: number; seconds: number; heapBytes: number } | null;
console.log(JSON.stringify({
  seed: values.seed,
  node: { process: 'bench/money-node.ts (own process)', blocks: hello.blocks, txs: hello.txs, backgroundTxPerDay: hello.backgroundTxPerDay, generateLedgerS: hello.generateLedgerS, rssMiB: hello.nodeRssMiB },
  ingest: { txs: n, seconds: round1(ingestS), txPerS: Math.round(n / ingestS) },
  peerJsonParse: { txs: peerTxs, seconds: round1(peerS), txPerS: Math.round(peerTxs / peerS) },
  gcDuringIngestAndPeerS: round1(gcMs / 1000),
  ingestVsPeer: Math.round((n / ingestS / (peerTxs / peerS)) * 100) / 100,
  graphHeap: {
    atCheckpoint: cp ? { txs: cp.txs, txPerS: Math.round(cp.txs / cp.seconds), heapMiB: mib(cp.heapBytes), bytesPerTx: Math.round(cp.heapBytes / cp.txs) } : null,
    atEnd: { txs: n, heapMiB: mib(graphHeap), bytesPerTx: Math.round(graphHeap / n) },
  },
  cluster: { seconds: round1(clusterS), txPerS: Math.round(n / clusterS) },
  trace: { vendors: hello.known.length, outputsFollowed: followed, arrivals, pathTxs: traced.size, seconds: round1(traceS), outputsPerS: Math.round(followed / traceS) },
  client: { heapAtEndMiB: mib(end.heapUsed), rssAtEndMiB: mib(end.rss), maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) },
  wallSeconds: Math.round((performance.now() - startedAt) / 1000),
}));
