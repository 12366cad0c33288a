import { PgJobQueue, isJobKind, pipelineHandlers, releaseDeadWorker, resumeSolvedCaptchaCrawls, startWorker, type JobKind, type RunningWorker, type WorkerEnv } from '../jobs/index.ts';
import { serverJobHandlers } from '../server/index.ts';
import type { Store } from '../store/index.ts';
import { UserError } from './errors.ts';

export interface JobWorkerOptions extends Omit<WorkerEnv, 'store'> {
  queues?: JobKind[];
  concurrency?: number;
  pollMs?: number;
  heartbeatMs?: number;
  deadAfterMs?: number;
  log?: (line: string) => void;
}

export interface JobWorker {
  queue: PgJobQueue;
  worker: RunningWorker;
  stop(): Promise<void>;
}

/** Parses "--queues crawl,extract". */
export function parseQueues(v: string | undefined): JobKind[] | undefined {
  if (!v) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.filter((k) => !isJobKind(k));
  if (bad.length) throw new UserError(`unknown queue(s) ${bad.join(', ')}`);
  return list as JobKind[];
}

/** A worker with every handler (pipeline stages and the server's reports) on this store: `worker` and `serve` use it. */
export async function startJobWorker(store: Store, o: JobWorkerOptions): Promise<JobWorker> {
  const queue = await PgJobQueue.open(store.db);
  const handlers = { ...pipelineHandlers({ ...o, store }), ...serverJobHandlers(store) };
  let worker: RunningWorker;
  try {
    worker = await startWorker({
      queue,
      handlers,
      queues: o.queues,
      concurrency: o.concurrency,
      pollMs: o.pollMs,
      heartbeatMs: o.heartbeatMs,
      deadAfterMs: o.deadAfterMs,
      onDeadWorker: releaseDeadWorker,
      onTick: async () => {
        for (const id of await resumeSolvedCaptchaCrawls(queue)) o.log?.(`job ${id}: CAPTCHA solved, crawl queued again`);
      },
      log: o.log,
    });
  } catch (err) {
    // A started pg-boss left running would keep the process alive after the error is reported.
    await queue.close().catch(() => undefined);
    throw err;
  }
  return {
    queue,
    worker,
    async stop() {
      await worker.stop();
      await queue.close();
    },
  };
}
