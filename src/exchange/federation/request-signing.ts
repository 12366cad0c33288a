/**
 * Signed requests between federated DarkPatrol installations. The sender signs, with its agency's Ed25519 key,
 * the RFC 8785 canonical JSON of: method, path with query, SHA-256 of the body, timestamp, a random nonce, the
 * receiving installation (audience) and its key id. The receiver checks the key is trusted, the signature, the
 * audience, that the timestamp is within the allowed skew, and that the nonce was not seen before (replay).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from '../jcs.ts';
import { keyIdOf } from '../manifest/keys.ts';
import type { AgencyKeyPair, AgencyPublicKey } from '../manifest/keys.ts';
import type { TrustedKeys } from '../manifest/sign.ts';

export const SIGNATURE_HEADERS = {
  keyId: 'x-darkpatrol-key-id',
  timestamp: 'x-darkpatrol-timestamp',
  nonce: 'x-darkpatrol-nonce',
  audience: 'x-darkpatrol-audience',
  signature: 'x-darkpatrol-signature',
} as const;

export type RequestVerificationCode = 'missing_header' | 'unknown_signer' | 'bad_signature' | 'stale' | 'replay' | 'wrong_audience';

export class RequestVerificationError extends Error {
  constructor(
    readonly code: RequestVerificationCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestVerificationError';
  }
}

export interface RequestToSign {
  method: string;
  /** Path with query string, as sent: `/api/federation/hits?since=…`. */
  path: string;
  body?: string | Uint8Array;
  /** The receiving installation's id. */
  audience: string;
}

function payload(r: RequestToSign, keyId: string, timestamp: string, nonce: string): Uint8Array {
  const body = typeof r.body === 'string' ? new TextEncoder().encode(r.body) : (r.body ?? new Uint8Array(0));
  return canonicalBytes({
    v: 1,
    method: r.method.toUpperCase(),
    path: r.path,
    bodySha256: bytesToHex(sha256(body)),
    timestamp,
    nonce,
    audience: r.audience,
    keyId,
  });
}

/** Headers to add to the request. */
export function signRequest(r: RequestToSign, key: AgencyKeyPair, now: Date = new Date()): Record<string, string> {
  const timestamp = now.toISOString();
  const nonce = Buffer.from(randomBytes(16)).toString('base64url');
  const sig = ed25519.sign(payload(r, key.keyId, timestamp, nonce), key.secretKey);
  return {
    [SIGNATURE_HEADERS.keyId]: key.keyId,
    [SIGNATURE_HEADERS.timestamp]: timestamp,
    [SIGNATURE_HEADERS.nonce]: nonce,
    [SIGNATURE_HEADERS.audience]: r.audience,
    [SIGNATURE_HEADERS.signature]: Buffer.from(sig).toString('base64url'),
  };
}

/** Remembers nonces for the skew window; bounded in size (oldest dropped first). */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 1_000_000,
  ) {}

  /** False when the nonce was already used. */
  use(nonce: string, nowMs: number): boolean {
    for (const [n, at] of this.seen) {
      if (nowMs - at <= this.ttlMs && this.seen.size <= this.maxEntries) break;
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, nowMs);
    return true;
  }
}

export interface VerifyRequestOptions {
  /** This installation's id: requests addressed elsewhere are refused. */
  audience: string;
  trustedKeys: TrustedKeys;
  nonces: NonceCache;
  /** Allowed clock difference, default 5 minutes. */
  maxSkewMs?: number;
  now?: Date;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  body?: string | Uint8Array;
  headers: Record<string, string | string[] | undefined>;
}

function header(h: ReceivedRequest['headers'], name: string): string {
  const v = h[name] ?? h[name.toLowerCase()];
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string' || s.length === 0 || s.length > 200) {
    throw new RequestVerificationError('missing_header', `missing or oversized header ${name}`);
  }
  return s;
}

/** Verify a received request; returns the signing agency. */
export function verifyRequest(r: ReceivedRequest, o: VerifyRequestOptions): { agencyId: string; keyId: string } {
  const keyId = header(r.headers, SIGNATURE_HEADERS.keyId);
  const timestamp = header(r.headers, SIGNATURE_HEADERS.timestamp);
  const nonce = header(r.headers, SIGNATURE_HEADERS.nonce);
  const audience = header(r.headers, SIGNATURE_HEADERS.audience);
  const signature = header(r.headers, SIGNATURE_HEADERS.signature);

  let key: AgencyPublicKey | undefined;
  if (o.trustedKeys instanceof Map) key = (o.trustedKeys as ReadonlyMap<string, AgencyPublicKey>).get(keyId);
  else for (const k of o.trustedKeys as Iterable<AgencyPublicKey>) if (keyIdOf(k.publicKey) === keyId) key = k;
  if (!key) throw new RequestVerificationError('unknown_signer', `request signed by unknown key ${keyId}`);

  let ok = false;
  try {
    ok = ed25519.verify(
      new Uint8Array(Buffer.from(signature, 'base64url')),
      payload({ method: r.method, path: r.path, body: r.body, audience }, keyId, timestamp, nonce),
      key.publicKey,
    );
  } catch {
    ok = false;
  }
  if (!ok) throw new RequestVerificationError('bad_signature', 'request signature does not verify');
  if (audience !== o.audience) throw new RequestVerificationError('wrong_audience', `request addressed to ${audience}, not ${o.audience}`);
  const now = (o.now ?? new Date()).getTime();
  const at = Date.parse(timestamp);
  const skew = o.maxSkewMs ?? 5 * 60_000;
  if (!Number.isFinite(at) || Math.abs(now - at) > skew) {
    throw new RequestVerificationError('stale', `request timestamp ${timestamp} outside ±${skew / 1000} s`);
  }
  if (!o.nonces.use(`${keyId}:${nonce}`, now)) throw new RequestVerificationError('replay', 'request nonce already used');
  return { agencyId: key.agencyId, keyId };
}
