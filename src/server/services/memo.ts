import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

/** How long a dashboard-wide figure (revenue series, ranking, flows revenue) is reused for the same scope. */
export const REPORT_TTL_MS = 60_000;
/** A key nobody asked for in this long is forgotten (its value would only be served stale once more). */
const FORGET_MS = 10 * REPORT_TTL_MS;

interface Entry {
  at: number;
  value: Promise<unknown>;
  /**
   * `pending`: the first computation has not resolved (callers share it); `ready`: the value has resolved and may be
   * served stale once REPORT_TTL_MS has passed; `refreshing`: ready, and a newer computation is under way.
   */
  state: 'pending' | 'ready' | 'refreshing';
  usedAt: number;
}

const stores = new WeakMap<Kysely<Database>, Map<string, Entry>>();

/**
 * Single-flight, short-lived reuse of an expensive report per store and key: concurrent callers share one
 * computation, and the result is reused for REPORT_TTL_MS. After that, the previous result is still served while
 * ONE caller's request starts the next computation in the background (stale-while-revalidate): at AlphaBay scale the
 * revenue model takes tens of seconds, and no request should wait for it but the very first of its scope.
 * The key must name everything the result depends on (the caller's visibility scope and the parameters).
 * Failures are not kept (a failed refresh keeps the previous value).
 */
export function memoReport<T>(db: Kysely<Database>, key: string, compute: () => Promise<T>): Promise<T> {
  let m = stores.get(db);
  if (!m) stores.set(db, (m = new Map()));
  const now = Date.now();
  for (const [k, e] of m) if (now - e.usedAt > FORGET_MS && e.state !== 'refreshing') m.delete(k);
  const hit = m.get(key);
  if (hit) {
    hit.usedAt = now;
    if (hit.state === 'ready' && now - hit.at > REPORT_TTL_MS) {
      hit.state = 'refreshing';
      compute().then(
        (v) => m.set(key, { at: Date.now(), value: Promise.resolve(v), state: 'ready', usedAt: hit.usedAt }),
        () => (hit.state = 'ready'),
      );
    }
    return hit.value as Promise<T>;
  }
  const value = compute();
  const entry: Entry = { at: now, value, state: 'pending', usedAt: now };
  m.set(key, entry);
  value.then(
    () => (entry.state = 'ready'),
    () => m.get(key) === entry && m.delete(key),
  );
  return value;
}
