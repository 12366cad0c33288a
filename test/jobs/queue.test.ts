import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { PgJobQueue, startWorker, type JobHandler, type RunningWorker } from '../../src/jobs/index.ts';

async function until<T>(fn: () => Promise<T | undefined | false>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the job queue (pg-boss on the store) and an in-process worker', () => {
  let store: TestStore;
  let queue: PgJobQueue;
  let worker: RunningWorker;
  let agencyId: number;
  const seen: string[] = [];
  let failures = 0;

  // Small handlers that exercise the queue's machinery (the pipeline handlers are tested with the pipeline).
  const relink: JobHandler<'relink'> = async (_p, ctx) => {
    seen.push(`relink ${ctx.attempt}`);
    ctx.progress({ done: 1, total: 1, unit: 'steps' });
    return { state: 'completed', result: { ok: true } };
  };
  const report: JobHandler<'report'> = async (p, ctx) => {
    if (p.report === 'warnings') {
      failures++;
      throw new Error(`boom ${ctx.attempt}`);
    }
    // 'targets' waits until cancelled
    await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
    return { state: 'completed', result: { reason: ctx.abortReason() } };
  };

  beforeAll(async () => {
    store = await openTestStore();
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    queue = await PgJobQueue.open(store.db);
    worker = await startWorker({ queue, handlers: { relink, report }, concurrency: 2, pollMs: 50, heartbeatMs: 100 });
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await queue?.close();
    await store?.close();
  });

  it('refuses an invalid payload before anything is queued', async () => {
    await expect(queue.enqueue('import', { format: 'csv', file: '../etc/passwd' })).rejects.toThrow(/import directory/);
    await expect(queue.enqueue('crawl', { market: 'x', extra: 1 } as never)).rejects.toThrow(/invalid crawl job/);
    expect(await queue.list()).toEqual([]);
  });

  it('runs a job to completion with its progress and result', async () => {
    const job = await queue.enqueue('relink', {}, { agencyId, requestedBy: 'test' });
    expect(job.state).toBe('queued');
    const done = await until(async () => {
      const j = await queue.get(job.id);
      return j?.state === 'completed' && j;
    }, 'relink completed');
    expect(done.result).toEqual({ ok: true });
    expect(done.progress).toEqual({ done: 1, total: 1, unit: 'steps' });
    expect(done.attempts).toBe(1);
    expect(done.workerId).toBe(worker.id);
    expect(seen).toContain('relink 1');
  });

  it('retries a failing job up to its limit, then marks it failed with the error', async () => {
    const job = await queue.enqueue('report', { report: 'warnings' }, { agencyId, retryLimit: 1 });
    const failed = await until(async () => {
      const j = await queue.get(job.id);
      return j?.state === 'failed' && j;
    }, 'report failed');
    expect(failed.attempts).toBe(2);
    expect(failures).toBe(2);
    expect(failed.error).toMatch(/boom 2/);
  });

  it('cancels a running job through its signal, and a queued job at once', async () => {
    const job = await queue.enqueue('report', { report: 'targets' }, { agencyId });
    await until(async () => (await queue.get(job.id))?.state === 'running', 'report running');
    await queue.cancel(job.id, 'test');
    const cancelled = await until(async () => {
      const j = await queue.get(job.id);
      return j?.state === 'cancelled' && j;
    }, 'report cancelled');
    expect(cancelled.result).toEqual({ reason: 'cancel' });

    const later = await queue.enqueue('relink', {}, { agencyId, startAfter: new Date(Date.now() + 3_600_000) });
    expect((await queue.cancel(later.id, 'test')).state).toBe('cancelled');
    await expect(queue.pause(later.id, 'test')).rejects.toThrow(/only crawl jobs/);
    await expect(queue.cancel(later.id, 'test')).rejects.toThrow(/is cancelled/);
  });

  it('lists jobs newest first, by agency and state, and lists this worker as alive', async () => {
    const all = await queue.list({ agencyId });
    expect(all.length).toBe(4);
    expect(all[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(all.at(-1)!.createdAt.getTime());
    expect((await queue.list({ states: ['failed'] })).map((j) => j.kind)).toEqual(['report']);
    const page2 = await queue.list({ agencyId, before: all[1]!.id });
    expect(page2.map((j) => j.id)).toEqual(all.slice(2).map((j) => j.id));
    const workers = await queue.workers();
    expect(workers.find((w) => w.id === worker.id)?.stoppedAt).toBeNull();
  });
});
