import { z } from 'zod';
import { httpFetch, parseJson, type HttpOptions } from './http.ts';
import { ChainSourceError, type ChainFetch, type ChainSource, type ChainTip, type ChainTx, type ChainTxOut } from './types.ts';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const coreVout = z.object({
  value: z.number().nonnegative(),
  n: z.number().int().nonnegative(),
  scriptPubKey: z.object({ hex: z.string(), address: z.string().optional(), type: z.string() }),
});
const coreVin = z.union([
  z.object({ coinbase: z.string(), sequence: z.number() }),
  z.object({ txid: hex64, vout: z.number().int().nonnegative() }),
]);
const coreTx = z.object({
  txid: hex64,
  vin: z.array(coreVin),
  vout: z.array(coreVout),
  blockhash: hex64.optional(),
  blocktime: z.number().int().optional(),
});
const coreBlock = z.object({ hash: hex64, height: z.number().int(), time: z.number().int(), tx: z.array(coreTx) });
const coreInfo = z.object({ chain: z.string(), blocks: z.number().int(), bestblockhash: hex64 });
const rpcReply = z.object({ result: z.unknown(), error: z.object({ code: z.number(), message: z.string() }).nullable().optional() });

export interface BitcoinCoreOptions extends HttpOptions {
  user?: string;
  password?: string;
}

/** Satoshis from Core's BTC amount (8 decimals). */
export function toSats(btc: number): number {
  return Math.round(btc * 1e8);
}

/**
 * Bitcoin Core over JSON-RPC. Core has no address or spend index, so on-demand tracing over Core works on blocks
 * ingested by height (`blockAt`); input prevouts come from `prevouts` (the graph of ingested transactions) and
 * otherwise from `getrawtransaction` (which needs `txindex=1` on the node).
 */
export class BitcoinCoreSource implements ChainSource {
  readonly name: string;
  readonly #url: string;
  readonly #options: BitcoinCoreOptions;
  #id = 0;
  /** Outputs of a transaction already known (set by the graph that ingests). */
  prevouts: (txid: string) => ChainTxOut[] | undefined = () => undefined;

  constructor(url: string, options: BitcoinCoreOptions = {}) {
    this.#url = url;
    this.#options = options;
    this.name = `bitcoin-core ${new URL(url).host}`;
  }

  async call<T>(method: string, params: unknown[], schema: z.ZodType<T>, what: string): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#options.user !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.#options.user}:${this.#options.password ?? ''}`).toString('base64')}`;
    const f = await httpFetch(this.#url, { method: 'POST', body: JSON.stringify({ jsonrpc: '1.0', id: ++this.#id, method, params }), what }, { ...this.#options, headers });
    if (f.httpStatus === 401 || f.httpStatus === 403) throw new ChainSourceError('auth', `${what}: the node refused the RPC credentials (HTTP ${f.httpStatus})`);
    const body = parseJson(f);
    const reply = rpcReply.safeParse(body);
    if (!reply.success) throw new ChainSourceError('malformed', `${what}: not a JSON-RPC reply (HTTP ${f.httpStatus})`);
    if (reply.data.error) {
      const { code, message } = reply.data.error;
      throw new ChainSourceError(code === -5 ? 'not-found' : 'rpc', `${what}: node error ${code}: ${message}`);
    }
    const result = schema.safeParse(reply.data.result);
    if (!result.success) throw new ChainSourceError('malformed', `${what}: unexpected answer shape (${result.error.issues[0]?.path.join('.') ?? ''}: ${result.error.issues[0]?.message ?? ''})`);
    this.#options.onFetch?.(f);
    return result.data;
  }

  async tip(): Promise<ChainTip> {
    const info = await this.call('getblockchaininfo', [], coreInfo, 'getblockchaininfo');
    return { height: info.blocks, hash: info.bestblockhash };
  }

  async tx(txid: string): Promise<ChainTx> {
    if (!/^[0-9a-f]{64}$/.test(txid)) throw new ChainSourceError('not-found', `not a transaction id: ${JSON.stringify(txid.slice(0, 80))}`);
    const raw = await this.call('getrawtransaction', [txid, true], coreTx, `getrawtransaction ${txid}`);
    return this.#normalise(raw, raw.blockhash ?? null, null, raw.blocktime ?? null, new Map());
  }

  async blockAt(height: number): Promise<{ hash: string; time: number; txs: ChainTx[] }> {
    const hash = await this.call('getblockhash', [height], hex64, `getblockhash ${height}`);
    const block = await this.call('getblock', [hash, 2], coreBlock, `getblock ${hash}`);
    const inBlock = new Map<string, ChainTxOut[]>();
    const txs: ChainTx[] = [];
    for (const t of block.tx) {
      const tx = await this.#normalise(t, block.hash, block.height, block.time, inBlock);
      inBlock.set(tx.txid, tx.vout);
      txs.push(tx);
    }
    return { hash: block.hash, time: block.time, txs };
  }

  async #normalise(raw: z.infer<typeof coreTx>, blockHash: string | null, height: number | null, time: number | null, inBlock: Map<string, ChainTxOut[]>): Promise<ChainTx> {
    const vout = raw.vout.map((o) => ({ n: o.n, address: o.scriptPubKey.address ?? null, value: toSats(o.value) }));
    const coinbase = raw.vin.length > 0 && 'coinbase' in (raw.vin[0] as object);
    const vin = [];
    if (!coinbase) {
      for (const i of raw.vin as Array<{ txid: string; vout: number }>) {
        let outs = inBlock.get(i.txid) ?? this.prevouts(i.txid);
        if (!outs) outs = (await this.tx(i.txid)).vout;
        const prev = outs.find((o) => o.n === i.vout);
        if (!prev) throw new ChainSourceError('malformed', `transaction ${raw.txid} spends ${i.txid}:${i.vout}, which does not exist`);
        vin.push({ txid: i.txid, vout: i.vout, address: prev.address, value: prev.value });
      }
    }
    return { txid: raw.txid, blockHash, height, time, coinbase, vin, vout };
  }
}

export type { ChainFetch };
