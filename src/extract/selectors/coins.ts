/**
 * Bitcoin, Litecoin and Ethereum address validation (checksums checked).
 * Base58Check (P2PKH/P2SH), BIP-173 bech32 for witness v0 and BIP-350 bech32m for v1+, EIP-55 mixed case.
 * Test-network addresses are valid addresses too: they are recognised and labelled (`meta.network`), since a
 * market's test instance or a vendor's test wallet identifies them as well as a mainnet one.
 */
import bs58check from 'bs58check';
import { bech32, bech32m } from 'bech32';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { CoinAddressMeta } from '../../domain/index.ts';

export type CoinKind = 'btc_address' | 'ltc_address';

export interface CoinAddress {
  kind: CoinKind | 'eth_address';
  value: string;
  meta: CoinAddressMeta;
}

type Network = NonNullable<CoinAddressMeta['network']>;

// Version byte → (coin, type). 0x05 is also Litecoin's legacy P2SH; it is read as Bitcoin (the same bytes).
// Bitcoin's testnet versions (0x6f, 0xc4) are shared by testnet, signet and regtest and by Litecoin's testnet:
// they are read as Bitcoin 'testnet'.
const BASE58_VERSIONS: Record<number, { kind: CoinKind; type: string; network: Network }> = {
  0x00: { kind: 'btc_address', type: 'p2pkh', network: 'mainnet' },
  0x05: { kind: 'btc_address', type: 'p2sh', network: 'mainnet' },
  0x30: { kind: 'ltc_address', type: 'p2pkh', network: 'mainnet' },
  0x32: { kind: 'ltc_address', type: 'p2sh', network: 'mainnet' },
  0x6f: { kind: 'btc_address', type: 'p2pkh', network: 'testnet' },
  0xc4: { kind: 'btc_address', type: 'p2sh', network: 'testnet' },
  0x3a: { kind: 'ltc_address', type: 'p2sh', network: 'testnet' },
};

const BECH32_HRPS: Record<string, { kind: CoinKind; network: Network }> = {
  bc: { kind: 'btc_address', network: 'mainnet' },
  tb: { kind: 'btc_address', network: 'testnet' },
  bcrt: { kind: 'btc_address', network: 'regtest' },
  ltc: { kind: 'ltc_address', network: 'mainnet' },
  tltc: { kind: 'ltc_address', network: 'testnet' },
  rltc: { kind: 'ltc_address', network: 'regtest' },
};

/** Mainnet addresses carry no label (the common case, and what older rows hold); others say which network. */
function withNetwork(meta: CoinAddressMeta, network: Network): CoinAddressMeta {
  return network === 'mainnet' ? meta : { ...meta, network };
}

export function validateBase58Address(s: string): CoinAddress | undefined {
  if (s.length < 26 || s.length > 35) return undefined;
  const bytes = bs58check.decodeUnsafe(s);
  if (!bytes || bytes.length !== 21) return undefined;
  const v = BASE58_VERSIONS[bytes[0] as number];
  if (!v) return undefined;
  return { kind: v.kind, value: s, meta: withNetwork({ type: v.type }, v.network) };
}

export function validateSegwitAddress(s: string): CoinAddress | undefined {
  if (s.length < 14 || s.length > 90) return undefined;
  // BIP-173: all lowercase or all uppercase.
  if (s !== s.toLowerCase() && s !== s.toUpperCase()) return undefined;
  const lower = s.toLowerCase();
  const sep = lower.lastIndexOf('1');
  const hrp = BECH32_HRPS[lower.slice(0, sep)];
  if (!hrp) return undefined;
  const firstWord = lower[sep + 1];
  if (firstWord === undefined) return undefined;
  const version = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'.indexOf(firstWord);
  if (version < 0 || version > 16) return undefined;
  const lib = version === 0 ? bech32 : bech32m;
  const dec = lib.decodeUnsafe(lower, 90);
  if (!dec || dec.words.length < 1) return undefined;
  const program = lib.fromWordsUnsafe(dec.words.slice(1));
  if (!program || program.length < 2 || program.length > 40) return undefined;
  if (version === 0 && program.length !== 20 && program.length !== 32) return undefined;
  const type =
    version === 0 ? (program.length === 20 ? 'p2wpkh' : 'p2wsh') : version === 1 && program.length === 32 ? 'p2tr' : 'segwit';
  return { kind: hrp.kind, value: lower, meta: withNetwork({ type, witnessVersion: version }, hrp.network) };
}

/** EIP-55: mixed-case addresses must carry a correct checksum; all-lower or all-upper carry none. */
export function validateEthAddress(s: string): CoinAddress | undefined {
  if (!/^0x[0-9a-fA-F]{40}$/.test(s)) return undefined;
  const hex = s.slice(2);
  const lower = hex.toLowerCase();
  const mixed = hex !== lower && hex !== hex.toUpperCase();
  if (mixed && toEip55(lower) !== `0x${hex}`) return undefined;
  if (/^0{40}$/.test(lower)) return undefined;
  return { kind: 'eth_address', value: `0x${lower}`, meta: { type: 'account', checksummed: mixed } };
}

/** The EIP-55 checksummed spelling of a lowercase 40-hex address. */
export function toEip55(lowerHex: string): string {
  const hash = keccak_256(new TextEncoder().encode(lowerHex));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const ch = lowerHex[i] as string;
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0xf;
    out += nibble >= 8 ? ch.toUpperCase() : ch;
  }
  return out;
}
