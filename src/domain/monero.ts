// Monero addresses: Monero's own base58 (8-byte blocks → 11 characters, unlike Bitcoin's whole-number base58)
// over varint(prefix) | public spend key | public view key | [payment id] | Keccak-256(...)[:4].
import { keccak_256 } from '@noble/hashes/sha3.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const FULL_BLOCK = 8;
const FULL_ENCODED = 11;
/** Encoded length of a block of n bytes (index n). */
const ENCODED_SIZES = [0, 2, 3, 5, 6, 7, 9, 10, 11] as const;

export type MoneroNetwork = 'mainnet' | 'testnet' | 'stagenet';
export type MoneroAddressType = 'standard' | 'integrated' | 'subaddress';

const PREFIXES: Record<number, { network: MoneroNetwork; type: MoneroAddressType }> = {
  18: { network: 'mainnet', type: 'standard' },
  19: { network: 'mainnet', type: 'integrated' },
  42: { network: 'mainnet', type: 'subaddress' },
  53: { network: 'testnet', type: 'standard' },
  54: { network: 'testnet', type: 'integrated' },
  63: { network: 'testnet', type: 'subaddress' },
  24: { network: 'stagenet', type: 'standard' },
  25: { network: 'stagenet', type: 'integrated' },
  36: { network: 'stagenet', type: 'subaddress' },
};

function prefixOf(network: MoneroNetwork, type: MoneroAddressType): number {
  for (const [p, v] of Object.entries(PREFIXES)) if (v.network === network && v.type === type) return Number(p);
  throw new Error(`no Monero prefix for ${network} ${type}`);
}

function encodeBlock(block: Uint8Array): string {
  let n = 0n;
  for (const b of block) n = (n << 8n) | BigInt(b);
  const size = ENCODED_SIZES[block.length] as number;
  const out: string[] = new Array<string>(size).fill(ALPHABET[0] as string);
  for (let i = size - 1; i >= 0 && n > 0n; i--) {
    out[i] = ALPHABET[Number(n % 58n)] as string;
    n /= 58n;
  }
  return out.join('');
}

/** Monero base58 encoding of arbitrary bytes. */
export function moneroBase58Encode(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += FULL_BLOCK) out += encodeBlock(data.subarray(i, i + FULL_BLOCK));
  return out;
}

/** Monero base58 decoding; throws on characters outside the alphabet, impossible lengths or block overflow. */
export function moneroBase58Decode(text: string): Uint8Array {
  const fullBlocks = Math.floor(text.length / FULL_ENCODED);
  const lastEncoded = text.length % FULL_ENCODED;
  const lastBytes = ENCODED_SIZES.indexOf(lastEncoded as (typeof ENCODED_SIZES)[number]);
  if (lastBytes < 0) throw new Error(`invalid Monero base58 length ${text.length}`);
  const out = new Uint8Array(fullBlocks * FULL_BLOCK + lastBytes);
  for (let b = 0; b * FULL_ENCODED < text.length; b++) {
    const chunk = text.slice(b * FULL_ENCODED, (b + 1) * FULL_ENCODED);
    const nBytes = chunk.length === FULL_ENCODED ? FULL_BLOCK : lastBytes;
    let n = 0n;
    for (const ch of chunk) {
      const v = ALPHABET.indexOf(ch);
      if (v < 0) throw new Error(`invalid Monero base58 character ${JSON.stringify(ch)}`);
      n = n * 58n + BigInt(v);
    }
    if (n >> BigInt(nBytes * 8) !== 0n) throw new Error('Monero base58 block overflow');
    for (let i = nBytes - 1; i >= 0; i--) {
      out[b * FULL_BLOCK + i] = Number(n & 0xffn);
      n >>= 8n;
    }
  }
  return out;
}

export interface MoneroAddress {
  network: MoneroNetwork;
  type: MoneroAddressType;
  publicSpendKey: Uint8Array;
  publicViewKey: Uint8Array;
  /** 8-byte payment id of an integrated address. */
  paymentId?: Uint8Array;
}

/** Encodes an address; keys are 32 bytes each, the payment id (integrated addresses only) 8 bytes. */
export function encodeMoneroAddress(a: MoneroAddress): string {
  if (a.publicSpendKey.length !== 32 || a.publicViewKey.length !== 32) throw new Error('Monero keys are 32 bytes');
  if ((a.type === 'integrated') !== (a.paymentId !== undefined)) {
    throw new Error('a payment id belongs to integrated addresses only');
  }
  if (a.paymentId && a.paymentId.length !== 8) throw new Error('a Monero payment id is 8 bytes');
  const pid = a.paymentId ?? new Uint8Array(0);
  const body = new Uint8Array(1 + 64 + pid.length);
  body[0] = prefixOf(a.network, a.type);
  body.set(a.publicSpendKey, 1);
  body.set(a.publicViewKey, 33);
  body.set(pid, 65);
  const sum = keccak_256(body).subarray(0, 4);
  const full = new Uint8Array(body.length + 4);
  full.set(body);
  full.set(sum, body.length);
  return moneroBase58Encode(full);
}

/** Decodes and checks an address (prefix, length, Keccak checksum); throws with the reason when invalid. */
export function decodeMoneroAddress(text: string): MoneroAddress {
  if (text.length !== 95 && text.length !== 106) throw new Error(`a Monero address has 95 or 106 characters, got ${text.length}`);
  const raw = moneroBase58Decode(text);
  const kind = PREFIXES[raw[0] as number];
  if (!kind) throw new Error(`unknown Monero address prefix ${raw[0]}`);
  const expected = kind.type === 'integrated' ? 77 : 69;
  if (raw.length !== expected) throw new Error(`a ${kind.type} Monero address has ${expected} bytes, got ${raw.length}`);
  const body = raw.subarray(0, raw.length - 4);
  const sum = keccak_256(body).subarray(0, 4);
  for (let i = 0; i < 4; i++) if (sum[i] !== raw[raw.length - 4 + i]) throw new Error('Monero address checksum mismatch');
  return {
    network: kind.network,
    type: kind.type,
    publicSpendKey: raw.slice(1, 33),
    publicViewKey: raw.slice(33, 65),
    ...(kind.type === 'integrated' ? { paymentId: raw.slice(65, 73) } : {}),
  };
}

/** True when `text` is a well-formed Monero address with a correct checksum. */
export function isValidMoneroAddress(text: string): boolean {
  try {
    decodeMoneroAddress(text);
    return true;
  } catch {
    return false;
  }
}
