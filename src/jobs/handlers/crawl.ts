import { runCrawl } from '../../collect/index.ts';
import type { JobHandler } from '../types.ts';
import { requireAgency, type WorkerEnv } from './env.ts';

/**
 * Crawls a market. The crawl job id is checkpointed as soon as it exists, so a retry after a dead worker (or a
 * pause) resumes the same frontier: nothing captured twice, nothing lost. A CAPTCHA pauses the job until a human
 * solves it (the worker's tick re-queues it then); a pause request or a worker shutdown stops it resumably.
 */
export function crawlHandler(env: WorkerEnv): JobHandler<'crawl'> {
  return async (p, ctx) => {
    const agencyId = requireAgency(ctx.agencyId, 'crawl');
    const summary = await runCrawl({
      db: env.store.db,
      evidenceDir: env.evidenceDir,
      proxy: env.proxy,
      market: p.market,
      agencyId,
      jobId: (ctx.checkpoint.crawlJobId as string | undefined) ?? p.resumeCrawlJob,
      account: p.account,
      caseId: p.caseId,
      caseRef: p.caseRef,
      startUrls: p.startUrls,
      maxPages: p.maxPages,
      ...env.crawl,
      captcha: { wait: false },
      signal: ctx.signal,
      workerId: ctx.workerId,
      hooks: env.crawlHooks,
      onJobOpened: (crawlJobId) => ctx.saveCheckpoint({ crawlJobId }),
      onProgress: (pr) => ctx.progress({ done: pr.fetched, total: pr.total, unit: 'pages', queued: pr.queued, errors: pr.errors, message: pr.lastUrl }),
    });
    if (summary.outcome === 'paused-captcha') return { state: 'paused', reason: 'waiting for a human to solve a CAPTCHA', result: summary };
    if (summary.outcome === 'stopped') return { state: 'paused', reason: `stopped (${ctx.abortReason() ?? 'signal'})`, result: summary };
    return { state: 'completed', result: summary };
  };
}
