/**
 * Monero addresses: Monero's block base58 (8-byte blocks ↔ 11 characters) and a Keccak-256 checksum
 * (first 4 bytes of keccak256(prefix ‖ keys [‖ payment id])). Mainnet only.
 * src/domain has no Monero helper yet; this one is self-contained and pure.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { CoinAddressMeta } from '../../domain/index.ts';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const INDEX = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) INDEX[ALPHABET.charCodeAt(i)] = i;
/** Encoded length of a block of n bytes (n = 0..8). */
const ENCODED_BLOCK_SIZES = [0, 2, 3, 5, 6, 7, 9, 10, 11];

const PREFIXES: Record<number, { type: string; bytes: number }> = {
  18: { type: 'standard', bytes: 69 },
  42: { type: 'subaddress', bytes: 69 },
  19: { type: 'integrated', bytes: 77 },
};

export function moneroBase58Decode(s: string): Uint8Array | undefined {
  const fullBlocks = Math.floor(s.length / 11);
  const lastLen = s.length % 11;
  const lastBytes = ENCODED_BLOCK_SIZES.indexOf(lastLen);
  if (lastBytes < 0) return undefined;
  const out = new Uint8Array(fullBlocks * 8 + lastBytes);
  for (let b = 0; b <= fullBlocks; b++) {
    const chunk = b < fullBlocks ? s.slice(b * 11, b * 11 + 11) : s.slice(fullBlocks * 11);
    const size = b < fullBlocks ? 8 : lastBytes;
    if (size === 0) continue;
    let num = 0n;
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      const d = code < 128 ? (INDEX[code] as number) : -1;
      if (d < 0) return undefined;
      num = num * 58n + BigInt(d);
    }
    if (num >= 1n << BigInt(size * 8)) return undefined;
    for (let i = size - 1; i >= 0; i--) {
      out[b * 8 + i] = Number(num & 0xffn);
      num >>= 8n;
    }
  }
  return out;
}

export function moneroBase58Encode(bytes: Uint8Array): string {
  let out = '';
  for (let off = 0; off < bytes.length; off += 8) {
    const block = bytes.subarray(off, Math.min(off + 8, bytes.length));
    let num = 0n;
    for (const byte of block) num = (num << 8n) | BigInt(byte);
    let enc = '';
    for (let i = 0; i < (ENCODED_BLOCK_SIZES[block.length] as number); i++) {
      enc = ALPHABET[Number(num % 58n)] + enc;
      num /= 58n;
    }
    out += enc;
  }
  return out;
}

export interface MoneroAddress {
  value: string;
  meta: CoinAddressMeta;
}

export function validateMoneroAddress(s: string): MoneroAddress | undefined {
  if (s.length !== 95 && s.length !== 106) return undefined;
  const bytes = moneroBase58Decode(s);
  if (!bytes) return undefined;
  const p = PREFIXES[bytes[0] as number];
  if (!p || p.bytes !== bytes.length) return undefined;
  const body = bytes.subarray(0, bytes.length - 4);
  const sum = keccak_256(body);
  for (let i = 0; i < 4; i++) if (sum[i] !== bytes[bytes.length - 4 + i]) return undefined;
  const meta: CoinAddressMeta = { type: p.type };
  if (p.type === 'integrated') meta.paymentId = Buffer.from(bytes.subarray(65, 73)).toString('hex');
  return { value: s, meta };
}

/** Builds a mainnet address from keys (and a payment id for integrated ones); used by tests and the sim. */
export function encodeMoneroAddress(
  type: 'standard' | 'subaddress' | 'integrated',
  spendKey: Uint8Array,
  viewKey: Uint8Array,
  paymentId?: Uint8Array,
): string {
  const prefix = type === 'standard' ? 18 : type === 'subaddress' ? 42 : 19;
  const parts = [Uint8Array.of(prefix), spendKey, viewKey, ...(type === 'integrated' && paymentId ? [paymentId] : [])];
  const len = parts.reduce((a, p) => a + p.length, 0);
  const body = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    body.set(p, o);
    o += p.length;
  }
  const full = new Uint8Array(len + 4);
  full.set(body);
  full.set(keccak_256(body).subarray(0, 4), len);
  return moneroBase58Encode(full);
}
