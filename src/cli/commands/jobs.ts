import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { JOB_KINDS, JobError, PgJobQueue, isJobKind, type JobQueue, type JobState, type JobStatus } from '../../jobs/index.ts';
import type { Store } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

async function withQueue<T>(cmd: Command, fn: (q: JobQueue, store: Store) => Promise<T>): Promise<T> {
  return withStore(cmd, async (store) => {
    const q = await PgJobQueue.open(store.db);
    try {
      return await fn(q, store);
    } catch (err) {
      if (err instanceof JobError) throw new UserError(err.message);
      throw err;
    } finally {
      await q.close();
    }
  });
}

function progressText(j: JobStatus): string {
  const p = j.progress;
  if (p.done === undefined) return '';
  return `${p.done}${p.total !== undefined ? `/${p.total}` : ''}${p.unit ? ` ${p.unit}` : ''}`;
}

function jobText(j: JobStatus): string {
  return [
    `job ${j.id} (${j.kind}): ${j.state}${j.control ? ` (${j.control} requested)` : ''}`,
    `  payload ${JSON.stringify(j.payload)}`,
    `  attempts ${j.attempts}; worker ${j.workerId ?? '-'}; progress ${progressText(j) || '-'}${j.progress.message ? ` ${j.progress.message}` : ''}`,
    ...(j.error ? [`  error: ${j.error}`] : []),
    ...(j.result !== null ? [`  result: ${JSON.stringify(j.result).slice(0, 500)}`] : []),
  ].join('\n');
}

const actor = () => `cli:${userInfo().username}`;

export function register(program: Command): void {
  const jobs = program.command('jobs').description('the job queue: enqueue work for `darkpatrol worker` processes, follow and control it');

  jobs
    .command('enqueue <kind>')
    .description(`queue a job (${JOB_KINDS.join(', ')}); the payload is JSON, e.g. crawl '{"market":"alpha"}'`)
    .requiredOption('--agency <code>', 'the agency the job works for')
    .option('--payload <json>', 'the job payload (see docs/collect.md)', '{}')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, o: { agency: string; payload: string; json?: boolean }, cmd: Command) => {
      if (!isJobKind(kind)) throw new UserError(`unknown job kind ${kind} (one of ${JOB_KINDS.join(', ')})`);
      let payload: unknown;
      try {
        payload = JSON.parse(o.payload);
      } catch {
        throw new UserError('--payload must be JSON');
      }
      await withQueue(cmd, async (q, store) => {
        const a = await store.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
        if (!a) throw new UserError(`no agency ${o.agency}`);
        const j = await q.enqueue(kind, payload as never, { agencyId: a.id, requestedBy: actor() });
        emit(o.json ?? false, j, () => `queued ${j.kind} job ${j.id}`);
      });
    });

  jobs
    .command('list')
    .description('jobs, newest first')
    .option('--kind <kind>', 'only this kind')
    .option('--state <state...>', 'only these states')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action(async (o: { kind?: string; state?: string[]; limit: string; json?: boolean }, cmd: Command) => {
      if (o.kind && !isJobKind(o.kind)) throw new UserError(`unknown job kind ${o.kind}`);
      await withQueue(cmd, async (q) => {
        const rows = await q.list({ kind: o.kind as JobStatus['kind'] | undefined, states: o.state as JobState[] | undefined, limit: Number(o.limit) });
        emit(o.json ?? false, rows, () => table(['job', 'kind', 'state', 'attempts', 'progress', 'created'], rows.map((j) => [j.id, j.kind, j.state, j.attempts, progressText(j), j.createdAt.toISOString()])));
      });
    });

  jobs
    .command('show <id>')
    .description('one job with its progress, error and result')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
      await withQueue(cmd, async (q) => {
        const j = await q.get(id);
        if (!j) throw new UserError(`no job ${id}`);
        emit(o.json ?? false, j, () => jobText(j));
      });
    });

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    jobs
      .command(`${action} <id>`)
      .description({ cancel: 'cancel a job (a running one stops within seconds)', pause: 'pause a crawl job resumably', resume: 'queue a paused or failed job again' }[action])
      .option('--json', 'machine-readable output')
      .action(async (id: string, o: { json?: boolean }, cmd: Command) => {
        await withQueue(cmd, async (q) => {
          const j = await q[action](id, actor());
          emit(o.json ?? false, j, () => jobText(j));
        });
      });
  }

  jobs
    .command('workers')
    .description('worker processes and their heartbeat')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withQueue(cmd, async (q) => {
        const ws = await q.workers();
        emit(o.json ?? false, ws, () => table(['worker', 'queues', 'heartbeat', 'stopped', 'running'], ws.map((w) => [w.id, w.queues.join(','), w.heartbeatAt.toISOString(), w.stoppedAt?.toISOString() ?? '', w.running.length])));
      });
    });
}
