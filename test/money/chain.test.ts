import { Transaction } from 'bitcoinjs-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Attribution, BitcoinCoreSource, ChainGraph, ChainSourceError, Clusters, EsploraSource, isCoinJoin, scoreClusters, simTags, traceHaircut,
  knownAddresses,
} from '../../src/money/index.ts';
import { generateLedger, serveLedger, type Ledger, type LedgerServer } from '../../src/sim/ledger/index.ts';
import { generateWorld, type World } from '../../src/sim/world/index.ts';

// A small world (a few vendors, two months) keeps this file fast; its ledger still has every flow kind.
const SCALE = { preset: 'tiny' as const, overrides: { identities: 14, accounts: 20, listings: 100, buyers: 150, days: 60 } };
let world: World;
let ledger: Ledger;
let server: LedgerServer;
let core: BitcoinCoreSource;
let full: ChainGraph;

beforeAll(async () => {
  world = generateWorld({ seed: 'money-chain', scale: SCALE });
  ledger = generateLedger(world);
  server = await serveLedger(ledger, { rpcAuth: { user: 'dp', password: 'secret' } });
  core = new BitcoinCoreSource(server.rpcUrl, { user: 'dp', password: 'secret', timeoutMs: 2000 });
  full = new ChainGraph(core);
  core.prevouts = (txid) => full.txs.get(txid)?.vout;
  const tip = await core.tip();
  await full.ingestBlocks(core, ledger.blocks[0]?.height as number, tip.height);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('sim ledger over Bitcoin Core RPC and Esplora', () => {
  it('serves every block by RPC, and raw transactions that decode to their txid', async () => {
    expect(full.txs.size).toBe(ledger.txs.size);
    const some = [...ledger.txs.values()].filter((_, i) => i % 97 === 0);
    for (const t of some) {
      const raw = await core.call('getrawtransaction', [t.txid, false], (await import('zod')).z.string(), 'raw');
      expect(Transaction.fromHex(raw).getId()).toBe(t.txid);
    }
  });

  it('gives the same transaction from RPC and from Esplora', async () => {
    const esplora = new EsploraSource(server.esploraUrl);
    const ids = [...ledger.txs.keys()].filter((_, i) => i % 211 === 0);
    for (const id of ids) expect(await esplora.tx(id)).toEqual(full.txs.get(id));
    const tip = await esplora.tip();
    expect(tip.hash).toBe(ledger.blocks.at(-1)?.hash);
  });

  it('pages an address history (25 per page) to the end, oldest first', async () => {
    const busiest = [...ledger.addressTxs].sort((a, b) => b[1].length - a[1].length)[0] as [string, string[]];
    expect(busiest[1].length).toBeGreaterThan(25);
    const esplora = new EsploraSource(server.esploraUrl);
    expect(await esplora.addressTxids(busiest[0])).toEqual(busiest[1]);
  });

  it('refuses wrong RPC credentials, unknown transactions, a hanging node and malformed JSON with clear errors', async () => {
    const wrong = new BitcoinCoreSource(server.rpcUrl, { user: 'dp', password: 'nope' });
    await expect(wrong.tip()).rejects.toMatchObject({ kind: 'auth' });
    await expect(core.tx('ab'.repeat(32))).rejects.toMatchObject({ kind: 'not-found', message: expect.stringContaining('No such mempool or blockchain transaction') });
    const esplora = new EsploraSource(server.esploraUrl, { timeoutMs: 300 });
    await expect(esplora.tx('cd'.repeat(32))).rejects.toMatchObject({ kind: 'not-found' });
    server.fault = 'hang';
    try {
      await expect(esplora.tip()).rejects.toMatchObject({ kind: 'timeout' });
    } finally {
      server.fault = 'none';
    }
    server.fault = 'malformed';
    try {
      const err = await core.tip().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChainSourceError);
      expect((err as ChainSourceError).kind).toBe('malformed');
      await expect(esplora.tx([...ledger.txs.keys()][5] as string)).rejects.toMatchObject({ kind: 'malformed' });
    } finally {
      server.fault = 'none';
    }
  });
});

describe('clustering', () => {
  it('never merges two entities with CoinJoin detection on (the mixer is in the ledger), and does without it', () => {
    const addresses = new Set<string>();
    for (const tx of full.txs.values()) for (const o of tx.vout) if (o.address) addresses.add(o.address);
    const coinjoins = [...full.txs.values()].filter(isCoinJoin);
    expect(coinjoins.length).toBeGreaterThan(0);
    const on = new Clusters();
    on.applyAll(full);
    const scoreOn = scoreClusters(on, ledger.truth.owner, addresses, 'on');
    expect(scoreOn.wrongMerges).toBe(0);
    expect(scoreOn.precision).toBe(1);
    const off = new Clusters({ detectCoinJoin: false });
    off.applyAll(full);
    expect(scoreClusters(off, ledger.truth.owner, addresses, 'off').wrongMerges).toBeGreaterThan(0);
  });

  it('explains a cluster by the transactions that joined its addresses', () => {
    const c = new Clusters();
    c.applyAll(full);
    const vendor = world.identities.find((i) => (ledger.addressTxs.get(i.crypto[0]?.address ?? '') ?? []).length > 3) as World['identities'][number];
    const links = c.explain(vendor.crypto[0]?.address as string);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) {
      const tx = full.txs.get(l.txid);
      expect(tx).toBeDefined();
      const inputs = new Set(tx?.vin.map((i) => i.address));
      for (const a of l.addresses) expect(inputs.has(a)).toBe(true);
      for (const a of l.addresses) expect(ledger.truth.owner.get(a)).toBe(`vendor:${vendor.id}`);
    }
  });
});

describe('tracing', () => {
  it('finds the same cash-outs on demand over Esplora as over the RPC-ingested graph, and only true exchanges', async () => {
    const known = knownAddresses(world);
    const truth = new Map<string, Set<string>>();
    for (const c of ledger.truth.cashouts) (truth.get(c.identityId) ?? truth.set(c.identityId, new Set()).get(c.identityId))?.add(c.exchange);
    const vendors = [...truth.keys()].filter((id) => (known.get(id) ?? []).length > 0).slice(0, 4);
    expect(vendors.length).toBeGreaterThan(1);
    const names = new Map(ledger.exchanges.map((e) => [e.name, e.slug]));
    const esplora = new ChainGraph(new EsploraSource(server.esploraUrl));
    const ec = new Clusters();
    const ea = new Attribution(esplora, ec, simTags(ledger));
    const fc = new Clusters();
    fc.applyAll(full);
    const fa = new Attribution(full, fc, simTags(ledger));
    for (const id of vendors) {
      const start = known.get(id) as string[];
      const viaEsplora = await traceHaircut(esplora, ec, ea, start);
      const viaRpc = await traceHaircut(full, fc, fa, start);
      const summary = (r: typeof viaRpc) => r.arrivals.map((a) => `${a.txid}:${a.n}:${a.service.label}:${Math.round(a.sats)}`).sort();
      expect(summary(viaEsplora)).toEqual(summary(viaRpc));
      const exchanges = new Set(viaRpc.arrivals.filter((a) => a.service.category === 'exchange').map((a) => names.get(a.service.label)));
      for (const e of exchanges) expect(truth.get(id)?.has(e as string)).toBe(true);
      for (const a of viaRpc.arrivals) expect(a.path.at(-1)).toBe(a.txid);
    }
    // On demand: far fewer lookups than the chain has transactions.
    expect(esplora.txs.size).toBeLessThan(full.txs.size);
  });
});
