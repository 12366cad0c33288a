import { reportProgress, type CrawlContext } from './context.ts';
import type { FetchedPage } from './fetcher.ts';
import { failEntry, retryLater, type FrontierEntry } from './frontier.ts';
import { handleHttpFailure } from './error-handler.ts';
import { observeMarket } from './lifecycle.ts';
import { loginUrl } from './market.ts';
import { MAX_NESTING } from './page.ts';
import { StopCrawl } from './types.ts';

/** A page that sent the crawl to the login form: it is preserved, and fetched again after logging in. */
async function sessionLost(ctx: CrawlContext, entry: FrontierEntry, page: FetchedPage, generation: number): Promise<void> {
  await ctx.capture.record(page);
  await retryLater(ctx.db, entry.id, 0, null, false);
  await ctx.login.ensure(generation);
}

/** An interstitial a hook recognised: preserved; fetched again (each time counts as an attempt) or the crawl stops. */
async function interstitial(ctx: CrawlContext, entry: FrontierEntry, page: FetchedPage): Promise<boolean> {
  const decision = await ctx.hooks.interstitial?.({ url: entry.url, res: page.res }, ctx.hookContext);
  if (!decision) return false;
  await ctx.capture.record(page);
  if (decision.action === 'stop') {
    await retryLater(ctx.db, entry.id, 0, decision.reason, false);
    throw new StopCrawl(decision.outcome, decision.reason);
  }
  if (entry.attempts >= ctx.settings.maxAttempts) await failEntry(ctx.db, entry.id, `interstitial: ${decision.reason}`, page.res.status);
  else await retryLater(ctx.db, entry.id, decision.action === 'retry' ? decision.afterMs : 0, `interstitial: ${decision.reason}`);
  return true;
}

/** A page handed to the evidence recorder: `committed` settles once its capture (and its entry's completion) commits. */
export interface PageInCommit {
  committed: Promise<void>;
}

/**
 * What a fetched page leads to: a redirect is followed (to the login form: log in again), 429/5xx go to the
 * error handler, a seizure banner ends the crawl, a login form where content was expected means the session is
 * gone, and anything else is recorded with its in-scope links queued, in the capture's own transaction: that page
 * is returned while its group commit is still running (the worker may fetch its next page meanwhile).
 * `generation` is the login session the page was fetched with.
 */
export async function handlePage(ctx: CrawlContext, entry: FrontierEntry, page: FetchedPage, generation: number): Promise<PageInCommit | void> {
  const { db, market, stats } = ctx;
  const { res } = page;
  if (ctx.hooks.interstitial && (await interstitial(ctx, entry, page))) return;
  const location = res.headers.location;
  const isHtml = /html/i.test(res.headers['content-type'] ?? '');
  const loginPathname = new URL(loginUrl(market)).pathname;
  let links: string[] = [];
  /** What the crawler could not do with the page: written to its WARC metadata and its frontier entry. */
  const notes: string[] = [];
  if (res.status >= 300 && res.status < 400 && location) {
    const target = new URL(location, page.url);
    if (target.pathname === loginPathname) return sessionLost(ctx, entry, page, generation);
    links = [target.toString()];
  } else if (res.status === 429 || res.status >= 500) {
    const capture = await ctx.capture.record(page);
    return handleHttpFailure(ctx, entry, page, capture);
  } else if (isHtml) {
    const analysis = await ctx.analyser.analyse(res.body, page.url, market.login_fields ?? undefined);
    if (analysis.limited) notes.push(analysis.limited);
    if (analysis.nesting > MAX_NESTING) notes.push(`element nesting ${analysis.nesting} is over ${MAX_NESTING}`);
    if (analysis.seized) {
      const capture = await ctx.capture.record(page, { work: ctx.frontierWork, item: { id: entry.id, httpStatus: res.status, note: null, links: [], depth: entry.depth + 1 } });
      await observeMarket(db, market.id, 'seized', { captureId: capture.captureId, detail: `seizure banner at ${entry.url}` });
      throw new StopCrawl('seized', `seizure banner at ${entry.url}`);
    }
    if (analysis.login && new URL(page.url).pathname !== loginPathname) return sessionLost(ctx, entry, page, generation);
    links = analysis.links;
  }
  const follow = entry.depth < market.max_depth ? links.filter(ctx.inScope) : [];
  const note = notes.length ? notes.join('; ') : null;
  // The entry's completion and its links' enqueue: with the other pages of its group commit, one statement.
  const recorded = ctx.capture.record(
    page,
    { work: ctx.frontierWork, item: { id: entry.id, httpStatus: res.status, note, links: follow, depth: entry.depth + 1 } },
    note ? { 'crawler-note': note } : undefined,
  );
  const committed = recorded.then(async (capture) => {
    if (stats.pages === 0) await observeMarket(db, market.id, 'up', { captureId: capture.captureId });
    stats.pages++;
    await reportProgress(ctx, entry.url, res.status);
  });
  return { committed };
}
