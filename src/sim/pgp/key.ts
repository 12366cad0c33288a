import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { armor } from './armor.ts';
import { TAG, concat, mpi, packet, subpacket, u16, u32 } from './packets.ts';

/**
 * Deterministic, real OpenPGP v4 keys: an Ed25519 primary key (algorithm 22, "legacy" EdDSA as GnuPG and
 * openpgp.js write it), one User ID with a positive certification, and optionally a Curve25519 ECDH encryption
 * subkey with its binding signature. All key material derives from `seed`, so any process rebuilds the same key.
 */
export interface PgpKeySpec {
  /** Hex seed (any length); the private keys are SHA-256 derivations of it. */
  seed: string;
  /** Unix creation time of the keys and signatures. */
  created: number;
  /** "name" or "name <e-mail>". */
  userId: string;
  encryptionSubkey: boolean;
}

export interface BuiltPgpKey {
  /** Uppercase hex v4 fingerprint. */
  fingerprint: string;
  keyId: string;
  subkeyFingerprint?: string;
  /** The transferable public key (binary packets). */
  binary: Uint8Array;
  armored: string;
}

export interface BuiltPgpSecretKey extends BuiltPgpKey {
  /** The transferable secret key, unprotected (S2K usage 0), as GnuPG exports it with an empty passphrase. */
  secretBinary: Uint8Array;
  secretArmored: string;
}

const ALGO_EDDSA = 22;
const ALGO_ECDH = 18;
const HASH_SHA256 = 8;
// OIDs without the DER tag and length, as OpenPGP stores them.
const OID_ED25519 = Uint8Array.of(0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01);
const OID_CURVE25519 = Uint8Array.of(0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01);

function derive(seed: string, label: string): Uint8Array {
  return sha256(concat(utf8ToBytes(`darkpatrol-pgp/${label}/`), seedBytes(seed)));
}

function seedBytes(seed: string): Uint8Array {
  return /^[0-9a-f]*$/i.test(seed) && seed.length % 2 === 0 ? hexToBytes(seed) : utf8ToBytes(seed);
}

function primaryKeyBody(pub: Uint8Array, created: number): Uint8Array {
  return concat(Uint8Array.of(4), u32(created), Uint8Array.of(ALGO_EDDSA, OID_ED25519.length), OID_ED25519,
    mpi(concat(Uint8Array.of(0x40), pub)));
}

function subkeyBody(pub: Uint8Array, created: number): Uint8Array {
  // KDF parameters: length 3, reserved 1, SHA-256, AES-128 key wrap.
  return concat(Uint8Array.of(4), u32(created), Uint8Array.of(ALGO_ECDH, OID_CURVE25519.length), OID_CURVE25519,
    mpi(concat(Uint8Array.of(0x40), pub)), Uint8Array.of(3, 1, HASH_SHA256, 7));
}

/** The v4 fingerprint: SHA-1 over 0x99, a two-octet length and the key packet body. */
export function v4Fingerprint(body: Uint8Array): Uint8Array {
  return sha1(concat(Uint8Array.of(0x99), u16(body.length), body));
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').toUpperCase();
}

function keyHashPrefix(body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(0x99), u16(body.length), body);
}

/** A v4 signature packet made with the Ed25519 primary key over `hashedPrefix` and the signature's own fields. */
function signature(sigType: number, hashedSubs: Uint8Array, unhashedSubs: Uint8Array, hashedPrefix: Uint8Array,
  priv: Uint8Array): Uint8Array {
  const head = concat(Uint8Array.of(4, sigType, ALGO_EDDSA, HASH_SHA256), u16(hashedSubs.length), hashedSubs);
  const trailer = concat(Uint8Array.of(4, 0xff), u32(head.length));
  const digest = sha256(concat(hashedPrefix, head, trailer));
  const sig = ed25519.sign(digest, priv);
  return packet(TAG.signature, concat(head, u16(unhashedSubs.length), unhashedSubs, digest.subarray(0, 2),
    mpi(sig.subarray(0, 32)), mpi(sig.subarray(32, 64))));
}

/** Only the fingerprint (cheap: one scalar multiplication, no signature). */
export function pgpFingerprint(spec: Pick<PgpKeySpec, 'seed' | 'created'>): string {
  const pub = ed25519.getPublicKey(derive(spec.seed, 'primary'));
  return hex(v4Fingerprint(primaryKeyBody(pub, spec.created)));
}

/** The public key and, for markets and undercover accounts of the sim, its secret key (same seed, same key). */
export function buildPgpSecretKey(spec: PgpKeySpec): BuiltPgpSecretKey {
  return buildKey(spec, true) as BuiltPgpSecretKey;
}

