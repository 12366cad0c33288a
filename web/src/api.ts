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

export async function api<T>(path: string, init?: { method?: string; body?: unknown }): Promise<T> {
  const res = await fetch(`/api${path}`, {
    method: init?.method ?? 'GET',
    credentials: 'same-origin',
    headers: init?.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: init?.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
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
export type { RevenuePoint } from '../../src/server/index.ts';

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
