import { LEDGER_BASE_HEIGHT } from './generate.ts';
import { outputScript } from './script.ts';
import type { Ledger, LedgerBlock, LedgerTx } from './types.ts';

/** JSON shapes of Bitcoin Core's RPC (v27+) and of Esplora's REST API, built from the ledger. */

const btc = (sats: number) => Number((sats / 1e8).toFixed(8));

function tip(ledger: Ledger): LedgerBlock {
  return ledger.blocks.at(-1) as LedgerBlock;
}

export function blockAt(ledger: Ledger, height: number): LedgerBlock | undefined {
  const first = ledger.blocks[0]?.height ?? LEDGER_BASE_HEIGHT;
  return Number.isInteger(height) ? ledger.blocks[height - first] : undefined;
}

export function blockByHash(ledger: Ledger, hash: string): LedgerBlock | undefined {
  let index = (ledger as Ledger & { _byHash?: Map<string, LedgerBlock> })._byHash;
  if (!index) {
    index = new Map(ledger.blocks.map((b) => [b.hash, b]));
    (ledger as Ledger & { _byHash?: Map<string, LedgerBlock> })._byHash = index;
  }
  return index.get(hash);
}

export function coreBlockchainInfo(ledger: Ledger): Record<string, unknown> {
  const t = tip(ledger);
  return {
    chain: 'main', blocks: t.height, headers: t.height, bestblockhash: t.hash, difficulty: 1.1e14, time: t.time, mediantime: t.time - 3600,
    verificationprogress: 1, initialblockdownload: false, chainwork: '0'.repeat(64), size_on_disk: 0, pruned: false, warnings: [],
  };
}

/** `getrawtransaction txid true` / an entry of `getblock hash 2` (the latter without block fields). */
export function coreTx(ledger: Ledger, tx: LedgerTx, withBlock: boolean): Record<string, unknown> {
  const block = blockAt(ledger, tx.height) as LedgerBlock;
  const out: Record<string, unknown> = {
    txid: tx.txid, hash: tx.txid, version: 2, size: tx.size, vsize: tx.vsize, weight: tx.weight, locktime: 0,
    vin: tx.vin.length === 0
      ? [{ coinbase: tx.hex.slice(84, 84 + 24), sequence: 4294967295 }]
      : tx.vin.map((i) => ({ txid: i.txid, vout: i.vout, scriptSig: { asm: '', hex: '' }, sequence: 4294967293 })),
    vout: tx.vout.map((o, n) => {
      const s = outputScript(o.address);
      return { value: btc(o.value), n, scriptPubKey: { asm: s.asm, desc: s.desc, hex: s.hex, address: o.address, type: s.coreType } };
    }),
    hex: tx.hex,
  };
  if (withBlock) {
    const t = tip(ledger);
    Object.assign(out, { blockhash: block.hash, confirmations: t.height - block.height + 1, time: block.time, blocktime: block.time });
  }
  return out;
}

export function coreBlock(ledger: Ledger, block: LedgerBlock, verbosity: number): unknown {
  const t = tip(ledger);
  const next = blockAt(ledger, block.height + 1);
  const header = {
    hash: block.hash, confirmations: t.height - block.height + 1, height: block.height, version: 536870912, versionHex: '20000000',
    merkleroot: block.merkleRoot, time: block.time, mediantime: block.time - 3600, nonce: block.height, bits: '17034219',
    difficulty: 1.1e14, chainwork: '0'.repeat(64), nTx: block.txids.length, strippedsize: block.size, size: block.size,
    weight: block.size * 4, ...(block.previousHash ? { previousblockhash: block.previousHash } : {}), ...(next ? { nextblockhash: next.hash } : {}),
  };
  if (verbosity === 1) return { ...header, tx: block.txids };
  return { ...header, tx: block.txids.map((id) => coreTx(ledger, ledger.txs.get(id) as LedgerTx, false)) };
}

function esploraStatus(ledger: Ledger, tx: LedgerTx): Record<string, unknown> {
  const block = blockAt(ledger, tx.height) as LedgerBlock;
  return { confirmed: true, block_height: block.height, block_hash: block.hash, block_time: block.time };
}

