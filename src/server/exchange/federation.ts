/**
 * Federation between DarkPatrol installations: verifying signed requests from registered peers (signature,
 * audience, timestamp, and a nonce remembered in the database so a replay is refused even after a restart), and
 * calling a peer with requests signed by the calling agency's key.
 */
import { sql } from 'kysely';
import type { Kysely } from 'kysely';
import { keyIdOf, NonceCache, RequestVerificationError, signRequest, verifyRequest } from '../../exchange/index.ts';
import type { AgencyKeyPair, AgencyPublicKey } from '../../exchange/index.ts';
import type { Database } from '../../store/index.ts';
import { ApiError } from '../errors.ts';
import { PeerAddressError, type PeerNetworkPolicy } from './outbound.ts';
import { exchangeDb } from './schema.ts';

export const MAX_SKEW_MS = 5 * 60_000;

/** verifyRequest's replay check, deferred: record the nonce here, then claim it in the database. */
class DeferredNonces extends NonceCache {
  last: string | undefined;
  constructor() {
    super(MAX_SKEW_MS);
  }
  override use(nonce: string): boolean {
    this.last = nonce;
    return true;
  }
}

export interface VerifiedPeer {
  /** The peer agency the key speaks for (its code on its own installation). */
  agency: string;
  keyId: string;
}

let verifications = 0;

/** Verify a request from a federated installation, or throw a 401 ApiError naming what was wrong. */
export async function verifyPeerRequest(
  database: Kysely<Database>,
  installationId: string,
  req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; rawBody: string | undefined },
): Promise<VerifiedPeer> {
  const db = exchangeDb(database);
  const keys = new Map<string, AgencyPublicKey>();
  for (const p of await db.selectFrom('federation_peers').select(['peer_agency', 'public_key']).execute()) {
    const publicKey = new Uint8Array(p.public_key);
    keys.set(keyIdOf(publicKey), { keyId: keyIdOf(publicKey), agencyId: p.peer_agency, publicKey });
  }
  const nonces = new DeferredNonces();
  let who: { agencyId: string; keyId: string };
  try {
    who = verifyRequest(
      { method: req.method, path: req.url, body: req.rawBody ?? '', headers: req.headers },
      { audience: installationId, trustedKeys: keys, nonces, maxSkewMs: MAX_SKEW_MS },
    );
  } catch (e) {
    if (e instanceof RequestVerificationError) throw new ApiError(401, `federation_${e.code}`, e.message);
    throw e;
  }
  if (++verifications % 200 === 0) {
    await db.deleteFrom('federation_nonces').where('seen_at', '<', new Date(Date.now() - 3 * MAX_SKEW_MS)).execute();
  }
  const claimed = await sql<{ nonce: string }>`
    insert into federation_nonces (key_id, nonce) values (${who.keyId}, ${nonces.last ?? ''})
    on conflict do nothing returning nonce`.execute(database);
  if (claimed.rows.length === 0) throw new ApiError(401, 'federation_replay', 'request nonce already used');
  return { agency: who.agencyId, keyId: who.keyId };
}

export class PeerCallError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'PeerCallError';
  }
}

export interface PeerAddress {
  base_url: string;
  installation_id: string;
  name: string;
}

/**
 * Call a peer with a request signed by `key`; JSON in, JSON out, only to the peer's own origin and only at an
 * address the policy allows (outbound.ts). Network errors, refused addresses and 4xx/5xx answers throw
 * PeerCallError; of an error answer only the peer's `error` code and `message` (a DarkPatrol peer's own words,
 * truncated) are kept — never the raw reply.
 */
export async function callPeer<T>(peer: PeerAddress, key: AgencyKeyPair, policy: PeerNetworkPolicy, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const base = new URL(peer.base_url.endsWith('/') ? peer.base_url : `${peer.base_url}/`);
  const url = new URL(path, base);
  const text = body === undefined ? '' : JSON.stringify(body);
  const headers: Record<string, string> = signRequest({ method, path: url.pathname + url.search, body: text, audience: peer.installation_id }, key);
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await policy.fetch(peer.base_url, path, { method, headers, ...(body !== undefined ? { body: text } : {}), timeoutMs: 30_000 });
  } catch (e) {
    const cause = (e as Error & { cause?: Error }).cause;
    const why = e instanceof PeerAddressError ? e.message : cause instanceof PeerAddressError ? cause.message : 'connection failed';
    throw new PeerCallError(0, `peer ${peer.name} unreachable: ${why}`);
  }
  const answer = await res.text();
  let json: unknown;
  try {
    json = answer ? JSON.parse(answer) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const said = json as { error?: unknown; message?: unknown } | undefined;
    const code = typeof said?.error === 'string' ? said.error.slice(0, 60) : undefined;
    const message = typeof said?.message === 'string' ? said.message.slice(0, 200) : undefined;
    throw new PeerCallError(res.status, `peer ${peer.name} answered ${res.status}${message ? `: ${message}` : json === undefined ? ' (not a DarkPatrol answer)' : ''}`, code || message ? { error: code, message } : undefined);
  }
  return json as T;
}

/** A PeerCallError as the API answer: 502, with the peer's status and error. */
export function peerApiError(e: PeerCallError): ApiError {
  return new ApiError(502, 'peer_error', e.message, { peerStatus: e.status, peerAnswer: e.body });
}
