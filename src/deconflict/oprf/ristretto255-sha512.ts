/**
 * RFC 9497 OPRF, mode 0x00 (base OPRF), suite ristretto255-SHA512. The group operations run in libsodium
 * (libsodium-wrappers-sumo: libsodium compiled to WebAssembly), which multiplies ~8x faster than the pure-JS
 * @noble/curves implementation this module used before; hashing (expand_message_xmd) stays in @noble/hashes.
 *
 * Group: ristretto255 (RFC 9496). Elements serialise to 32 bytes, scalars to 32 bytes little-endian.
 * HashToGroup = hash_to_ristretto255 (RFC 9380, expand_message_xmd SHA-512, 64 bytes, then the one-way map:
 *   libsodium's crypto_core_ristretto255_from_hash)
 * HashToScalar = expand_message_xmd(SHA-512, 64 bytes) interpreted little-endian, reduced mod the group order
 *   (crypto_core_ristretto255_scalar_reduce).
 */
import { createHash } from 'node:crypto';
import sodium from 'libsodium-wrappers-sumo';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { OprfError } from './errors.ts';

await sodium.ready;

/** The group order L, little-endian (for the canonical-scalar check). */
const ORDER_LE = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

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


function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/** bytes (32, little-endian) < L. */
function isReduced(bytes: Uint8Array): boolean {
  for (let i = SCALAR_LENGTH - 1; i >= 0; i--) {
    const a = bytes[i] as number;
    const l = ORDER_LE[i] as number;
    if (a !== l) return a < l;
  }
  return false;
}

/** SerializeScalar: scalars are kept serialised (32 bytes little-endian) throughout. */
export function serializeScalar(s: Uint8Array): Uint8Array {
  return Uint8Array.from(s);
}

/** DeserializeScalar: 32 bytes little-endian, canonical (< group order) and non-zero. */
export function deserializeScalar(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_LENGTH) {
    throw new OprfError('deserialize', `scalar must be ${SCALAR_LENGTH} bytes`);
  }
  if (!isReduced(bytes)) throw new OprfError('deserialize', 'scalar is not reduced modulo the group order');
  if (isZero(bytes)) throw new OprfError('invalid_scalar', 'scalar is zero');
  return bytes;
}

/** DeserializeElement: canonical ristretto255 encoding, never the identity (RFC 9497 §4.1). */
export function deserializeElement(bytes: Uint8Array): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ELEMENT_LENGTH) {
    throw new OprfError('deserialize', `element must be ${ELEMENT_LENGTH} bytes`);
  }
  if (isZero(bytes)) throw new OprfError('deserialize', 'element is the identity');
  if (!sodium.crypto_core_ristretto255_is_valid_point(bytes)) throw new OprfError('deserialize', 'not a canonical ristretto255 encoding');
  return bytes;
}

/** HashToGroup: a serialised element (never checked for identity here: callers do). */
export function hashToGroup(input: Uint8Array): Uint8Array {
  return sodium.crypto_core_ristretto255_from_hash(expand_message_xmd(input, HASH_TO_GROUP_DST, 64, sha512));
}

export function hashToScalar(input: Uint8Array, dst: Uint8Array = HASH_TO_SCALAR_DST): Uint8Array {
  return sodium.crypto_core_ristretto255_scalar_reduce(expand_message_xmd(input, dst, 64, sha512));
}

/** RandomScalar: uniform non-zero scalar from 64 random bytes reduced mod the order (bias < 2^-250). */
export function randomScalar(): Uint8Array {
  for (;;) {
    const s = sodium.crypto_core_ristretto255_scalar_reduce(randomBytes(64));
    if (!isZero(s)) return s;
  }
}

/** scalar · element; the identity as a result is an error in libsodium, reported here as `what`. */
function multiply(scalar: Uint8Array, element: Uint8Array, what: string): Uint8Array {
  try {
    return sodium.crypto_scalarmult_ristretto255(scalar, element);
  } catch {
    throw new OprfError('invalid_input', `${what} is the identity`);
  }
}

/** DeriveKeyPair(seed, info), RFC 9497 §3.2.1. */
export function deriveKeyPair(seed: Uint8Array, info: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new OprfError('derive_key_pair', 'seed must be 32 bytes (Ns)');
  if (info.length > MAX_INPUT_LENGTH) throw new OprfError('derive_key_pair', 'info too long');
  const deriveInput = concatBytes(seed, i2osp2(info.length), info);
  for (let counter = 0; counter <= 255; counter++) {
    const sk = hashToScalar(concatBytes(deriveInput, Uint8Array.of(counter)), DERIVE_KEY_PAIR_DST);
    if (!isZero(sk)) return { secretKey: sk, publicKey: sodium.crypto_scalarmult_ristretto255_base(sk) };
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
  if (isZero(inputElement)) throw new OprfError('invalid_input', 'InvalidInputError: input hashes to the identity');
  return { blind: serializeScalar(r), blindedElement: multiply(r, inputElement, 'blinded element') };
}

/** BlindEvaluate(skS, blindedElement), RFC 9497 §3.3.1: what the server runs. */
export function blindEvaluate(secretKey: Uint8Array, blindedElement: Uint8Array): Uint8Array {
  const sk = deserializeScalar(secretKey);
  return multiply(sk, deserializeElement(blindedElement), 'evaluated element');
}

function finalizeHash(input: Uint8Array, unblinded: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512')
    .update(i2osp2(input.length)).update(input).update(i2osp2(unblinded.length)).update(unblinded).update(FINALIZE_LABEL)
    .digest());
}

/** Finalize(input, blind, evaluatedElement), RFC 9497 §3.3.1: the 64-byte PRF output. */
export function finalize(input: Uint8Array, blindBytes: Uint8Array, evaluatedElement: Uint8Array): Uint8Array {
  checkInput(input);
  const r = deserializeScalar(blindBytes);
  const z = deserializeElement(evaluatedElement);
  return finalizeHash(input, multiply(sodium.crypto_core_ristretto255_scalar_invert(r), z, 'unblinded element'));
}

/** Evaluate(skS, input), RFC 9497 §3.3.1: the server computing the PRF directly on a known input. */
export function evaluate(secretKey: Uint8Array, input: Uint8Array): Uint8Array {
  checkInput(input);
  const sk = deserializeScalar(secretKey);
  const inputElement = hashToGroup(input);
  if (isZero(inputElement)) throw new OprfError('invalid_input', 'InvalidInputError: input hashes to the identity');
  return finalizeHash(input, multiply(sk, inputElement, 'evaluated element'));
}
