import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { RecordedCapture } from '../../evidence/index.ts';
import type { SocksResponse } from '../net/socks-http.ts';
import type { PageAnalyser } from './analyser.ts';
import type { CaptureWriter } from './capture.ts';
import type { PageFetcher } from './fetcher.ts';
import type { CrawlHooks, CrawlRequestInit, HookContext } from './hooks.ts';
import type { LoginFlow } from './login.ts';
import type { FrontGate } from './defences/front.ts';
import type { MirrorGuard } from './defences/mirrors.ts';
import { frontierCounts, type FrontierCompletions, type FrontierSize } from './frontier.ts';
import type { CrawlAccount, CrawlMarket } from './market.ts';
import type { CrawlOptions, CrawlStats } from './types.ts';

/** The effective limits of one crawl run (options over the market's configuration over defaults). */
export interface CrawlSettings {
  delayMs: number;
  concurrency: number;
  maxPages: number;
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
  timeoutMs: number;
  /** How long a frontier claim holds before another worker may take the URL. */
  leaseMs: number;
}

export function crawlSettings(options: CrawlOptions, market: CrawlMarket): CrawlSettings {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    delayMs: options.delayMs ?? market.delay_ms,
    concurrency: options.concurrency ?? market.concurrency,
    maxPages: options.maxPages ?? market.max_pages,
    maxAttempts: options.retry?.maxAttempts ?? 6,
    baseMs: options.retry?.baseMs ?? 1000,
    maxMs: options.retry?.maxMs ?? 60_000,
    timeoutMs,
    leaseMs: Math.max(timeoutMs * 3, 120_000),
  };
}

/** Everything the scheduler, the request handler, the error handler and the login flow of one crawl share. */
export interface CrawlContext {
  db: Kysely<Database>;
  options: CrawlOptions;
  market: CrawlMarket;
  account: CrawlAccount | undefined;
  jobId: string;
  workerId: string;
  settings: CrawlSettings;
  stats: CrawlStats;
  fetcher: PageFetcher;
  capture: CaptureWriter;
  /** Reads pages for links, forms and banners, off the event loop when they are large, with a deadline. */
  analyser: PageAnalyser;
  login: LoginFlow;
  /** Passes the market's anti-DDoS front (queue, CAPTCHA hand-off). */
  front: FrontGate;
  /** Which onions are the market's (its signed mirror list) and may receive cookies and credentials. */
  mirrors: MirrorGuard;
  inScope: (url: string) => boolean;
  /** The job's frontier size for the max-pages limit (kept incrementally, read exactly now and then). */
  frontierSize: FrontierSize;
  /** Pages' frontier completions and enqueues, done per group commit in its transaction. */
  frontierWork: FrontierCompletions;
  hooks: CrawlHooks;
  hookContext: HookContext;
  /**
   * Consecutive "host unreachable" answers (three in a row: the market is down) and consecutive failures to use
   * the proxy itself (three in a row, or before the first page: the crawl stops, it never goes around the proxy).
   */
  health: { consecutiveUnreachable: number; consecutiveProxyFailures: number };
}

/** Fetches and preserves at once (login-flow requests: they are not frontier entries). */
export async function fetchAndRecord(ctx: Pick<CrawlContext, 'fetcher' | 'capture'>, url: string, init: CrawlRequestInit = {}): Promise<{ res: SocksResponse; capture: RecordedCapture }> {
  const page = await ctx.fetcher.fetch(url, init);
  return { res: page.res, capture: await ctx.capture.record(page) };
}

/**
 * Reports the crawl's progress (pages done, frontier queue, errors by kind) after a page or a failed fetch; a
 * worker passes it on to the job's progress, the CLI to its progress bar.
 */
export async function reportProgress(ctx: Pick<CrawlContext, 'db' | 'options' | 'jobId' | 'stats'>, lastUrl: string, lastStatus?: number): Promise<void> {
  if (!ctx.options.onProgress) return;
  const counts = await frontierCounts(ctx.db, ctx.jobId);
  ctx.options.onProgress({ jobId: ctx.jobId, fetched: counts.done + counts.failed, queued: counts.queued + counts.claimed, total: counts.total, bytes: ctx.stats.bytes, errors: { ...ctx.stats.errors }, lastUrl, ...(lastStatus !== undefined ? { lastStatus } : {}) });
}
