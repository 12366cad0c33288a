import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';

/** An output script as both Bitcoin Core and Esplora name it. */
export interface OutputScript {
  hex: string;
  asm: string;
  /** Bitcoin Core's `scriptPubKey.type`. */
  coreType: 'pubkeyhash' | 'scripthash' | 'witness_v0_keyhash' | 'witness_v1_taproot';
  /** Esplora's `scriptpubkey_type`. */
  esploraType: 'p2pkh' | 'p2sh' | 'v0_p2wpkh' | 'v1_p2tr';
  /** Core's output descriptor without checksum (`addr(...)`). */
  desc: string;
}

const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex');

/** The scriptPubKey a mainnet address pays to (P2PKH, P2SH, P2WPKH, P2TR: the kinds the sim mints). */
export function outputScript(address: string): OutputScript {
  const desc = `addr(${address})`;
  if (address.startsWith('bc1p')) {
    const d = bech32m.decode(address);
    const key = hex(bech32m.fromWords(d.words.slice(1)));
    return { hex: `5120${key}`, asm: `1 ${key}`, coreType: 'witness_v1_taproot', esploraType: 'v1_p2tr', desc };
  }
  if (address.startsWith('bc1q')) {
    const d = bech32.decode(address);
    const h = hex(bech32.fromWords(d.words.slice(1)));
    return { hex: `0014${h}`, asm: `0 ${h}`, coreType: 'witness_v0_keyhash', esploraType: 'v0_p2wpkh', desc };
  }
  const raw = bs58check.decode(address);
  const h = hex(raw.subarray(1));
  if (raw[0] === 0x00) {
    return { hex: `76a914${h}88ac`, asm: `OP_DUP OP_HASH160 ${h} OP_EQUALVERIFY OP_CHECKSIG`, coreType: 'pubkeyhash', esploraType: 'p2pkh', desc };
  }
  if (raw[0] === 0x05) return { hex: `a914${h}87`, asm: `OP_HASH160 ${h} OP_EQUAL`, coreType: 'scripthash', esploraType: 'p2sh', desc };
  throw new Error(`not a mainnet address the sim mints: ${address}`);
}
