/**
 * RFC 9497 OPRF, mode 0x00 (base OPRF), suite ristretto255-SHA512, built on @noble/curves primitives
 * (@noble/curves 1.9.7 ships no OPRF module: its `ristretto255_oprf` is commented out).
 *
 * Group: ristretto255 (RFC 9496). Elements serialise to 32 bytes, scalars to 32 bytes little-endian.
 * HashToGroup = hash_to_ristretto255 (RFC 9380, expand_message_xmd SHA-512, 64 bytes, one-way map)
 * HashToScalar = expand_message_xmd(SHA-512, 64 bytes) interpreted little-endian, reduced mod the group order.
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { OprfError } from './errors.ts';

const Point = ristretto255.Point;
type Element = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

export const SUITE_ID = 'ristretto255-SHA512';
export const MODE_OPRF = 0x00;
/** Ne, Ns, Nh in RFC 9497 §4.1. */
export const ELEMENT_LENGTH = 32;
export const SCALAR_LENGTH = 32;
export const OUTPUT_LENGTH = 64;
/** Inputs longer than this cannot be length-prefixed with I2OSP(len, 2). */
export const MAX_INPUT_LENGTH = 0xffff;

/** contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier (RFC 9497 §3.1). */
export const CONTEXT_STRING = concatBytes(utf8ToBytes('OPRFV1-'), Uint8Array.of(MODE_OPRF), utf8ToBytes('-' + SUITE_ID));
const HASH_TO_GROUP_DST = concatBytes(utf8ToBytes('HashToGroup-'), CONTEXT_STRING);
const HASH_TO_SCALAR_DST = concatBytes(utf8ToBytes('HashToScalar-'), CONTEXT_STRING);
const DERIVE_KEY_PAIR_DST = concatBytes(utf8ToBytes('DeriveKeyPair'), CONTEXT_STRING);
const FINALIZE_LABEL = utf8ToBytes('Finalize');

export interface KeyPair {
  /** SerializeScalar(skS), 32 bytes little-endian. */
  secretKey: Uint8Array;
  /** SerializeElement(skS * G), 32 bytes. */
  publicKey: Uint8Array;
}

export interface BlindResult {
  /** The client's secret blind scalar (keep it; never send it). */
  blind: Uint8Array;
  /** What goes to the server. */
  blindedElement: Uint8Array;
}

function i2osp2(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function checkInput(input: Uint8Array): void {
  if (!(input instanceof Uint8Array)) throw new OprfError('invalid_input', 'OPRF input must be bytes');
  if (input.length > MAX_INPUT_LENGTH) throw new OprfError('invalid_input', `OPRF input longer than ${MAX_INPUT_LENGTH} bytes`);
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]!);
  return n;
}

function numberToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}

export function serializeScalar(s: bigint): Uint8Array {
  return numberToBytesLE(s, SCALAR_LENGTH);
}

/** DeserializeScalar: 32 bytes little-endian, canonical (< group order) and non-zero. */
export function deserializeScalar(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_LENGTH) {
    throw new OprfError('deserialize', `scalar must be ${SCALAR_LENGTH} bytes`);
  }
  const s = bytesToNumberLE(bytes);
  if (s >= ORDER) throw new OprfError('deserialize', 'scalar is not reduced modulo the group order');
  if (s === 0n) throw new OprfError('invalid_scalar', 'scalar is zero');
  return s;
}

/** DeserializeElement: canonical ristretto255 encoding, never the identity (RFC 9497 §4.1). */
export function deserializeElement(bytes: Uint8Array): Element {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ELEMENT_LENGTH) {
    throw new OprfError('deserialize', `element must be ${ELEMENT_LENGTH} bytes`);
  }
  let p: Element;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw new OprfError('deserialize', 'not a canonical ristretto255 encoding');
  }
  if (p.is0()) throw new OprfError('deserialize', 'element is the identity');
  return p;
}

