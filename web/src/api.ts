/** The console's only way to the server: same-origin JSON calls; the session cookie is HttpOnly. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The session's CSRF token: the server sends it in X-CSRF-Token with /api/auth/login and /api/auth/me (which
 * another origin cannot read), and every state-changing call sends it back. Held in memory only.
 */
let csrfToken: string | null = null;

/** The typed client (client.ts) shares the token: it sends it on writes and keeps the newest one it is given. */
export const csrf = {
  get: (): string | null => csrfToken,
  set: (t: string | null): void => {
    if (t) csrfToken = t;
  },
};

export async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const method = (init?.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = init?.body !== undefined ? { 'content-type': 'application/json' } : {};
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(`/api${path}`, {
    method,
    credentials: 'same-origin',
    headers,
    body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const token = res.headers.get('x-csrf-token');
  if (token) csrfToken = token;
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : null;
  if (!res.ok) {
    const e = (data ?? {}) as { error?: string; message?: string };
    throw new ApiFailure(res.status, e.error ?? 'error', e.message ?? res.statusText);
  }
  return data as T;
}

export interface Me {
  kind: 'user' | 'token';
  id: number;
  username: string;
  role: 'analyst' | 'investigator' | 'supervisor' | 'partner' | 'admin';
  agencyId: number;
  agencyCode: string;
}

export interface Page<T> {
  items: T[];
  limit: number;
  offset: number;
  nextOffset: number | null;
}

/** One bucket of src/analyse's revenue estimate, as the API sends it (types only: nothing of the server is bundled). */
export type { RevenuePoint, RevenueTotal } from '../../src/server/index.ts';

export interface LinkView {
  id: number;
  vendor_a: number;
  vendor_b: number;
  handle_a: string;
  handle_b: string;
  market_a: string;
  market_b: string;
  score: number;
  evidence: unknown;
  status: 'proposed' | 'confirmed' | 'rejected';
  decided_at: string | null;
  tlp: string;
}
