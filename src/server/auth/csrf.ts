import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/**
 * Cross-site request forgery defence that does not rely on SameSite: a session cookie is sent by the browser from
 * any page of the same *site*, and for 127.0.0.1 (or a sibling subdomain) that includes pages served on other
 * ports or by other hosts. So every state-changing request (any method but GET/HEAD/OPTIONS) must
 *   1. not come from another origin by the browser's own account: `Sec-Fetch-Site` other than same-origin/none,
 *      or an `Origin` whose host is not this server's, is refused whatever the authentication; and
 *   2. when it is authenticated by the session cookie, carry the session's CSRF token in `X-CSRF-Token`.
 * The token is derived from the session secret (SHA-256 of a label and the secret), so it needs no storage and no
 * extra database read. The console gets it in the `X-CSRF-Token` header of /api/auth/login and /api/auth/me:
 * a page of another origin can make the browser send a request but cannot read the answer or the header.
 * Requests authenticated otherwise (Authorization: Bearer or Basic, signed federation requests) are not sent
 * by a browser on its own, and need no token.
 */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isStateChanging = (method: string) => !SAFE_METHODS.has(method.toUpperCase());

/** The CSRF token of a session, given its (secret) session token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('darkpatrol-csrf-v1\0').update(sessionToken).digest('base64url');
}

/** Why a state-changing request is cross-origin by its browser headers, or null if it is not. */
export function crossOriginReason(req: FastifyRequest): string | null {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return `request from another origin (Sec-Fetch-Site: ${site.slice(0, 20)})`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let host: string | null = null;
  try {
    host = origin === 'null' ? null : new URL(origin).host;
  } catch {
    host = null;
  }
  if (host === null || host !== req.headers.host) return `request from another origin (Origin: ${origin.slice(0, 100)})`;
  return null;
}

/** Does the request carry the CSRF token of this session? */
export function hasCsrfToken(req: FastifyRequest, sessionToken: string): boolean {
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== 'string' || given.length > 100) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(csrfTokenFor(sessionToken));
  return a.length === b.length && timingSafeEqual(a, b);
}
