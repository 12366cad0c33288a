import { createHash } from 'node:crypto';

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding (what warcio and Heritrix write after "sha1:"/"sha256:"). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

function fromBase32(text: string): Buffer | undefined {
  const clean = text.replace(/=+$/, '').toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const v = B32.indexOf(ch);
    if (v < 0) return undefined;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The labelled digest of a WARC header (WARC 1.1 §5.8): "sha256:" + base32 of the SHA-256. */
export function warcDigest(sha256Hex: string): string {
  return `sha256:${base32(Buffer.from(sha256Hex, 'hex'))}`;
}

/**
 * Reads a labelled digest as written by us or other tools ("sha256:" + base32, padded or not, or hex) and returns
 * its SHA-256 as lowercase hex; undefined for another algorithm or an unreadable value.
 */
export function parseWarcDigest(labelled: string): string | undefined {
  const m = /^sha-?256:(.+)$/i.exec(labelled.trim());
  if (!m) return undefined;
  const v = m[1] ?? '';
  if (/^[0-9a-f]{64}$/i.test(v)) return v.toLowerCase();
  const bytes = fromBase32(v);
  return bytes && bytes.length === 32 ? bytes.toString('hex') : undefined;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}
