/**
 * Test helpers: a seeded byte generator and valid addresses built with encoders independent of the code
 * under test where one exists (bitcoinjs-lib for Bitcoin/Litecoin, src/domain/onion.ts for onions, an
 * EIP-55 written here from the EIP). Monero uses src/domain/monero.ts (the sim's codec, also behind our
 * validator); it is anchored by public addresses in the labelled fixture.
 */
import { address } from 'bitcoinjs-lib';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { onionFromPublicKey } from '../../src/domain/onion.ts';
import { encodeMoneroAddress } from '../../src/domain/monero.ts';

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  /** xorshift32 */
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

export type GeneratedKind = 'btc_address' | 'ltc_address' | 'eth_address' | 'xmr_address' | 'onion' | 'session';

export interface Generated {
  kind: GeneratedKind;
  /** As written in text. */
  text: string;
  /** Expected normalised value. */
  value: string;
  /** Alphabet a one-character change draws from, and the first position that may change. */
  alphabet: string;
  from: number;
  /** Whether one changed character must make it invalid (false for formats without a checksum). */
  checksummed: boolean;
}

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const HEX = '0123456789abcdef';
const B32 = 'abcdefghijklmnopqrstuvwxyz234567';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function eip55(lowerHex40: string): string {
  const h = hex(keccak_256(new TextEncoder().encode(lowerHex40)));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lowerHex40[i] as string;
    out += Number.parseInt(h[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

export function generate(rng: Rng, kind: GeneratedKind): Generated {
  switch (kind) {
    case 'btc_address': {
      const form = rng.int(5);
      if (form === 0) return b58(address.toBase58Check(rng.bytes(20), 0x00), 'btc_address');
      if (form === 1) return b58(address.toBase58Check(rng.bytes(20), 0x05), 'btc_address');
      if (form === 2) return bech(address.toBech32(rng.bytes(20), 0, 'bc'), 'btc_address', rng.int(4) === 0);
      if (form === 3) return bech(address.toBech32(rng.bytes(32), 0, 'bc'), 'btc_address', false);
      return bech(address.toBech32(rng.bytes(32), 1, 'bc'), 'btc_address', false);
    }
    case 'ltc_address': {
      const form = rng.int(3);
      if (form === 0) return b58(address.toBase58Check(rng.bytes(20), 0x30), 'ltc_address');
      if (form === 1) return b58(address.toBase58Check(rng.bytes(20), 0x32), 'ltc_address');
      return bech(address.toBech32(rng.bytes(20), 0, 'ltc'), 'ltc_address', false);
    }
    case 'eth_address': {
      let lower = hex(rng.bytes(20));
      while (!/[a-f]/.test(lower)) lower = hex(rng.bytes(20));
      return { kind, text: eip55(lower), value: `0x${lower}`, alphabet: HEX + 'ABCDEF', from: 2, checksummed: true };
    }
    case 'xmr_address': {
      const t = rng.pick(['standard', 'subaddress', 'integrated'] as const);
      const a = encodeMoneroAddress({
        network: 'mainnet',
        type: t,
        publicSpendKey: rng.bytes(32),
        publicViewKey: rng.bytes(32),
        ...(t === 'integrated' ? { paymentId: rng.bytes(8) } : {}),
      });
      return { kind, text: a, value: a, alphabet: B58, from: 0, checksummed: true };
    }
    case 'onion': {
      const o = onionFromPublicKey(rng.bytes(32));
      const upper = rng.int(5) === 0;
      return { kind, text: upper ? o.toUpperCase() : o, value: o, alphabet: upper ? B32.toUpperCase() : B32, from: 0, checksummed: true };
    }
    case 'session': {
      const id = `05${hex(rng.bytes(32))}`;
      return { kind, text: id, value: id, alphabet: HEX, from: 2, checksummed: false };
    }
  }
}

function b58(a: string, kind: 'btc_address' | 'ltc_address'): Generated {
  return { kind, text: a, value: a, alphabet: B58, from: 0, checksummed: true };
}

function bech(a: string, kind: 'btc_address' | 'ltc_address', upper: boolean): Generated {
  const sep = a.lastIndexOf('1');
  return {
    kind,
    text: upper ? a.toUpperCase() : a,
    value: a,
    alphabet: upper ? BECH32.toUpperCase() : BECH32,
    from: sep + 1,
    checksummed: true,
  };
}

/** The same string with the character at `pos` replaced by a different one from the alphabet. */
export function mutate(g: Generated, pos: number, rng: Rng): string {
  const old = g.text[pos] as string;
  let c = old;
  while (c === old || c.toLowerCase() === old.toLowerCase()) c = rng.pick([...g.alphabet]);
  return g.text.slice(0, pos) + c + g.text.slice(pos + 1);
}

export const TEMPLATES = [
  (v: string) => v,
  (v: string) => `Send payment to ${v} please`,
  (v: string) => `Address: ${v}`,
  (v: string) => `<td class="addr">${v}</td>`,
  (v: string) => `pay (${v}).`,
  (v: string) => `wallet:\n${v}\nthanks!`,
  (v: string) => `<p>donate&nbsp;${v}<br/>cheers</p>`,
];
