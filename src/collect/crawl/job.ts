import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type Database } from '../../store/index.ts';
import { enqueue, frontierCounts, requeueOrphans } from './frontier.ts';
import { observeMarket } from './lifecycle.ts';
import type { CrawlAccount, CrawlMarket } from './market.ts';
import { CrawlConfigError, type CrawlOutcome, type CrawlStats, type CrawlSummary, type StopCrawl } from './types.ts';

/**
 * Resumes a crawl job (dead workers' claims go back to the queue) or starts a new one from the market's start
 * URLs (or the start URLs given for this crawl, checked by seeds.ts). Returns the job id and how many claims were requeued.
 */
export async function openCrawlJob(
  db: Kysely<Database>,
  p: { market: CrawlMarket; account: CrawlAccount | undefined; jobId?: string; caseId?: number; startUrls?: readonly string[]; proxyLabel: string },
): Promise<{ jobId: string; requeued: number }> {
  const { market } = p;
  if (p.jobId) {
    const job = await db.selectFrom('crawl_jobs').selectAll().where('id', '=', p.jobId).executeTakeFirst();
    if (!job) throw new CrawlConfigError(`no crawl job ${p.jobId}`);
    if (job.market_id !== market.id) throw new CrawlConfigError(`job ${p.jobId} belongs to another market`);
    const requeued = await requeueOrphans(db, p.jobId);
    await db.updateTable('crawl_jobs').set({ status: 'running', finished_at: null }).where('id', '=', p.jobId).execute();
    return { jobId: p.jobId, requeued };
  }
  const id = randomUUID();
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('crawl_jobs').values({ id, market_id: market.id, account_id: p.account?.id ?? null, case_id: p.caseId ?? null }).execute();
    await enqueue(trx, id, p.startUrls ?? market.start_urls, 0);
  });
  await appendAudit(db, { agencyId: market.agency_id, userId: null, actor: 'system:crawler', action: 'crawl.start', objectType: 'market', objectId: String(market.id), detail: { job: id, proxy: p.proxyLabel, ...(p.caseId !== undefined ? { case: p.caseId } : {}), ...(p.startUrls ? { startUrls: p.startUrls } : {}) } });
  return { jobId: id, requeued: 0 };
}

/**
 * Ends a crawl run: the market's lifecycle (down), the job's status and summary, the next scheduled re-crawl and
 * the audit entry. A paused job (CAPTCHA, stop) stays resumable.
 */
export async function closeCrawlJob(
  db: Kysely<Database>,
  p: { market: CrawlMarket; jobId: string; stats: CrawlStats; frontsPassed?: number; stop: StopCrawl | undefined; failed: boolean; aborted: boolean; requeued: number; started: number; proxyUsername: string },
): Promise<CrawlSummary> {
  const { market, jobId, stats, stop } = p;
  if (stop?.outcome === 'down') await observeMarket(db, market.id, 'down', { detail: stop.message });
  const counts = await frontierCounts(db, jobId);
  const outcome: CrawlOutcome = stop?.outcome ?? (p.aborted ? 'stopped' : 'done');
  const summary: CrawlSummary = {
    jobId,
    market: market.slug,
    outcome,
    pages: stats.pages,
    bytes: stats.bytes,
    requests: stats.requests,
    retries: stats.retries,
    logins: stats.logins,
    captchasParked: stats.captchas,
    antiDdosPassed: p.frontsPassed ?? 0,
    twoFactorAnswered: stats.twoFactor ?? 0,
    errors: stats.errors,
    lastErrors: stats.lastErrors,
    ...(stop ? { stopReason: stop.message } : {}),
    frontier: { queued: counts.queued + counts.claimed, done: counts.done, failed: counts.failed, total: counts.total },
    requeuedOnResume: p.requeued,
    durationMs: Date.now() - p.started,
    proxyUsername: p.proxyUsername,
  };
  const status = p.failed ? 'failed' : outcome === 'done' || outcome === 'seized' || outcome === 'down' ? 'done' : 'paused';
  await db.updateTable('crawl_jobs').set({ status, finished_at: status === 'paused' ? null : new Date(), stats: JSON.stringify(summary) }).where('id', '=', jobId).execute();
  if (market.recrawl_minutes && status !== 'paused') {
    await db.updateTable('crawl_markets').set({ next_crawl_at: new Date(Date.now() + market.recrawl_minutes * 60_000) }).where('market_id', '=', market.id).execute();
  }
  await appendAudit(db, { agencyId: market.agency_id, userId: null, actor: 'system:crawler', action: 'crawl.finish', objectType: 'market', objectId: String(market.id), detail: { job: jobId, outcome, pages: stats.pages } });
  return summary;
}
