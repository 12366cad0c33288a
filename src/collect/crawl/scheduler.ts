import { FetchError } from '../net/socks-http.ts';
import { backoffMs } from './backoff.ts';
import type { CrawlContext } from './context.ts';
import type { FetchedPage } from './fetcher.ts';
import { claimBatch, failEntry, frontierCounts, nextReadyIn, retryLater, type FrontierEntry } from './frontier.ts';
import { handleFetchError } from './error-handler.ts';
import { handlePage, type PageInCommit } from './request-handler.ts';
import { frontPage } from './defences/front.ts';
import { StopCrawl } from './types.ts';

/**
 * One frontier entry: fetch it, then hand the page to the request handler or the failure to the error handler.
 * A captured page comes back while its group commit runs (`PageInCommit`).
 */
async function processEntry(ctx: CrawlContext, entry: FrontierEntry): Promise<PageInCommit | void> {
  const generation = ctx.login.generation;
  const url = ctx.mirrors.route(entry.url);
  if (url === undefined) {
    await failEntry(ctx.db, entry.id, `refused: ${new URL(entry.url).host} is not in the market's signed mirror list`);
    return;
  }
  let page: FetchedPage;
  try {
    page = await ctx.fetcher.fetch(url);
  } catch (err) {
    if (err instanceof FetchError) return handleFetchError(ctx, entry, err);
    throw err;
  }
  ctx.health.consecutiveUnreachable = 0;
  ctx.health.consecutiveProxyFailures = 0;
  if (frontPage(page)) {
    // The anti-DDoS front answered instead of the market: preserve it, pass the front, fetch the URL again.
    await ctx.capture.record(page);
    await ctx.front.pass(page);
    await retryLater(ctx.db, entry.id, 0, null, false);
    return;
  }
  return handlePage(ctx, entry, page, generation);
}

/**
 * How long an idle worker waits while pages of its own process are in flight before it asks the database again
 * (for work other processes queued, or a delay that ended, while this process's pages are slow).
 */
const LOCAL_IDLE_MS = 500;

export interface SchedulerResult {
  /** Why the crawl ended early (seized, down, CAPTCHA pause…); undefined when the frontier ran dry or it was aborted. */
  stop?: StopCrawl;
  /** An unexpected error (the crawl job is marked failed and the error rethrown). */
  failure?: unknown;
}

/**
 * The job loop: `concurrency` workers claim ready frontier entries (durably, SKIP LOCKED, so workers in other
 * processes can share the frontier) until it is empty, the crawl is stopped or the signal aborts. Idle workers
 * wait for a page of this process to finish (it may have queued links) or, with none in flight, until the next
 * entry's backoff ends; either wait is bounded, so work queued by other processes is seen within LOCAL_IDLE_MS / 2 s.
 */
