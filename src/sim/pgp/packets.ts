// OpenPGP (RFC 4880 / RFC 9580 v4) packet framing: just enough to write public keys and their self-signatures.

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

export function u32(n: number): Uint8Array {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** A new-format packet: 0xC0|tag, then a one-, two- or five-octet body length. */
export function packet(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  let len: Uint8Array;
  if (n < 192) len = Uint8Array.of(n);
  else if (n < 8384) len = Uint8Array.of(((n - 192) >> 8) + 192, (n - 192) & 0xff);
  else len = concat(Uint8Array.of(0xff), u32(n));
  return concat(Uint8Array.of(0xc0 | tag), len, body);
}

/** A multiprecision integer: bit count of the value (leading zero bits and bytes dropped), then the bytes. */
export function mpi(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  if (v.length === 0) return u16(0);
  const bits = (v.length - 1) * 8 + (32 - Math.clz32(v[0] as number));
  return concat(u16(bits), v);
}

/** A signature subpacket (lengths stay below 192 here). */
export function subpacket(type: number, data: Uint8Array): Uint8Array {
  const n = data.length + 1;
  if (n >= 192) throw new Error('subpacket too long');
  return concat(Uint8Array.of(n, type), data);
}

export const TAG = { signature: 2, secretKey: 5, publicKey: 6, secretSubkey: 7, userId: 13, publicSubkey: 14 } as const;
