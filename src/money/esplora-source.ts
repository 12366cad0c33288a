import { z } from 'zod';
import { httpFetch, parseJson, type HttpOptions } from './http.ts';
import { ChainSourceError, type ChainSource, type ChainTip, type ChainTx } from './types.ts';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const out = z.object({ scriptpubkey: z.string(), scriptpubkey_address: z.string().optional(), value: z.number().int().nonnegative() });
const esploraTx = z.object({
  txid: hex64,
  vin: z.array(z.object({ txid: z.string(), vout: z.number().int(), is_coinbase: z.boolean(), prevout: out.nullable() })),
  vout: z.array(out),
  status: z.object({ confirmed: z.boolean(), block_height: z.number().int().optional(), block_hash: hex64.optional(), block_time: z.number().int().optional() }),
});
const outspends = z.array(z.object({ spent: z.boolean(), txid: hex64.optional() }));

/** Esplora's transaction JSON → the common shape. */
export function fromEsplora(t: z.infer<typeof esploraTx>): ChainTx {
  const coinbase = t.vin.some((i) => i.is_coinbase);
  return {
    txid: t.txid,
    blockHash: t.status.block_hash ?? null,
    height: t.status.block_height ?? null,
    time: t.status.block_time ?? null,
    coinbase,
    vin: coinbase ? [] : t.vin.map((i) => {
      if (!i.prevout) throw new ChainSourceError('malformed', `transaction ${t.txid}: input ${i.txid}:${i.vout} has no prevout`);
      return { txid: i.txid, vout: i.vout, address: i.prevout.scriptpubkey_address ?? null, value: i.prevout.value };
    }),
    vout: t.vout.map((o, n) => ({ n, address: o.scriptpubkey_address ?? null, value: o.value })),
  };
}

/** An Esplora REST API (Blockstream's open-source explorer backend, as agencies self-host it): on-demand lookups. */
export class EsploraSource implements ChainSource {
  readonly name: string;
  readonly #base: string;
  readonly #options: HttpOptions;

  constructor(baseUrl: string, options: HttpOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#options = options;
    this.name = `esplora ${new URL(baseUrl).host}`;
  }

  async #get<T>(path: string, schema: z.ZodType<T>, what: string, text = false): Promise<T> {
    const f = await httpFetch(`${this.#base}${path}`, { method: 'GET', what }, this.#options);
    if (f.httpStatus === 404) throw new ChainSourceError('not-found', `${what}: ${f.body.toString('utf8').slice(0, 200) || 'not found'}`);
    if (f.httpStatus !== 200) throw new ChainSourceError('http', `${what}: HTTP ${f.httpStatus} ${f.body.toString('utf8').slice(0, 200)}`);
    const body = text ? f.body.toString('utf8').trim() : parseJson(f);
    const r = schema.safeParse(body);
    if (!r.success) throw new ChainSourceError('malformed', `${what}: unexpected answer shape (${r.error.issues[0]?.path.join('.') ?? ''}: ${r.error.issues[0]?.message ?? ''})`);
    this.#options.onFetch?.(f);
    return r.data;
  }

  async tip(): Promise<ChainTip> {
    const height = await this.#get('/blocks/tip/height', z.string().regex(/^\d+$/).transform(Number), 'tip height', true);
    const hash = await this.#get('/blocks/tip/hash', hex64, 'tip hash', true);
    return { height, hash };
  }

  async tx(txid: string): Promise<ChainTx> {
    if (!/^[0-9a-f]{64}$/.test(txid)) throw new ChainSourceError('not-found', `not a transaction id: ${JSON.stringify(txid.slice(0, 80))}`);
    return fromEsplora(await this.#get(`/tx/${txid}`, esploraTx, `tx ${txid}`));
  }

  /** Every confirmed transaction of the address, oldest first (pages of 25 followed to the end, at most `maxTxs`). */
  async addressTxs(address: string, maxTxs = 10_000): Promise<ChainTx[]> {
    if (!/^[a-zA-Z0-9]{14,90}$/.test(address)) throw new ChainSourceError('not-found', `not an address: ${JSON.stringify(address.slice(0, 100))}`);
    const all: ChainTx[] = [];
    let last: string | undefined;
    for (;;) {
      const path = last ? `/address/${address}/txs/chain/${last}` : `/address/${address}/txs`;
      const page = await this.#get(path, z.array(esploraTx), `address ${address} txs${last ? ` after ${last}` : ''}`);
      const confirmed = page.filter((t) => t.status.confirmed);
      all.push(...confirmed.map(fromEsplora));
      if (confirmed.length < 25 || all.length >= maxTxs) break;
      last = confirmed.at(-1)?.txid;
    }
    return all.reverse();
  }

  async addressTxids(address: string): Promise<string[]> {
    return (await this.addressTxs(address)).map((t) => t.txid);
  }

  async outspends(txid: string): Promise<Array<string | null>> {
    const r = await this.#get(`/tx/${txid}/outspends`, outspends, `outspends ${txid}`);
    return r.map((s) => (s.spent ? (s.txid ?? null) : null));
  }
}
