import type { RecordedCapture } from '../../evidence/index.ts';
import { FetchError, type FetchErrorKind, type SocksResponse } from '../net/socks-http.ts';
import { backoffMs, retryAfterSeconds } from './backoff.ts';
import { fetchAndRecord, reportProgress, type CrawlContext } from './context.ts';
import type { FetchedPage } from './fetcher.ts';
import { failEntry, retryLater, type FrontierEntry } from './frontier.ts';
import { observeMarket } from './lifecycle.ts';
import { frontPage } from './defences/front.ts';
import { StopCrawl, countError, sleep } from './types.ts';

/** What becomes of a frontier entry whose fetch failed. */
export type FailureDecision =
  | { action: 'retry' } // later, with backoff, counting the attempt
  | { action: 'fail' } // give up on this URL
  | { action: 'stop'; outcome: 'down' | 'proxy-unavailable' }; // give up for now (the URL stays queued)

/** Failures that another attempt cannot cure. */
const PERMANENT: ReadonlySet<FetchErrorKind> = new Set(['refused', 'too-large', 'protocol']);

/**
 * Where a failure is decided, before any response: a proxy that cannot be used (three times in a row, or before
 * the first page) stops the crawl — it is our failure, not the market's, and the crawler never goes around the
 * proxy; `unreachable` three times in a row (or before the first page) means the market is down; refusals,
 * oversize and non-HTTP answers are final; everything else is retried until the attempts run out.
 */
export function decideFetchFailure(f: { kind: FetchErrorKind; attempts: number; maxAttempts: number; pagesSoFar: number; consecutiveUnreachable: number; consecutiveProxyFailures?: number }): FailureDecision {
  if (f.kind === 'proxy-unavailable' && ((f.consecutiveProxyFailures ?? 1) >= 3 || f.pagesSoFar === 0)) return { action: 'stop', outcome: 'proxy-unavailable' };
  if (f.kind === 'unreachable' && (f.consecutiveUnreachable >= 3 || f.pagesSoFar === 0)) return { action: 'stop', outcome: 'down' };
  if (PERMANENT.has(f.kind) || f.attempts >= f.maxAttempts) return { action: 'fail' };
  return { action: 'retry' };
}

/** A frontier entry's fetch threw a FetchError: count it, then retry, fail or stop the crawl. */
export async function handleFetchError(ctx: CrawlContext, entry: FrontierEntry, err: FetchError): Promise<void> {
  const { db, settings, stats } = ctx;
  countError(stats, err.kind, err.message);
  if (err.kind === 'unreachable') ctx.health.consecutiveUnreachable++;
  if (err.kind === 'proxy-unavailable') ctx.health.consecutiveProxyFailures++;
  const decision = decideFetchFailure({ kind: err.kind, attempts: entry.attempts, maxAttempts: settings.maxAttempts, pagesSoFar: stats.pages, consecutiveUnreachable: ctx.health.consecutiveUnreachable, consecutiveProxyFailures: ctx.health.consecutiveProxyFailures });
  if (decision.action === 'stop') {
    await retryLater(db, entry.id, 0, err.message, false);
    throw new StopCrawl(decision.outcome, err.message);
  }
  if (decision.action === 'fail') await failEntry(db, entry.id, `${err.kind}: ${err.message}`);
  else {
    stats.retries++;
    await retryLater(db, entry.id, backoffMs(entry.attempts, settings.baseMs, settings.maxMs), `${err.kind}: ${err.message}`);
  }
  await reportProgress(ctx, entry.url);
}

async function isMaintenance(ctx: CrawlContext, res: SocksResponse, url: string): Promise<boolean> {
  return res.status === 503 && /html/i.test(res.headers['content-type'] ?? '') && (await ctx.analyser.analyse(res.body, url)).maintenance;
}

/**
 * The market answered 429 or 5xx (the answer is already preserved): a maintenance page stops the crawl and marks
 * the market down; otherwise the URL is retried after the backoff (at least Retry-After; a 429 holds the whole
 * host that long) until its attempts run out.
 */
export async function handleHttpFailure(ctx: CrawlContext, entry: FrontierEntry, page: FetchedPage, capture: RecordedCapture): Promise<void> {
  const { db, settings, stats } = ctx;
  const { res } = page;
  countError(stats, `http-${res.status}`, `HTTP ${res.status} ${res.statusText} at ${entry.url}`);
  if (await isMaintenance(ctx, res, entry.url)) {
    await retryLater(db, entry.id, 0, 'maintenance', false);
    await observeMarket(db, ctx.market.id, 'down', { captureId: capture.captureId, detail: 'maintenance page (HTTP 503)' });
    throw new StopCrawl('down', 'market in maintenance');
  }
  const wait = backoffMs(entry.attempts, settings.baseMs, settings.maxMs, retryAfterSeconds(res.headers['retry-after']));
  if (res.status === 429) ctx.fetcher.holdHost(new URL(entry.url).host, Date.now() + wait);
  if (entry.attempts >= settings.maxAttempts) await failEntry(db, entry.id, `HTTP ${res.status} after ${entry.attempts} attempts`, res.status);
  else {
    stats.retries++;
    await retryLater(db, entry.id, wait, `HTTP ${res.status}`);
  }
  await reportProgress(ctx, entry.url, res.status);
}

/** Login-flow fetches are not frontier entries: transient failures are retried in place, with the same policy. */
export async function fetchWithRetry(ctx: CrawlContext, url: string): Promise<{ res: SocksResponse; capture: RecordedCapture }> {
  const { settings, stats } = ctx;
  for (let attempt = 1; ; attempt++) {
    try {
      let r = await fetchAndRecord(ctx, url);
      for (let passes = 0; frontPage({ url, res: r.res }) && passes < 3; passes++) {
        await ctx.front.pass({ url, res: r.res, fetchedAt: new Date() });
        r = await fetchAndRecord(ctx, url);
      }
      if ((r.res.status === 429 || r.res.status >= 500) && attempt < settings.maxAttempts) {
        stats.retries++;
        countError(stats, `http-${r.res.status}`);
        if (r.res.status === 503 && (await ctx.analyser.analyse(r.res.body, url)).maintenance) throw new StopCrawl('down', 'market in maintenance');
        await sleep(backoffMs(attempt, settings.baseMs, settings.maxMs, retryAfterSeconds(r.res.headers['retry-after'])), ctx.options.signal);
        continue;
      }
      return r;
    } catch (err) {
      if (!(err instanceof FetchError)) throw err;
      countError(stats, err.kind, err.message);
      if (err.kind === 'proxy-unavailable' && (++ctx.health.consecutiveProxyFailures >= 3 || stats.pages === 0)) throw new StopCrawl('proxy-unavailable', err.message);
      if (attempt >= settings.maxAttempts || err.kind === 'refused') throw err;
      stats.retries++;
      if (err.kind === 'unreachable' && ++ctx.health.consecutiveUnreachable >= 3) throw new StopCrawl('down', err.message);
      await sleep(backoffMs(attempt, settings.baseMs, settings.maxMs), ctx.options.signal);
    }
  }
}
