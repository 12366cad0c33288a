import path from 'node:path';
import type { Command } from 'commander';
import { PROXY_ENV } from '../../collect/index.ts';
import { resolveEvidenceDir } from '../../evidence/index.ts';
import { JOB_KINDS } from '../../jobs/index.ts';
import { UserError } from '../errors.ts';
import { withStore } from '../store-options.ts';
import { parseQueues, startJobWorker } from '../worker-runtime.ts';
import { stopSignal } from '../stop-signal.ts';

export const IMPORT_DIR_ENV = 'DARKPATROL_IMPORT_DIR';

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name} must be a positive integer`);
  return n;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run queued jobs (crawl, extract, import, relink, report) until stopped; run as many as you like, on any machine reaching the database')
    .option('--queues <list>', `comma-separated job kinds to take (default all: ${JOB_KINDS.join(',')})`)
    .option('--concurrency <n>', 'jobs run at once by this process', '2')
    .option('--proxy <url>', `this machine's Tor SOCKS5h port for crawl jobs (or $${PROXY_ENV})`)
    .option('--evidence-dir <dir>', 'WARC directory, shared by all workers (default .darkpatrol/evidence or $DARKPATROL_EVIDENCE_DIR)')
    .option('--import-dir <dir>', `where import jobs find their files (default .darkpatrol/imports or $${IMPORT_DIR_ENV})`)
    .option('--poll-ms <n>', 'how often an idle slot asks for work', '1000')
    .option('--heartbeat-ms <n>', 'liveness heartbeat interval', '2000')
    .option('--dead-after-ms <n>', "a worker silent this long is declared dead and its jobs handed to others", '30000')
    .action(async (o: { queues?: string; concurrency: string; proxy?: string; evidenceDir?: string; importDir?: string; pollMs: string; heartbeatMs: string; deadAfterMs: string }, cmd: Command) => {
      const queues = parseQueues(o.queues);
      await withStore(cmd, async (store) => {
        const log = (line: string) => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
        // Listened for before the worker starts: it is registered in job_workers while it is still starting, and a
        // SIGTERM then (a service stopped right after its start) would otherwise kill it with its row left open.
        // A signal during start-up stops the worker as soon as it has started.
        const stopRequested = stopSignal();
        const running = await startJobWorker(store, {
          queues,
          concurrency: positive('--concurrency', o.concurrency),
          pollMs: positive('--poll-ms', o.pollMs),
          heartbeatMs: positive('--heartbeat-ms', o.heartbeatMs),
          deadAfterMs: positive('--dead-after-ms', o.deadAfterMs),
          proxy: o.proxy ?? process.env[PROXY_ENV],
          evidenceDir: resolveEvidenceDir(o.evidenceDir),
          importDir: path.resolve(o.importDir ?? process.env[IMPORT_DIR_ENV] ?? '.darkpatrol/imports'),
          log,
        });
        process.stdout.write(`${JSON.stringify({ worker: running.worker.id, queues: queues ?? JOB_KINDS, engine: store.engine })}\n`);
        await stopRequested;
        log('stopping: running jobs are handed back to the queue');
        await running.stop();
      });
    });
}
