// The sim's Bitcoin Core RPC node for bench/money.bench.ts, in its own process so the benchmark's client measures
// only itself (its event loop, heap and RSS). Generates the tiny sim world's ledger plus background payments to reach
// about --txs transactions, serves it on loopback, then prints ONE JSON line on stdout: where it listens, the block
// range, the public tags and the addresses an investigator knows. It serves until its stdin closes (the parent
// exited) or it gets SIGTERM; on the way out it prints its own figures (max RSS) on stderr.
//   npx tsx bench/money-node.ts --seed 1 --txs 100000
import { parseArgs } from 'node:util';
import { knownAddresses, simTags } from '../src/money/index.ts';
import { generateLedger, serveLedger } from '../src/sim/ledger/index.ts';
import { generateWorld } from '../src/sim/world/index.ts';

/** What the node tells the benchmark (its first stdout line). */
export interface MoneyNodeHello {
  rpcUrl: string;
  firstHeight: number;
  lastHeight: number;
  blocks: number;
  txs: number;
  backgroundTxPerDay: number;
  generateLedgerS: number;
  nodeRssMiB: number;
  tags: ReturnType<typeof simTags>;
  known: string[][];
}

const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, txs: { type: 'string', default: '1000000' } } });
const target = Number(values.txs);
if (!Number.isInteger(target) || target < 1) {
  console.error(`money-node: --txs must be a positive integer (got ${JSON.stringify(values.txs)})`);
  process.exit(2);
}

const world = generateWorld({ seed: values.seed!, scale: 'tiny' });
const base = generateLedger(world);
const perDay = Math.max(0, Math.ceil((target - base.txs.size) / base.blocks.length));
const t = performance.now();
const ledger = perDay ? generateLedger(world, { backgroundTxPerDay: perDay }) : base;
const generateLedgerS = (performance.now() - t) / 1000;
const server = await serveLedger(ledger);
// Like Bitcoin Core's rpcservertimeout (30 s): a client busy with a big block between requests keeps its connection.
server.server.keepAliveTimeout = 30_000;

const stop = () => {
  console.error(`money-node: stopping; max RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB, ${server.requests} requests answered`);
  void server.close().finally(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);

const hello: MoneyNodeHello = {
  rpcUrl: server.rpcUrl,
  firstHeight: ledger.blocks[0]!.height,
  lastHeight: ledger.blocks.at(-1)!.height,
  blocks: ledger.blocks.length,
  txs: ledger.txs.size,
  backgroundTxPerDay: perDay,
  generateLedgerS: Math.round(generateLedgerS * 10) / 10,
  nodeRssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  tags: simTags(ledger),
  known: [...knownAddresses(world).values()],
};
process.stdout.write(`${JSON.stringify(hello)}\n`);
