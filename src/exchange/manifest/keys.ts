/**
 * Agency signing keys (Ed25519). A key pair is stored as a JWK (RFC 8037, `kty: OKP`, `crv: Ed25519`) with the
 * agency it belongs to, or as PKCS#8 / SPKI PEM, which OpenSSL and GnuPG-adjacent tooling read.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { KeyFormatError } from './errors.ts';

export interface AgencyPublicKey {
  /** `ed25519:` + the first 32 hex characters of SHA-256(public key). */
  keyId: string;
  agencyId: string;
  publicKey: Uint8Array;
}

export interface AgencyKeyPair extends AgencyPublicKey {
  secretKey: Uint8Array;
}

export interface AgencyJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d?: string;
  kid: string;
  /** The agency this key speaks for. */
  agency: string;
}

export function keyIdOf(publicKey: Uint8Array): string {
  return `ed25519:${bytesToHex(sha256(publicKey)).slice(0, 32)}`;
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
function fromB64url(s: string, what: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new KeyFormatError(`${what} is not base64url`);
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function checkAgency(agencyId: string): void {
  if (typeof agencyId !== 'string' || agencyId.length === 0 || agencyId.length > 200) {
    throw new KeyFormatError('agency id must be a non-empty string of at most 200 characters');
  }
}

export function generateAgencyKeyPair(agencyId: string): AgencyKeyPair {
  checkAgency(agencyId);
  const secretKey = ed25519.utils.randomSecretKey();
  const publicKey = ed25519.getPublicKey(secretKey);
  return { keyId: keyIdOf(publicKey), agencyId, publicKey, secretKey };
}

export function publicPart(key: AgencyPublicKey): AgencyPublicKey {
  return { keyId: key.keyId, agencyId: key.agencyId, publicKey: key.publicKey };
}

export function exportPublicKeyJwk(key: AgencyPublicKey): AgencyJwk {
  return { kty: 'OKP', crv: 'Ed25519', x: b64url(key.publicKey), kid: key.keyId, agency: key.agencyId };
}

export function exportKeyPairJwk(key: AgencyKeyPair): AgencyJwk {
  return { ...exportPublicKeyJwk(key), d: b64url(key.secretKey) };
}

const jwkSchema = z.object({
  kty: z.literal('OKP'),
  crv: z.literal('Ed25519'),
  x: z.string().max(100),
  d: z.string().max(100).optional(),
  kid: z.string().max(200).optional(),
  agency: z.string().min(1).max(200),
});

/** Read a JWK (object or JSON text). Returns a key pair when `d` is present; checks `x` and `kid` agree with it. */
export function importJwk(input: unknown): AgencyKeyPair | AgencyPublicKey {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch {
      throw new KeyFormatError('key file is not JSON');
    }
  }
  const parsed = jwkSchema.safeParse(json);
  if (!parsed.success) throw new KeyFormatError(`not an Ed25519 agency JWK: ${parsed.error.issues[0]?.message ?? ''}`);
  const jwk = parsed.data;
  const publicKey = fromB64url(jwk.x, 'x');
  if (publicKey.length !== 32) throw new KeyFormatError('Ed25519 public key must be 32 bytes');
  const keyId = keyIdOf(publicKey);
  if (jwk.kid !== undefined && jwk.kid !== keyId) throw new KeyFormatError(`kid ${jwk.kid} does not match the key (${keyId})`);
  if (jwk.d === undefined) return { keyId, agencyId: jwk.agency, publicKey };
  const secretKey = fromB64url(jwk.d, 'd');
  if (secretKey.length !== 32) throw new KeyFormatError('Ed25519 private key must be 32 bytes');
  if (bytesToHex(ed25519.getPublicKey(secretKey)) !== bytesToHex(publicKey)) {
    throw new KeyFormatError('private key does not belong to the public key in x');
  }
  return { keyId, agencyId: jwk.agency, publicKey, secretKey };
}

export function isKeyPair(k: AgencyPublicKey): k is AgencyKeyPair {
  return (k as AgencyKeyPair).secretKey instanceof Uint8Array;
}

/** PKCS#8 private key and SPKI public key, PEM-encoded. */
export function exportKeyPairPem(key: AgencyKeyPair): { privateKeyPem: string; publicKeyPem: string } {
  const jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(key.publicKey), d: b64url(key.secretKey) };
  const priv = createPrivateKey({ key: jwk, format: 'jwk' });
  return {
    privateKeyPem: priv.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: createPublicKey(priv).export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function pemJwk(pem: string, kind: 'private' | 'public'): { x?: string; d?: string; crv?: string } {
  if (typeof pem !== 'string' || pem.length > 10_000) throw new KeyFormatError('PEM key must be a short string');
  try {
    const key = kind === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') throw new KeyFormatError(`expected an Ed25519 key, got ${key.asymmetricKeyType}`);
    return key.export({ format: 'jwk' }) as { x?: string; d?: string; crv?: string };
  } catch (e) {
    if (e instanceof KeyFormatError) throw e;
    throw new KeyFormatError(`unreadable ${kind} key PEM: ${(e as Error).message}`);
  }
}

export function importPrivateKeyPem(pem: string, agencyId: string): AgencyKeyPair {
  checkAgency(agencyId);
  const jwk = pemJwk(pem, 'private');
  return importJwk({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, agency: agencyId }) as AgencyKeyPair;
}

export function importPublicKeyPem(pem: string, agencyId: string): AgencyPublicKey {
  checkAgency(agencyId);
  const jwk = pemJwk(pem, 'public');
  return importJwk({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, agency: agencyId });
}
