/** The simulated Bitcoin ledger: blocks of unsigned but well-formed transactions, and the truth behind them. */

export interface LedgerInput {
  /** Absent for a coinbase input. */
  txid?: string;
  vout?: number;
}

export interface LedgerOutput {
  address: string;
  /** Satoshis. */
  value: number;
}

/** What a transaction is in the story (ground truth only; never served). */
export type LedgerTxKind =
  | 'coinbase' | 'exchange-withdrawal' | 'buyer-payment' | 'direct-deal' | 'market-sweep' | 'market-payout' | 'market-refund'
  | 'market-exit' | 'market-seizure' | 'vendor-cashout' | 'vendor-peel' | 'vendor-premix' | 'coinjoin' | 'vendor-postmix'
  | 'exchange-sweep';

export interface LedgerTx {
  txid: string;
  /** Raw serialisation (hex), as `getrawtransaction` returns it. */
  hex: string;
  size: number;
  vsize: number;
  weight: number;
  vin: LedgerInput[];
  vout: LedgerOutput[];
  height: number;
  /** Index in its block. */
  index: number;
  kind: LedgerTxKind;
}

export interface LedgerBlock {
  height: number;
  hash: string;
  previousHash: string | null;
  merkleRoot: string;
  time: number;
  /** Sim day of the block (one block per day). */
  day: number;
  txids: string[];
  size: number;
}

export type EntityKind = 'buyer' | 'market' | 'vendor' | 'exchange' | 'mixer' | 'user' | 'miner' | 'police';

export interface LedgerEntity {
  /** `vendor:I00001`, `exchange:coinvault`, `market:marrow`, … */
  id: string;
  kind: EntityKind;
  name: string;
}

/** A vendor's value arriving at an exchange deposit address (the ground truth of a cash-out). */
export interface TrueCashout {
  identityId: string;
  exchange: string;
  txid: string;
  vout: number;
  depositAddress: string;
  sats: number;
  day: number;
  route: 'direct' | 'peel' | 'mixer';
}

/** An exchange's know-your-customer record behind a deposit address (what a production order returns). */
export interface KycRecord {
  exchange: string;
  depositAddress: string;
  identityId: string;
  customerName: string;
  country: string;
  openedDay: number;
}

export interface LedgerExchange {
  slug: string;
  name: string;
  /** Where the sim publishes the compliance contact (for the draft request). */
  lawEnforcementContact: string;
  hotAddresses: string[];
}

export interface LedgerTruth {
  /** address → entity id. */
  owner: Map<string, string>;
  entities: LedgerEntity[];
  cashouts: TrueCashout[];
  kyc: KycRecord[];
}

export interface Ledger {
  seed: string;
  blocks: LedgerBlock[];
  txs: Map<string, LedgerTx>;
  /** `txid:vout` → spending txid and input index. */
  spends: Map<string, { txid: string; vin: number }>;
  /** address → txids touching it, in chain order. */
  addressTxs: Map<string, string[]>;
  exchanges: LedgerExchange[];
  /** The mixer's coordinator fee address and name. */
  mixer: { slug: string; name: string; feeAddress: string };
  /** Market hot-wallet addresses (publicly attributed in the sim's TagPack). */
  marketHot: Map<string, string[]>;
  truth: LedgerTruth;
}
