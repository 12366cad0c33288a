import { EvidenceRecorder } from '../../evidence/index.ts';
import { describeProxy, parseProxyUrl, type SocksProxyConfig } from '../net/proxy.ts';
import { PageAnalyser } from './analyser.ts';
import { CaptureWriter } from './capture.ts';
import { crawlSettings, fetchAndRecord, type CrawlContext } from './context.ts';
import { CookieJar } from './cookies.ts';
import { PageFetcher } from './fetcher.ts';
import { FrontierCompletions, FrontierSize, newWorkerId } from './frontier.ts';
import { closeCrawlJob, openCrawlJob } from './job.ts';
import { LoginFlow } from './login.ts';
import { FrontGate } from './defences/front.ts';
import { MirrorGuard } from './defences/mirrors.ts';
import { loadCrawlAccount, loadCrawlMarket } from './market.ts';
import { checkCrawlRequest } from './seeds.ts';
import { runScheduler } from './scheduler.ts';
import { urlScope } from './scope.ts';
import { UndercoverError, useUndercoverAccount } from '../undercover/accounts.ts';
import { Vault, VaultError, vaultPassphrase } from '../undercover/vault.ts';
import { CrawlConfigError, newStats, type CrawlOptions, type CrawlSummary } from './types.ts';

/**
 * Crawls one market through a SOCKS5h proxy into WARC evidence, resumably. See docs/collect.md. The parts:
 * scheduler.ts (the job loop), fetcher.ts (where a page is fetched), request-handler.ts (what a page leads to),
 * capture.ts (where it is recorded), error-handler.ts (where a failure is decided), login.ts (the session).
 */
export async function runCrawl(options: CrawlOptions): Promise<CrawlSummary> {
  const proxy = parseProxyUrl(options.proxy); // throws before anything else when there is no proxy
  const { db } = options;
  const started = Date.now();
  // A new crawl is checked whole (start URLs on the market's hosts, an open case of its agency); a resumed one
  // continues its own frontier and case.
  const { market, caseId, startUrls } = options.jobId ? { market: await loadCrawlMarket(db, options), caseId: undefined, startUrls: undefined } : await checkCrawlRequest(db, options);
  const account = await loadCrawlAccount(db, market, options.account);
  // Circuit isolation: one SOCKS username per market and account (Tor's IsolateSOCKSAuth).
  const proxyUsername = account?.proxy_username ?? `dp-${market.slug}`;
  const proxyLabel = describeProxy(proxy, proxyUsername);
  const vault = account?.undercover_id ? await unlockVault(options) : undefined;
  const { jobId, requeued } = await openCrawlJob(db, { market, account, jobId: options.jobId, caseId, startUrls, proxyLabel });
  if (account?.undercover_id && vault) {
    try {
      account.secrets = await useUndercoverAccount(db, vault, { id: account.undercover_id, jobId, actor: 'system:crawler' });
    } catch (err) {
      if (err instanceof UndercoverError) {
        await db.updateTable('crawl_jobs').set({ status: 'failed', finished_at: new Date() }).where('id', '=', jobId).execute();
        throw new CrawlConfigError(err.message);
      }
      throw err;
    }
  }
  await options.onJobOpened?.(jobId);

  const settings = crawlSettings(options, market);
  const stats = newStats();
  const guard: { mayCarryCookies: (host: string) => boolean } = { mayCarryCookies: () => false };
  const fetcher = new PageFetcher({ mayCarryCookies: (host) => guard.mayCarryCookies(host), db, proxy, isolationUsername: proxyUsername, jar: new CookieJar(account?.cookies ?? {}), accountId: account?.id, delayMs: settings.delayMs, timeoutMs: settings.timeoutMs, stats, signal: options.signal });
  const recorder = new EvidenceRecorder(db, { dir: options.evidenceDir, maxFileBytes: options.maxWarcFileBytes, timeline: options.commitTimeline, info: { 'crawl-job': jobId, market: market.slug } });
  const capture = new CaptureWriter(recorder, { agencyId: market.agency_id, tlp: market.tlp, marketId: market.id, jobId, account: account?.username, proxy: proxyLabel }, stats);
  const frontierSize = new FrontierSize(jobId, settings.maxPages);
  const ctx = {
    db,
    options,
    market,
    account,
    jobId,
    workerId: options.workerId ?? newWorkerId(),
    settings,
    stats,
    fetcher,
    capture,
    analyser: new PageAnalyser(),
    inScope: urlScope(market),
    frontierSize,
    frontierWork: new FrontierCompletions(jobId, frontierSize),
    hooks: options.hooks ?? {},
    hookContext: {
      db,
      market: { id: market.id, slug: market.slug, agencyId: market.agency_id },
      account: account ? { id: account.id, username: account.username } : undefined,
      fetchAndRecord: (url, init) => fetchAndRecord({ fetcher, capture }, url, init),
      signal: options.signal,
    },
    health: { consecutiveUnreachable: 0, consecutiveProxyFailures: 0 },
  } satisfies Omit<CrawlContext, 'login' | 'front' | 'mirrors'> as CrawlContext;
  ctx.login = new LoginFlow(ctx);
  ctx.front = new FrontGate(ctx);
  ctx.mirrors = new MirrorGuard(ctx);
  guard.mayCarryCookies = (host) => ctx.mirrors.mayCarryCookies(host);

  let result: Awaited<ReturnType<typeof runScheduler>>;
  try {
    result = await runScheduler(ctx);
  } finally {
    await capture.close();
    await ctx.analyser.close();
  }
  const summary = await closeCrawlJob(db, { market, jobId, stats, frontsPassed: ctx.front.passed, stop: result.stop, failed: result.failure !== undefined, aborted: options.signal?.aborted ?? false, requeued, started, proxyUsername });
  if (result.failure !== undefined) throw result.failure;
  return summary;
}

/** The proxy settings as the crawler will use them (for `crawl --check` and the API). */
export function crawlerProxy(url: string | undefined): SocksProxyConfig {
  return parseProxyUrl(url);
}

/** The vault given in the options, or unlocked with the passphrase of the environment (a clear error without it). */
async function unlockVault(options: CrawlOptions): Promise<Vault> {
  if (options.vault) return options.vault;
  try {
    return await Vault.unlock(options.db, vaultPassphrase());
  } catch (err) {
    if (err instanceof VaultError) throw new CrawlConfigError(err.message);
    throw err;
  }
}