export function buildPgpKey(spec: PgpKeySpec): BuiltPgpKey {
  return buildKey(spec, false);
}

/**
 * A v4 secret key packet body with S2K usage 0: the public body, 0, the secret MPI and the two-octet sum of the
 * MPI's octets (RFC 4880 §5.5.3).
 */
function secretBody(publicBody: Uint8Array, secret: Uint8Array): Uint8Array {
  const m = mpi(secret);
  let sum = 0;
  for (const b of m) sum = (sum + b) & 0xffff;
  return concat(publicBody, Uint8Array.of(0), m, u16(sum));
}

/** A Curve25519 secret as OpenPGP stores it: clamped, then big-endian (the reverse of X25519's byte order). */
function curve25519Secret(k: Uint8Array): Uint8Array {
  const clamped = Uint8Array.from(k);
  clamped[0] = (clamped[0] as number) & 248;
  clamped[31] = ((clamped[31] as number) & 127) | 64;
  return clamped.reverse();
}

function buildKey(spec: PgpKeySpec, withSecret: boolean): BuiltPgpKey | BuiltPgpSecretKey {
  if (!Number.isInteger(spec.created) || spec.created <= 0 || spec.created >= 2 ** 32) {
    throw new Error(`PGP key creation time must be a positive 32-bit unix time, got ${spec.created}`);
  }
  const priv = derive(spec.seed, 'primary');
  const pub = ed25519.getPublicKey(priv);
  const body = primaryKeyBody(pub, spec.created);
  const fp = v4Fingerprint(body);
  const keyId = fp.subarray(12);
  const uid = utf8ToBytes(spec.userId);

  const certSubs = concat(
    subpacket(33, concat(Uint8Array.of(4), fp)), // issuer fingerprint
    subpacket(2, u32(spec.created)), // signature creation time
    subpacket(27, Uint8Array.of(0x03)), // key flags: certify, sign
    subpacket(11, Uint8Array.of(9, 8, 7)), // preferred symmetric: AES256, AES192, AES128
    subpacket(21, Uint8Array.of(10, 9, 8)), // preferred hash: SHA512, SHA384, SHA256
    subpacket(22, Uint8Array.of(2, 3, 1)), // preferred compression: ZLIB, BZip2, ZIP
    subpacket(30, Uint8Array.of(0x01)), // features: modification detection
    subpacket(23, Uint8Array.of(0x80)), // key server preferences: no-modify
  );
  const issuer = subpacket(16, keyId);
  const uidPrefix = concat(keyHashPrefix(body), Uint8Array.of(0xb4), u32(uid.length), uid);
  const certification = signature(0x13, certSubs, issuer, uidPrefix, priv);
  const parts = [packet(TAG.publicKey, body), packet(TAG.userId, uid), certification];
  const secretParts = [packet(TAG.secretKey, secretBody(body, priv)), packet(TAG.userId, uid), certification];

  let subkeyFingerprint: string | undefined;
  if (spec.encryptionSubkey) {
    const subPriv = derive(spec.seed, 'encryption');
    const subPub = x25519.getPublicKey(subPriv);
    const subBody = subkeyBody(subPub, spec.created);
    subkeyFingerprint = hex(v4Fingerprint(subBody));
    const bindSubs = concat(
      subpacket(33, concat(Uint8Array.of(4), fp)),
      subpacket(2, u32(spec.created)),
      subpacket(27, Uint8Array.of(0x0c)), // key flags: encrypt communications and storage
    );
    const binding = signature(0x18, bindSubs, issuer, concat(keyHashPrefix(body), keyHashPrefix(subBody)), priv);
    parts.push(packet(TAG.publicSubkey, subBody), binding);
    secretParts.push(packet(TAG.secretSubkey, secretBody(subBody, curve25519Secret(subPriv))), binding);
  }
  const binary = concat(...parts);
  const built: BuiltPgpKey = { fingerprint: hex(fp), keyId: hex(keyId), subkeyFingerprint, binary, armored: armor('PUBLIC KEY BLOCK', binary) };
  if (!withSecret) return built;
  const secretBinary = concat(...secretParts);
  return { ...built, secretBinary, secretArmored: armor('PRIVATE KEY BLOCK', secretBinary) };
}

const cache = new Map<string, BuiltPgpKey>();
const CACHE_LIMIT = 50_000;

/** `buildPgpKey` with a bounded cache keyed by the whole spec (market servers render the same keys often). */
export function pgpKey(spec: PgpKeySpec): BuiltPgpKey {
  const k = `${spec.seed}|${spec.created}|${spec.encryptionSubkey ? 1 : 0}|${spec.userId}`;
  let built = cache.get(k);
  if (!built) {
    built = buildPgpKey(spec);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.set(k, built);
  }
  return built;
}
