/**
 * The client half of RFC 9497 OPRF mode 0x00, ristretto255-SHA512 (Blind and Finalize), in pure JavaScript on
 * @noble/curves and @noble/hashes, with no Node built-in and no WebAssembly, so that the web console can blind
 * selectors in the browser. The server half (BlindEvaluate, and the agency-side functions used by the CLI and
 * tests) is `ristretto255-sha512.ts` on libsodium; both pass the RFC test vectors and interoperate
 * (test/deconflict/oprf-client.test.ts).
 */
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { OprfError } from './errors.ts';

const Point = ristretto255.Point;
type Element = InstanceType<typeof Point>;
const ORDER = Point.Fn.ORDER;

const ELEMENT_LENGTH = 32;
const SCALAR_LENGTH = 32;
const MAX_INPUT_LENGTH = 0xffff;
/** contextString = "OPRFV1-" || I2OSP(0x00, 1) || "-ristretto255-SHA512" (RFC 9497 §3.1). */
const CONTEXT_STRING = concatBytes(utf8ToBytes('OPRFV1-'), Uint8Array.of(0x00), utf8ToBytes('-ristretto255-SHA512'));
const HASH_TO_GROUP_DST = concatBytes(utf8ToBytes('HashToGroup-'), CONTEXT_STRING);
const FINALIZE_LABEL = utf8ToBytes('Finalize');

function i2osp2(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function checkInput(input: Uint8Array): void {
  if (!(input instanceof Uint8Array)) throw new OprfError('invalid_input', 'OPRF input must be bytes');
  if (input.length > MAX_INPUT_LENGTH) throw new OprfError('invalid_input', `OPRF input longer than ${MAX_INPUT_LENGTH} bytes`);
}

function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
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

function deserializeScalar(bytes: Uint8Array): bigint {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_LENGTH) throw new OprfError('deserialize', `scalar must be ${SCALAR_LENGTH} bytes`);
  const s = bytesToNumberLE(bytes);
  if (s >= ORDER) throw new OprfError('deserialize', 'scalar is not reduced modulo the group order');
  if (s === 0n) throw new OprfError('invalid_scalar', 'scalar is zero');
  return s;
}

function deserializeElement(bytes: Uint8Array): Element {
  if (!(bytes instanceof Uint8Array) || bytes.length !== ELEMENT_LENGTH) throw new OprfError('deserialize', `element must be ${ELEMENT_LENGTH} bytes`);
  let p: Element;
  try {
    p = Point.fromBytes(bytes);
  } catch {
    throw new OprfError('deserialize', 'not a canonical ristretto255 encoding');
  }
  if (p.is0()) throw new OprfError('deserialize', 'element is the identity');
  return p;
}

/** RandomScalar: uniform non-zero scalar from 64 random bytes (crypto.getRandomValues) reduced mod the order. */
function randomScalar(): bigint {
  for (;;) {
    const s = bytesToNumberLE(randomBytes(64)) % ORDER;
    if (s !== 0n) return s;
  }
}

/** Blind(input), RFC 9497 §3.3.1; `blindScalar` exists for the RFC test vectors, callers omit it. */
export function clientBlind(input: Uint8Array, blindScalar?: Uint8Array): { blind: Uint8Array; blindedElement: Uint8Array } {
  checkInput(input);
  const r = blindScalar ? deserializeScalar(blindScalar) : randomScalar();
  const inputElement = ristretto255_hasher.hashToCurve(input, { DST: HASH_TO_GROUP_DST }) as Element;
  if (inputElement.is0()) throw new OprfError('invalid_input', 'InvalidInputError: input hashes to the identity');
  return { blind: numberToBytesLE(r, SCALAR_LENGTH), blindedElement: inputElement.multiply(r).toBytes() };
}

/** Finalize(input, blind, evaluatedElement), RFC 9497 §3.3.1: the 64-byte PRF output. */
export function clientFinalize(input: Uint8Array, blindBytes: Uint8Array, evaluatedElement: Uint8Array): Uint8Array {
  checkInput(input);
  const r = deserializeScalar(blindBytes);
  const unblinded = deserializeElement(evaluatedElement).multiply(Point.Fn.inv(r)).toBytes();
  return sha512(concatBytes(i2osp2(input.length), input, i2osp2(unblinded.length), unblinded, FINALIZE_LABEL));
}
