import { z } from 'zod';
import { checkCrawlRequest, CrawlConfigError } from '../../collect/index.ts';
import { JOB_KINDS, JOB_PAYLOADS, JobError, PgJobQueue, jobCounts, type JobQueue, type JobStatus } from '../../jobs/index.ts';
import { ACCESS } from '../access/policy.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import type { RouteContext } from '../types.ts';
import { who } from './common.ts';

const jobId = z.object({ id: z.string().uuid() });
const states = z.enum(['queued', 'running', 'retrying', 'paused', 'completed', 'failed', 'cancelled']);

/** The console's view of a job (its agency's own; payloads carry no secrets: infrastructure is the worker's). */
function view(j: JobStatus) {
  return { ...j, createdAt: j.createdAt.toISOString(), startedAt: j.startedAt?.toISOString() ?? null, finishedAt: j.finishedAt?.toISOString() ?? null, updatedAt: j.updatedAt.toISOString() };
}

/**
 * A crawl job is refused when queued if its market is not the agency's, a start URL is not on the market's own
 * hosts, or its case is closed or another agency's (the worker checks again when it runs).
 */
async function checkCrawlJob(db: RouteContext['opts']['store']['db'], agencyId: number, payload: unknown): Promise<void> {
  const parsed = JOB_PAYLOADS.crawl.safeParse(payload);
  if (!parsed.success || parsed.data.resumeCrawlJob) return; // the queue reports a malformed payload; a resume keeps its own
  const c = parsed.data;
  try {
    await checkCrawlRequest(db, { market: c.market, agencyId, caseId: c.caseId, caseRef: c.caseRef, startUrls: c.startUrls });
  } catch (e) {
    if (e instanceof CrawlConfigError) throw badRequest(e.message);
    throw e;
  }
}

/**
 * Jobs of the caller's agency: enqueue (crawl a market, extract, import a file, re-link, a report, a federation
 * sync), list with progress, cancel, pause and resume a crawl. Workers (`darkpatrol worker`, or the server itself
 * on the embedded database) run them.
 */
export function register({ app, opts }: RouteContext): void {
  let opened: Promise<JobQueue> | undefined;
  const queue = (): Promise<JobQueue> => {
    if (opts.jobs === null) throw new ApiError(503, 'no_job_queue', 'this server runs no job queue');
    if (opts.jobs) return Promise.resolve(opts.jobs);
    opened ??= PgJobQueue.open(opts.store.db);
    return opened;
  };
  app.addHook('onClose', async () => {
    if (opened) await (await opened).close();
  });
  const own = async (id: string, agencyId: number) => {
    const j = await (await queue()).get(id);
    if (!j || j.agencyId !== agencyId) throw notFound('job', id);
    return j;
  };
  const clear = <T>(fn: () => Promise<T>) =>
    fn().catch((e: unknown) => {
      if (e instanceof JobError) throw /^no job/.test(e.message) ? notFound('job', '') : /invalid/.test(e.message) ? badRequest(e.message) : conflict(e.message);
      throw e;
    });

  app.get(
    '/jobs',
    {
      config: { access: { ...ACCESS.intelRead, audit: 'job.list' } },
      schema: {
        tags: ['jobs'],
        summary: "The agency's jobs, newest first, with progress; counts by state",
        querystring: z.object({ kind: z.enum(JOB_KINDS as [string, ...string[]]).optional(), state: z.union([states, z.array(states)]).optional(), before: z.string().uuid().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      },
    },
    async (req) => {
      const p = who(req.principal);
      const q = await queue();
      const stateList = req.query.state === undefined ? undefined : Array.isArray(req.query.state) ? req.query.state : [req.query.state];
      const items = await q.list({ agencyId: p.agencyId, kind: req.query.kind as JobStatus['kind'] | undefined, states: stateList, before: req.query.before, limit: req.query.limit });
      return { items: items.map(view), counts: await jobCounts(opts.store.db, p.agencyId) };
    },
  );

  app.get('/jobs/workers', { config: { access: { ...ACCESS.intelRead, audit: 'job.workers' } }, schema: { tags: ['jobs'], summary: 'Worker processes and their liveness (heartbeat)' } }, async () => {
    const workers = await (await queue()).workers();
    return { items: workers.map((w) => ({ ...w, startedAt: w.startedAt.toISOString(), heartbeatAt: w.heartbeatAt.toISOString(), stoppedAt: w.stoppedAt?.toISOString() ?? null })) };
  });

  app.get('/jobs/:id', { config: { access: { ...ACCESS.intelRead, audit: 'job.read' } }, schema: { tags: ['jobs'], summary: 'One job with its progress and result', params: jobId } }, async (req) => view(await own(req.params.id, who(req.principal).agencyId)));

  app.post(
    '/jobs',
    {
      config: { access: { ...ACCESS.intelWrite, audit: 'job.enqueue' } },
      schema: {
        tags: ['jobs'],
        summary: 'Queue a job for the workers (payload per kind; see the job kinds in docs/collect.md), now or from startAfter',
        body: z.object({ kind: z.enum(JOB_KINDS as [string, ...string[]]), payload: z.record(z.string(), z.unknown()).default({}), startAfter: z.string().datetime({ offset: true }).optional() }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const kind = req.body.kind as keyof typeof JOB_PAYLOADS;
      if (kind === 'crawl') await checkCrawlJob(opts.store.db, p.agencyId, req.body.payload);
      const job = await clear(async () => (await queue()).enqueue(kind, req.body.payload as never, { agencyId: p.agencyId, requestedBy: p.actor, ...(req.body.startAfter ? { startAfter: new Date(req.body.startAfter) } : {}) }));
      req.auditObject = { type: 'job', id: job.id, detail: { kind } };
      return reply.code(202).send(view(job));
    },
  );

  for (const action of ['cancel', 'pause', 'resume'] as const) {
    app.post(
      `/jobs/:id/${action}`,
      { config: { access: { ...ACCESS.intelWrite, audit: `job.${action}` } }, schema: { tags: ['jobs'], summary: { cancel: 'Cancel a job (a running one stops within seconds)', pause: 'Pause a crawl resumably', resume: 'Queue a paused or failed job again' }[action], params: jobId } },
      async (req) => {
        const p = who(req.principal);
        await own(req.params.id, p.agencyId);
        req.auditObject = { type: 'job', id: req.params.id };
        return view(await clear(async () => (await queue())[action](req.params.id, p.actor)));
      },
    );
  }
}
