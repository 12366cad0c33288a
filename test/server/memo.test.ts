import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { memoReport, REPORT_TTL_MS } from '../../src/server/services/memo.ts';
import type { Database } from '../../src/store/index.ts';

/** memoReport only uses the store as an identity key (a WeakMap), so any object stands for one store here. */
const storeKey = () => ({}) as Kysely<Database>;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('memoReport: single flight, stale while revalidate', () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
  afterEach(() => vi.useRealTimers());

  it('shares one pending computation between concurrent callers, and keys by store and key', async () => {
    const db = storeKey();
    const first = deferred<number>();
    const compute = vi.fn(() => first.promise);
    const a = memoReport(db, 'k', compute);
    const b = memoReport(db, 'k', compute);
    expect(compute).toHaveBeenCalledTimes(1);
    first.resolve(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    expect(await memoReport(db, 'other', async () => 8)).toBe(8);
    expect(await memoReport(storeKey(), 'k', async () => 9)).toBe(9);
  });

  it('serves the stale value after the TTL while exactly one refresh runs, then the new value', async () => {
    const db = storeKey();
    await memoReport(db, 'k', async () => 1);
    vi.setSystemTime(Date.now() + REPORT_TTL_MS + 1);
    const next = deferred<number>();
    const refresh = vi.fn(() => next.promise);
    expect(await memoReport(db, 'k', refresh)).toBe(1);
    expect(await memoReport(db, 'k', refresh)).toBe(1);
    expect(refresh).toHaveBeenCalledTimes(1);
    next.resolve(2);
    await next.promise;
    await Promise.resolve();
    expect(await memoReport(db, 'k', refresh)).toBe(2);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('keeps the previous value when a refresh fails, and retries on the next stale call', async () => {
    const db = storeKey();
    await memoReport(db, 'k', async () => 1);
    vi.setSystemTime(Date.now() + REPORT_TTL_MS + 1);
    const failing = deferred<number>();
    expect(await memoReport(db, 'k', () => failing.promise)).toBe(1);
    failing.reject(new Error('refresh failed'));
    await failing.promise.catch(() => undefined);
    await Promise.resolve();
    const retry = vi.fn(async () => 3);
    expect(await memoReport(db, 'k', retry)).toBe(1);
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('does not keep a failed first computation', async () => {
    const db = storeKey();
    await expect(memoReport(db, 'k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await Promise.resolve();
    expect(await memoReport(db, 'k', async () => 4)).toBe(4);
  });
});
