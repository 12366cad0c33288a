/**
 * The console's typed calls: web/src/api-client.ts (generated from the server's OpenAPI document) with the session's
 * CSRF token on writes. Paths, parameters and bodies are checked by the compiler; answers the document leaves open
 * are given their shape by the caller (`data<T>`).
 */
import { useCallback, useEffect, useState } from 'react';
import { createApiClient } from './api-client.ts';
import { ApiFailure, csrf } from './api.ts';
import type { Load } from './ui.tsx';

export const client = createApiClient();
client.use({
  onRequest({ request }) {
    const t = csrf.get();
    if (t && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('x-csrf-token', t);
    return request;
  },
  onResponse({ response }) {
    csrf.set(response.headers.get('x-csrf-token'));
    return response;
  },
});

/** The answer of a typed call, or an ApiFailure carrying the server's error code and message. */
export async function data<T>(call: Promise<{ data?: unknown; error?: unknown; response: Response }>): Promise<T> {
  const r = await call;
  if (!r.response.ok) {
    const e = (r.error ?? {}) as { error?: string; message?: string };
    throw new ApiFailure(r.response.status, e.error ?? 'error', e.message ?? r.response.statusText);
  }
  return r.data as T;
}

/**
 * Runs `fn` on mount and when `key` changes; `reload` runs it again. `keep`: a poll keeps showing the last answer
 * while the next one loads (what the screen shows, e.g. a half-typed CAPTCHA answer, is not torn down).
 */
export function useCall<T>(fn: () => Promise<T>, key: string, opts: { keep?: boolean } = {}): [Load<T>, () => void] {
  const [load, setLoad] = useState<Load<T>>({ state: 'loading' });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setLoad((prev) => (opts.keep && prev.state === 'ok' ? prev : { state: 'loading' }));
    fn().then(
      (d) => live && setLoad({ state: 'ok', data: d }),
      (e: unknown) => live && setLoad({ state: 'error', error: e instanceof Error ? e.message : String(e), status: e instanceof ApiFailure ? e.status : 0 }),
    );
    return () => {
      live = false;
    };
  }, [key, n]);
  return [load, useCallback(() => setN((x) => x + 1), [])];
}

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
