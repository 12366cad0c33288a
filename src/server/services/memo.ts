import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

/** How long a dashboard-wide figure (revenue series, ranking, flows revenue) is reused for the same scope. */
export const REPORT_TTL_MS = 60_000;

interface Entry {
  at: number;
  value: Promise<unknown>;
}

const stores = new WeakMap<Kysely<Database>, Map<string, Entry>>();

/**
 * Single-flight, short-lived reuse of an expensive report per store and key: concurrent callers share one
 * computation, and the result is reused for REPORT_TTL_MS. The key must name everything the result depends on
 * (the caller's visibility scope and the parameters). Failures are not kept.
 */
export function memoReport<T>(db: Kysely<Database>, key: string, compute: () => Promise<T>): Promise<T> {
  let m = stores.get(db);
  if (!m) stores.set(db, (m = new Map()));
  const now = Date.now();
  for (const [k, e] of m) if (now - e.at > REPORT_TTL_MS) m.delete(k);
  const hit = m.get(key);
  if (hit) return hit.value as Promise<T>;
  const value = compute();
  m.set(key, { at: now, value });
  value.catch(() => m.delete(key));
  return value;
}
