// Tor v3 onion addresses (rend-spec-v3, "Encoding onion addresses"):
//   onion_address = base32(PUBKEY | CHECKSUM | VERSION) + ".onion"
//   CHECKSUM = SHA3-256(".onion checksum" | PUBKEY | VERSION)[:2], VERSION = 0x03
import { sha3_256 } from '@noble/hashes/sha3.js';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const CHECKSUM_PREFIX = new TextEncoder().encode('.onion checksum');
const ONION_V3_VERSION = 0x03;
/** Length of the base32 label of a v3 address (35 bytes → 56 characters). */
export const ONION_V3_LABEL_LENGTH = 56;

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes unpadded lowercase base32; undefined when a character is outside the alphabet. */
function base32Decode(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const ch of text) {
    const value = BASE32_ALPHABET.indexOf(ch);
    if (value < 0) return undefined;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  return Uint8Array.from(out);
}

function onionChecksum(pub32: Uint8Array): Uint8Array {
  const input = new Uint8Array(CHECKSUM_PREFIX.length + 32 + 1);
  input.set(CHECKSUM_PREFIX, 0);
  input.set(pub32, CHECKSUM_PREFIX.length);
  input[input.length - 1] = ONION_V3_VERSION;
  return sha3_256(input).subarray(0, 2);
}

/** The v3 onion hostname ("<56 chars>.onion") of an ed25519 public key. */
export function onionFromPublicKey(pub32: Uint8Array): string {
  if (pub32.length !== 32) throw new Error(`an ed25519 public key is 32 bytes, got ${pub32.length}`);
  const raw = new Uint8Array(35);
  raw.set(pub32, 0);
  raw.set(onionChecksum(pub32), 32);
  raw[34] = ONION_V3_VERSION;
  return `${base32Encode(raw)}.onion`;
}

/** The ed25519 public key inside a valid v3 onion hostname, or undefined when the host is not one. */
export function publicKeyFromOnion(host: string): Uint8Array | undefined {
  const label = host.endsWith('.onion') ? host.slice(0, -'.onion'.length) : host;
  if (label.length !== ONION_V3_LABEL_LENGTH) return undefined;
  const raw = base32Decode(label);
  if (!raw || raw.length !== 35) return undefined;
  if (raw[34] !== ONION_V3_VERSION) return undefined;
  const pub = raw.subarray(0, 32);
  const sum = onionChecksum(pub);
  if (raw[32] !== sum[0] || raw[33] !== sum[1]) return undefined;
  // 56 chars carry 280 bits = exactly 35 bytes, so there are no padding bits to check.
  return Uint8Array.from(pub);
}

/**
 * True when `host` is exactly a v3 onion hostname: 56 lowercase base32 characters (optionally followed by
 * ".onion"), version byte 0x03 and a correct checksum. Use {@link normalizeOnion} first on raw user or page text.
 */
export function isValidOnionV3(host: string): boolean {
  return publicKeyFromOnion(host) !== undefined;
}

/**
 * Reduces a URL or hostname to its bare lowercase onion hostname: strips the scheme, user info, path, query,
 * fragment, port, a trailing dot and leading "www." (or any subdomain labels, which Tor ignores).
 * Returns the normalised host; it does not validate (see {@link isValidOnionV3}).
 */
export function normalizeOnion(s: string): string {
  let host = s.trim().toLowerCase();
  host = host.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  host = host.split(/[/?#]/, 1)[0] ?? '';
  const at = host.lastIndexOf('@');
  if (at >= 0) host = host.slice(at + 1);
  host = host.replace(/:\d*$/, '');
  host = host.replace(/\.$/, '');
  if (host.endsWith('.onion')) {
    // Tor uses only the label right before ".onion"; "www.x.onion" and "a.b.x.onion" reach x.onion.
    const labels = host.split('.');
    if (labels.length > 2) host = labels.slice(-2).join('.');
  } else if (host.startsWith('www.')) {
    host = host.slice(4);
  }
  return host;
}