export async function runScheduler(ctx: CrawlContext): Promise<SchedulerResult> {
  const { db, jobId, settings } = ctx;
  const signal = ctx.options.signal;
  let stop: StopCrawl | undefined;
  // Workers that ask for work together (a group commit frees them together) are served by one claim statement for
  // as many entries as there are waiting workers: never more, so a claim is always a page in flight (after a kill,
  // at most two requeued entries per worker: the one it fetches and its previous page, still being committed).
  // Mostly the group commit itself has claimed them, one per page it committed (`ClaimsInCommit`): each of those
  // pages' workers asks for its next entry once its page has committed.
  const held: FrontierEntry[] = [];
  let claiming: Promise<boolean> | undefined;
  let waiting = 0;
  async function next(): Promise<FrontierEntry | undefined> {
    for (;;) {
      const entry = held.shift();
      if (entry) return entry;
      claiming ??= (async () => {
        await new Promise((r) => setImmediate(r)); // let the other workers of this burst queue up
        const want = Math.max(1, waiting);
        const rows = await claimBatch(db, jobId, ctx.workerId, settings.leaseMs, want);
        held.push(...rows);
        return rows.length === want;
      })().finally(() => {
        claiming = undefined;
      });
      waiting++;
      let full: boolean;
      try {
        full = await claiming;
      } finally {
        waiting--;
      }
      const mine = held.shift();
      if (mine || !full) return mine;
    }
  }

  // Idle workers wait to be woken by this process's own pages (a finished page may have queued links or given its
  // entry back) instead of polling the database; a bounded timer covers what only the database knows (entries
  // other processes queue, backoff and politeness delays ending).
  let inFlight = 0;
  const idle = new Set<() => void>();
  function wakeIdle(): void {
    for (const wake of [...idle]) wake();
  }
  function idleWait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(t);
        idle.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      idle.add(wake);
      if (signal?.aborted) wake();
    });
  }
  // One abort listener for all idle waits (one per wait would pile up listeners on the crawl's signal).
  signal?.addEventListener('abort', wakeIdle, { once: true });

  /** What a page's failure means: the crawl stops (`StopCrawl`: the entry goes back to the queue) or fails. */
  async function pageFailed(entry: FrontierEntry, err: unknown): Promise<void> {
    if (err instanceof StopCrawl) {
      stop ??= err;
      const row = await db.selectFrom('crawl_frontier').select('state').where('id', '=', entry.id).executeTakeFirst();
      if (row?.state === 'claimed') await retryLater(db, entry.id, 0, null, false);
      return;
    }
    await retryLater(db, entry.id, backoffMs(entry.attempts, settings.baseMs, settings.maxMs), `internal: ${(err as Error).message}`).catch(() => undefined);
    throw err;
  }

  /** A page leaves the worker's hands: idle workers wake (it may have queued links or given its entry back). */
  function pageDone(): void {
    inFlight--;
    wakeIdle();
  }

  async function worker(): Promise<void> {
    // The worker's last page handed to the recorder, still being committed: the worker fetches its next page
    // meanwhile; once it has handed that one over too, it waits for the earlier one (at most two pages in flight).
    let committing: Promise<void> | undefined;
    try {
      while (!stop && !signal?.aborted) {
        const entry = await next();
        if (!entry) {
          // Pages of this process still in flight: the frontier is only momentarily empty, wait for one of them.
          if (inFlight > 0) {
            await idleWait(LOCAL_IDLE_MS);
            continue;
          }
          const counts = await frontierCounts(db, jobId);
          if (counts.queued === 0 && counts.claimed === 0) return;
          const wait = (await nextReadyIn(db, jobId)) ?? 200;
          await idleWait(Math.min(Math.max(wait, 20), 2000));
          continue;
        }
        inFlight++;
        let inCommit: PageInCommit | void;
        try {
          inCommit = await processEntry(ctx, entry);
        } catch (err) {
          pageDone();
          await pageFailed(entry, err);
          return;
        }
        if (!inCommit) {
          pageDone();
          continue;
        }
        const earlier = committing;
        committing = inCommit.committed.then(
          () => pageDone(),
          async (err: unknown) => {
            pageDone();
            await pageFailed(entry, err);
          },
        );
        committing.catch(() => undefined); // thrown where it is awaited, not as an unhandled rejection meanwhile
        await earlier;
      }
    } finally {
      await committing;
    }
  }

  try {
    // Log in up front when the account has no session yet (saves a redirect per worker).
    const { account, market } = ctx;
    try {
      await ctx.mirrors.prepare();
    } catch (err) {
      if (err instanceof StopCrawl) stop = err;
      else throw err;
    }
    if (!stop && account && market.login_path && Object.keys(account.cookies ?? {}).length === 0) {
      try {
        await ctx.login.ensure(ctx.login.generation);
      } catch (err) {
        if (err instanceof StopCrawl) stop = err;
        else if (err instanceof FetchError && err.kind === 'unreachable') stop = new StopCrawl('down', err.message);
        else if (err instanceof FetchError && err.kind === 'proxy-unavailable') stop = new StopCrawl('proxy-unavailable', err.message);
        else throw err;
      }
    }
    if (!stop) {
      ctx.frontierWork.claims = {
        workerId: ctx.workerId,
        leaseMs: settings.leaseMs,
        want: (pages) => (stop || signal?.aborted ? 0 : pages),
        take: (entries) => {
          held.push(...entries);
          wakeIdle();
        },
      };
      const results = await Promise.allSettled(Array.from({ length: settings.concurrency }, () => worker()));
      // Claimed for a worker that stopped before taking it: back to the queue, the claim's attempt undone.
      for (const e of held.splice(0)) await retryLater(db, e.id, 0, null, false);
      const rejected = results.find((r) => r.status === 'rejected');
      if (rejected) return { stop, failure: (rejected as PromiseRejectedResult).reason };
    }
    return { stop };
  } catch (err) {
    return { stop, failure: err };
  } finally {
    ctx.frontierWork.claims = undefined;
    signal?.removeEventListener('abort', wakeIdle);
  }
}