function esploraOut(address: string, value: number): Record<string, unknown> {
  const s = outputScript(address);
  return { scriptpubkey: s.hex, scriptpubkey_asm: s.asm, scriptpubkey_type: s.esploraType, scriptpubkey_address: address, value };
}

export function esploraTx(ledger: Ledger, tx: LedgerTx): Record<string, unknown> {
  let inSum = 0;
  const vin = tx.vin.length === 0
    ? [{ txid: '0'.repeat(64), vout: 4294967295, prevout: null, scriptsig: tx.hex.slice(84, 84 + 24), scriptsig_asm: '', is_coinbase: true, sequence: 4294967295 }]
    : tx.vin.map((i) => {
      const prev = (ledger.txs.get(i.txid as string) as LedgerTx).vout[i.vout as number] as { address: string; value: number };
      inSum += prev.value;
      return { txid: i.txid, vout: i.vout, prevout: esploraOut(prev.address, prev.value), scriptsig: '', scriptsig_asm: '', is_coinbase: false, sequence: 4294967293 };
    });
  const outSum = tx.vout.reduce((a, o) => a + o.value, 0);
  return {
    txid: tx.txid, version: 2, locktime: 0, vin, vout: tx.vout.map((o) => esploraOut(o.address, o.value)), size: tx.size, weight: tx.weight,
    fee: tx.vin.length === 0 ? 0 : inSum - outSum, status: esploraStatus(ledger, tx),
  };
}

export function esploraOutspends(ledger: Ledger, tx: LedgerTx): unknown[] {
  return tx.vout.map((_, n) => {
    const s = ledger.spends.get(`${tx.txid}:${n}`);
    if (!s) return { spent: false };
    return { spent: true, txid: s.txid, vin: s.vin, status: esploraStatus(ledger, ledger.txs.get(s.txid) as LedgerTx) };
  });
}

export function esploraAddress(ledger: Ledger, address: string): Record<string, unknown> {
  let funded = 0, fundedSum = 0, spent = 0, spentSum = 0;
  const txids = ledger.addressTxs.get(address) ?? [];
  for (const id of txids) {
    const tx = ledger.txs.get(id) as LedgerTx;
    tx.vout.forEach((o) => {
      if (o.address === address) { funded++; fundedSum += o.value; }
    });
    for (const i of tx.vin) {
      const prev = ledger.txs.get(i.txid as string)?.vout[i.vout as number];
      if (prev?.address === address) { spent++; spentSum += prev.value; }
    }
  }
  const empty = { funded_txo_count: 0, funded_txo_sum: 0, spent_txo_count: 0, spent_txo_sum: 0, tx_count: 0 };
  return {
    address,
    chain_stats: { funded_txo_count: funded, funded_txo_sum: fundedSum, spent_txo_count: spent, spent_txo_sum: spentSum, tx_count: txids.length },
    mempool_stats: empty,
  };
}

/** Esplora's `/address/:a/txs` pages: newest first, 25 confirmed per page, continued from the last seen txid. */
export function esploraAddressTxs(ledger: Ledger, address: string, lastSeen?: string): unknown[] | undefined {
  const newestFirst = [...(ledger.addressTxs.get(address) ?? [])].reverse();
  let start = 0;
  if (lastSeen) {
    const i = newestFirst.indexOf(lastSeen);
    if (i < 0) return undefined;
    start = i + 1;
  }
  return newestFirst.slice(start, start + 25).map((id) => esploraTx(ledger, ledger.txs.get(id) as LedgerTx));
}

export function esploraBlock(ledger: Ledger, block: LedgerBlock): Record<string, unknown> {
  return {
    id: block.hash, height: block.height, version: 536870912, timestamp: block.time, tx_count: block.txids.length, size: block.size,
    weight: block.size * 4, merkle_root: block.merkleRoot, previousblockhash: block.previousHash, mediantime: block.time - 3600,
    nonce: block.height, bits: 0x17034219, difficulty: 1.1e14,
  };
}
