/** Chain data as DarkPatrol keeps it, whatever the source (Bitcoin Core RPC, Esplora). Amounts in satoshis. */

export interface ChainTxIn {
  txid: string;
  vout: number;
  /** The spent output's address (null: a script without an address). */
  address: string | null;
  value: number;
}

export interface ChainTxOut {
  n: number;
  address: string | null;
  value: number;
}

export interface ChainTx {
  txid: string;
  blockHash: string | null;
  height: number | null;
  /** Block time (unix seconds), null while unconfirmed. */
  time: number | null;
  coinbase: boolean;
  vin: ChainTxIn[];
  vout: ChainTxOut[];
}

export interface ChainTip {
  height: number;
  hash: string;
}

/** One HTTP exchange with a chain source, as fetched (for the evidence recorder). */
export interface ChainFetch {
  url: string;
  /** What was asked: `getblock <hash>`, `tx <txid>`, … */
  what: string;
  request: Buffer;
  response: Buffer;
  body: Buffer;
  httpStatus: number;
  contentType: string | null;
  fetchedAt: Date;
}

export type ChainErrorKind = 'timeout' | 'unreachable' | 'malformed' | 'not-found' | 'http' | 'rpc' | 'auth';

/** A chain source failed: the kind says how, the message says what was asked of whom. */
export class ChainSourceError extends Error {
  constructor(readonly kind: ChainErrorKind, message: string) {
    super(message);
    this.name = 'ChainSourceError';
  }
}

/**
 * A read-only source of chain data. `tx` resolves input prevouts (address and value). Address history and
 * outspends are on-demand lookups; a source without an address index (Bitcoin Core) answers them from the blocks
 * it has ingested (`ChainGraph`).
 */
export interface ChainSource {
  readonly name: string;
  tip(): Promise<ChainTip>;
  tx(txid: string): Promise<ChainTx>;
  /** Txids touching the address, oldest first; undefined when the source has no address index. */
  addressTxids?(address: string): Promise<string[]>;
  /** For each output: the spending txid, or null when unspent; undefined when the source has no spend index. */
  outspends?(txid: string): Promise<Array<string | null>>;
  /** Every transaction of the block at a height (Bitcoin Core: getblockhash + getblock verbosity 2). */
  blockAt?(height: number): Promise<{ hash: string; time: number; txs: ChainTx[] }>;
}