export function hashToGroup(input: Uint8Array): Element {
  return ristretto255_hasher.hashToCurve(input, { DST: HASH_TO_GROUP_DST }) as Element;
}

export function hashToScalar(input: Uint8Array, dst: Uint8Array = HASH_TO_SCALAR_DST): bigint {
  const uniform = expand_message_xmd(input, dst, 64, sha512);
  return bytesToNumberLE(uniform) % ORDER;
}

/** RandomScalar: uniform non-zero scalar from 64 random bytes reduced mod the order (bias < 2^-250). */
export function randomScalar(): bigint {
  for (;;) {
    const s = bytesToNumberLE(randomBytes(64)) % ORDER;
    if (s !== 0n) return s;
  }
}

/** DeriveKeyPair(seed, info), RFC 9497 §3.2.1. */
export function deriveKeyPair(seed: Uint8Array, info: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new OprfError('derive_key_pair', 'seed must be 32 bytes (Ns)');
  if (info.length > MAX_INPUT_LENGTH) throw new OprfError('derive_key_pair', 'info too long');
  const deriveInput = concatBytes(seed, i2osp2(info.length), info);
  for (let counter = 0; counter <= 255; counter++) {
    const sk = hashToScalar(concatBytes(deriveInput, Uint8Array.of(counter)), DERIVE_KEY_PAIR_DST);
    if (sk !== 0n) return { secretKey: serializeScalar(sk), publicKey: Point.BASE.multiply(sk).toBytes() };
  }
  throw new OprfError('derive_key_pair', 'DeriveKeyPairError: no non-zero scalar after 256 attempts');
}

/** A fresh random key pair (server side). */
export function generateKeyPair(): KeyPair {
  return deriveKeyPair(randomBytes(32), utf8ToBytes('darkpatrol-deconflict'));
}

/**
 * Blind(input), RFC 9497 §3.3.1. `blindScalar` exists for the RFC test vectors; production callers omit it.
 */
export function blind(input: Uint8Array, blindScalar?: Uint8Array): BlindResult {
  checkInput(input);
  const r = blindScalar ? deserializeScalar(blindScalar) : randomScalar();
  const inputElement = hashToGroup(input);
  if (inputElement.is0()) throw new OprfError('invalid_input', 'InvalidInputError: input hashes to the identity');
  return { blind: serializeScalar(r), blindedElement: inputElement.multiply(r).toBytes() };
}

/** BlindEvaluate(skS, blindedElement), RFC 9497 §3.3.1: what the server runs. */
export function blindEvaluate(secretKey: Uint8Array, blindedElement: Uint8Array): Uint8Array {
  const sk = deserializeScalar(secretKey);
  return deserializeElement(blindedElement).multiply(sk).toBytes();
}

function finalizeHash(input: Uint8Array, unblinded: Uint8Array): Uint8Array {
  return sha512(
    concatBytes(i2osp2(input.length), input, i2osp2(unblinded.length), unblinded, FINALIZE_LABEL),
  );
}

/** Finalize(input, blind, evaluatedElement), RFC 9497 §3.3.1: the 64-byte PRF output. */
export function finalize(input: Uint8Array, blindBytes: Uint8Array, evaluatedElement: Uint8Array): Uint8Array {
  checkInput(input);
  const r = deserializeScalar(blindBytes);
  const z = deserializeElement(evaluatedElement);
  const n = z.multiply(Point.Fn.inv(r));
  return finalizeHash(input, n.toBytes());
}

/** Evaluate(skS, input), RFC 9497 §3.3.1: the server computing the PRF directly on a known input. */
export function evaluate(secretKey: Uint8Array, input: Uint8Array): Uint8Array {
  checkInput(input);
  const sk = deserializeScalar(secretKey);
  const inputElement = hashToGroup(input);
  if (inputElement.is0()) throw new OprfError('invalid_input', 'InvalidInputError: input hashes to the identity');
  return finalizeHash(input, inputElement.multiply(sk).toBytes());
}
