import { EsploraSource } from './esplora-source.ts';
import type { ChainSource, ChainTx } from './types.ts';

/**
 * The transactions fetched so far, indexed by address and by spent output. Filled either by ingesting a block
 * range (Bitcoin Core) or on demand around addresses of interest (Esplora): `loadAddress` and `loadSpends` fetch
 * only what is missing, so tracing never needs the whole chain.
 */
export class ChainGraph {
  readonly txs = new Map<string, ChainTx>();
  /** address → txids touching it (as input or output), in insertion order. */
  readonly byAddress = new Map<string, string[]>();
  /** `txid:vout` → spending txid. */
  readonly spentBy = new Map<string, string>();
  /** address → txid where it first received value (for the fresh-address change heuristic). */
  readonly firstSeen = new Map<string, string>();
  readonly #source: ChainSource | null;
  readonly #loadedAddresses = new Set<string>();
  readonly #loadedSpends = new Set<string>();
  /** Lookups made through the source (for reports and benchmarks). */
  fetches = 0;

  constructor(source: ChainSource | null = null) {
    this.#source = source;
  }

  add(tx: ChainTx): void {
    if (this.txs.has(tx.txid)) return;
    this.txs.set(tx.txid, tx);
    const touch = (a: string | null) => {
      if (!a) return;
      const l = this.byAddress.get(a);
      if (!l) this.byAddress.set(a, [tx.txid]);
      else if (l.at(-1) !== tx.txid) l.push(tx.txid);
    };
    for (const i of tx.vin) {
      this.spentBy.set(`${i.txid}:${i.vout}`, tx.txid);
      touch(i.address);
    }
    for (const o of tx.vout) {
      if (o.address && !this.firstSeen.has(o.address)) this.firstSeen.set(o.address, tx.txid);
      touch(o.address);
    }
  }

  /** Ingests the blocks `from..to` (inclusive) from a source that serves blocks (Bitcoin Core). */
  async ingestBlocks(source: ChainSource, from: number, to: number, onBlock?: (height: number, txs: number) => void): Promise<number> {
    if (!source.blockAt) throw new Error(`${source.name} does not serve blocks`);
    let n = 0;
    for (let h = from; h <= to; h++) {
      const block = await source.blockAt(h);
      for (const tx of block.txs) this.add(tx);
      n += block.txs.length;
      onBlock?.(h, block.txs.length);
    }
    return n;
  }

  /** Makes sure every transaction of the address is here (Esplora: its history; Core: what was ingested). */
  async loadAddress(address: string): Promise<void> {
    const src = this.#source;
    if (!(src instanceof EsploraSource) || this.#loadedAddresses.has(address)) return;
    this.#loadedAddresses.add(address);
    this.fetches++;
    for (const tx of await src.addressTxs(address)) this.add(tx);
  }

  /** Makes sure the transactions spending the outputs of `txid` are here. */
  async loadSpends(txid: string): Promise<void> {
    const src = this.#source;
    if (!src?.outspends || this.#loadedSpends.has(txid)) return;
    this.#loadedSpends.add(txid);
    this.fetches++;
    const spends = await src.outspends(txid);
    for (const s of spends) {
      if (s && !this.txs.has(s)) {
        this.fetches++;
        this.add(await src.tx(s));
      }
    }
  }

  /** Makes sure one transaction is here. */
  async loadTx(txid: string): Promise<ChainTx> {
    const known = this.txs.get(txid);
    if (known) return known;
    if (!this.#source) throw new Error(`transaction ${txid} is not in the graph`);
    this.fetches++;
    const tx = await this.#source.tx(txid);
    this.add(tx);
    return tx;
  }
}
