import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { appendAudit, type Database } from '../../store/index.ts';
import { EvidenceRecorder, type RecordedCapture } from '../../evidence/index.ts';
import { describeProxy, parseProxyUrl, type SocksProxyConfig } from '../net/proxy.ts';
import { FetchError, socksFetch, type SocksResponse } from '../net/socks-http.ts';
import { parkCaptcha, type ParkedForm } from './captcha.ts';
import { CookieJar } from './cookies.ts';
import { claimNext, completeEntry, enqueue, failEntry, frontierCounts, newWorkerId, nextReadyIn, requeueOrphans, retryLater, type FrontierEntry } from './frontier.ts';
import { observeMarket } from './lifecycle.ts';
import { analysePage, type LoginForm } from './page.ts';

export interface CrawlOptions {
  db: Kysely<Database>;
  /** Directory of the WARC files (the evidence recorder writes there). */
  evidenceDir: string;
  /** "socks5h://[user:password@]host:port" — required: without it the crawler refuses to run. */
  proxy: string | undefined;
  /** Market slug or id (a slug must be unique, or give agencyId). */
  market: string | number;
  agencyId?: number;
  /** Resume this job (its frontier is reused); otherwise a new job starts from the start URLs. */
  jobId?: string;
  caseId?: number;
  /** Undercover account username (default: the market's first active account; none: crawl without login). */
  account?: string;
  captcha?: {
    /** Wait for a human to solve a parked CAPTCHA (default true); false: pause the job and return. */
    wait?: boolean;
    pollMs?: number;
    timeoutMs?: number;
    /** Called when a challenge is parked (a console notification; tests use it to play the human). */
    onParked?: (captcha: { id: number; imageUrl: string }) => void | Promise<void>;
  };
  retry?: { maxAttempts?: number; baseMs?: number; maxMs?: number };
  /** Per-request timeout (default 60 s: onion services are slow). */
  timeoutMs?: number;
  /** Overrides of the market's politeness settings. */
  delayMs?: number;
  concurrency?: number;
  maxPages?: number;
  /**
   * TEST ONLY: allow loopback targets (127.0.0.1/localhost) besides .onion hosts, for a third-party SOCKS server
   * that cannot resolve onion names. Never set in production.
   */
  allowLoopbackTargetsForTesting?: boolean;
  onProgress?: (p: CrawlProgress) => void;
  /** Stop claiming new URLs (the job stays resumable). */
  signal?: AbortSignal;
  /** WARC rotation size for this crawl's writer. */
  maxWarcFileBytes?: number;
}

export interface CrawlProgress {
  jobId: string;
  fetched: number;
  queued: number;
  total: number;
  bytes: number;
  lastUrl?: string;
  lastStatus?: number;
}

export type CrawlOutcome = 'done' | 'paused-captcha' | 'seized' | 'down' | 'stopped' | 'login-failed';

export interface CrawlSummary {
  jobId: string;
  market: string;
  outcome: CrawlOutcome;
  pages: number;
  bytes: number;
  requests: number;
  retries: number;
  logins: number;
  captchasParked: number;
  errors: Record<string, number>;
  frontier: { queued: number; done: number; failed: number; total: number };
  requeuedOnResume: number;
  durationMs: number;
  proxyUsername: string;
}

export class CrawlConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrawlConfigError';
  }
}

class StopCrawl extends Error {
  constructor(readonly outcome: CrawlOutcome, message: string) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === '127.0.0.1' || h === 'localhost' || h === '::1';
}

/** Exponential backoff with full jitter, at least Retry-After when the server gave one. */
export function backoffMs(attempt: number, base: number, max: number, retryAfterSec?: number): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + Math.random() * (exp / 2);
  return Math.max(jittered, (retryAfterSec ?? 0) * 1000);
}

function retryAfterSeconds(h: string | undefined): number | undefined {
  if (!h) return undefined;
  if (/^\d+$/.test(h.trim())) return Number(h.trim());
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - Date.now()) / 1000);
}

/**
 * Crawls one market through a SOCKS5h proxy into WARC evidence, resumably. See docs/collect.md.
 */
export async function runCrawl(options: CrawlOptions): Promise<CrawlSummary> {
  const proxy = parseProxyUrl(options.proxy); // throws before anything else when there is no proxy
  const { db } = options;
  const started = Date.now();
  let mq = db.selectFrom('markets as m').innerJoin('crawl_markets as c', 'c.market_id', 'm.id').selectAll('c').select(['m.id', 'm.slug', 'm.agency_id', 'm.tlp', 'm.status']);
  mq = typeof options.market === 'number' ? mq.where('m.id', '=', options.market) : mq.where('m.slug', '=', options.market);
  if (options.agencyId !== undefined) mq = mq.where('m.agency_id', '=', options.agencyId);
  const markets = await mq.execute();
  if (markets.length === 0) throw new CrawlConfigError(`no crawl configuration for market ${JSON.stringify(options.market)}`);
  if (markets.length > 1) throw new CrawlConfigError(`market slug ${JSON.stringify(options.market)} exists in several agencies: give the agency`);
  const market = markets[0]!;
  for (const h of market.allowed_hosts) {
    const host = h.replace(/:\d+$/, '');
    if (!host.endsWith('.onion') && !(options.allowLoopbackTargetsForTesting && isLoopback(h))) {
      throw new CrawlConfigError(`refusing to crawl ${h}: only .onion hosts are crawled (the crawler never touches the clear web)`);
    }
  }
  const allowed = new Set(market.allowed_hosts);
  const skip = market.skip_patterns.map((p) => new RegExp(p, 'i'));
  const fields = market.login_fields ?? undefined;

  let accountQ = db.selectFrom('crawl_accounts').selectAll().where('market_id', '=', market.id).where('status', '=', 'active');
  if (options.account) accountQ = accountQ.where('username', '=', options.account);
  const account = await accountQ.orderBy('id').executeTakeFirst();
  if (options.account && !account) throw new CrawlConfigError(`no active account ${JSON.stringify(options.account)} on ${market.slug}`);
  // Circuit isolation: one SOCKS username per market and account (Tor's IsolateSOCKSAuth).
  const proxyUsername = account?.proxy_username ?? `dp-${market.slug}`;
  const proxyLabel = describeProxy(proxy, proxyUsername);
  const jar = new CookieJar(account?.cookies ?? {});

  // The job: resume or start.
  let jobId = options.jobId;
  let requeued = 0;
  if (jobId) {
    const job = await db.selectFrom('crawl_jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    if (!job) throw new CrawlConfigError(`no crawl job ${jobId}`);
    if (job.market_id !== market.id) throw new CrawlConfigError(`job ${jobId} belongs to another market`);
    requeued = await requeueOrphans(db, jobId);
    await db.updateTable('crawl_jobs').set({ status: 'running', finished_at: null }).where('id', '=', jobId).execute();
  } else {
    jobId = randomUUID();
    const id = jobId;
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('crawl_jobs').values({ id, market_id: market.id, account_id: account?.id ?? null, case_id: options.caseId ?? null }).execute();
      await enqueue(trx, id, market.start_urls, 0);
    });
    await appendAudit(db, { agencyId: market.agency_id, userId: null, actor: 'system:crawler', action: 'crawl.start', objectType: 'market', objectId: String(market.id), detail: { job: id, proxy: proxyLabel } });
  }
  const job = jobId;

  const recorder = new EvidenceRecorder(db, { dir: options.evidenceDir, maxFileBytes: options.maxWarcFileBytes, info: { 'crawl-job': job, market: market.slug } });
  const delayMs = options.delayMs ?? market.delay_ms;
  const concurrency = options.concurrency ?? market.concurrency;
  const maxPages = options.maxPages ?? market.max_pages;
  const maxAttempts = options.retry?.maxAttempts ?? 6;
  const baseMs = options.retry?.baseMs ?? 1000;
  const maxMs = options.retry?.maxMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const leaseMs = Math.max(timeoutMs * 3, 120_000);
  const workerId = newWorkerId();

  const stats = { pages: 0, bytes: 0, requests: 0, retries: 0, logins: 0, captchas: 0, errors: {} as Record<string, number> };
  const countError = (k: string) => { stats.errors[k] = (stats.errors[k] ?? 0) + 1; };
  let stop: StopCrawl | undefined;
  let consecutiveUnreachable = 0;
  const nextSlot = new Map<string, number>();

  /** Politeness: one slot per host every delayMs, shared by this job's workers. */
  async function politeWait(host: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, nextSlot.get(host) ?? 0);
    nextSlot.set(host, at + delayMs);
    if (at > now) await sleep(at - now, options.signal);
  }

  type Trx = Parameters<NonNullable<Parameters<EvidenceRecorder['recordExchange']>[2]>>[0];

  /** One request through the proxy (politeness, cookies, isolation username); nothing is recorded yet. */
  async function fetchOnly(url: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}): Promise<{ res: SocksResponse; fetchedAt: Date }> {
    const u = new URL(url);
    await politeWait(u.host);
    stats.requests++;
    const headers: Record<string, string> = { ...init.headers };
    const cookie = jar.header();
    if (cookie) headers.Cookie = cookie;
    const fetchedAt = new Date();
    const res = await socksFetch(u, { proxy, isolationUsername: proxyUsername, method: init.method, body: init.body, headers, timeoutMs });
    if (jar.update(res.setCookies) && account) {
      await db.updateTable('crawl_accounts').set({ cookies: JSON.stringify(jar.toJSON()) }).where('id', '=', account.id).execute();
    }
    return { res, fetchedAt };
  }

  /** Preserves an exchange; `inTx` runs in the capture's transaction (frontier bookkeeping: exactly-once). */
  async function record(url: string, res: SocksResponse, fetchedAt: Date, inTx?: (trx: Trx, captureId: number) => Promise<void>): Promise<RecordedCapture> {
    const capture = await recorder.recordExchange(
      {
        url,
        request: res.rawRequest,
        response: res.rawResponse,
        payloadSha256: res.payloadSha256,
        payloadSize: res.body.length,
        httpStatus: res.status,
        contentType: res.headers['content-type'] ?? null,
        fetchedAt,
      },
      { agencyId: market.agency_id, tlp: market.tlp, marketId: market.id, jobId: job, account: account?.username, proxy: proxyLabel },
      inTx,
    );
    stats.bytes += res.rawResponse.length;
    return capture;
  }

  async function fetchAndRecord(url: string, init: { method?: 'GET' | 'POST'; body?: string; headers?: Record<string, string> } = {}): Promise<{ res: SocksResponse; capture: RecordedCapture }> {
    const { res, fetchedAt } = await fetchOnly(url, init);
    return { res, capture: await record(url, res, fetchedAt) };
  }

  // ---- login ----------------------------------------------------------------------------------------------
  let loginInFlight: Promise<void> | undefined;
  let sessionGeneration = 0;
  const loginUrl = (): string => new URL(market.login_path ?? '/login', market.start_urls[0]).toString();

  async function postLogin(form: ParkedForm, answer: string | undefined): Promise<boolean> {
    if (!account) throw new StopCrawl('login-failed', `${market.slug} asks for a login but has no active account`);
    const body = new URLSearchParams({ ...form.hidden, [form.usernameField]: account.username, [form.passwordField]: account.password ?? '', ...(answer !== undefined ? { [form.captchaField]: answer } : {}) }).toString();
    const { res } = await fetchAndRecord(form.action, { method: 'POST', body, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Referer: loginUrl() } });
    const location = res.headers.location;
    const ok = res.status >= 300 && res.status < 400 && location !== undefined && !location.includes(new URL(loginUrl()).pathname);
    if (ok) {
      stats.logins++;
      await db.updateTable('crawl_accounts').set({ cookies: JSON.stringify(jar.toJSON()), last_login_at: new Date() }).where('id', '=', account.id).execute();
      await db.updateTable('crawl_markets').set({ paused_reason: null }).where('market_id', '=', market.id).execute();
    }
    return ok;
  }

  async function waitForAnswer(captchaId: number): Promise<string | undefined> {
    const wait = options.captcha?.wait ?? true;
    if (!wait) return undefined;
    const poll = options.captcha?.pollMs ?? 1000;
    const deadline = Date.now() + (options.captcha?.timeoutMs ?? 15 * 60_000);
    while (Date.now() < deadline && !options.signal?.aborted) {
      const row = await db.selectFrom('crawl_captchas').select(['status', 'answer']).where('id', '=', captchaId).executeTakeFirst();
      if (row?.status === 'solved' && row.answer) return row.answer;
      if (row?.status !== 'pending') return undefined;
      await sleep(poll, options.signal);
    }
    return undefined;
  }

  async function doLogin(): Promise<void> {
    if (!account) throw new StopCrawl('login-failed', `${market.slug} asks for a login but no active undercover account is configured`);
    for (let attempt = 1; attempt <= 3; attempt++) {
      // A CAPTCHA a human solved while the crawl was paused: use it with the session it belongs to.
      const solved = await db.selectFrom('crawl_captchas').select(['id', 'form', 'answer']).where('market_id', '=', market.id).where('account_id', '=', account.id).where('status', '=', 'solved').orderBy('id', 'desc').executeTakeFirst();
      if (solved?.answer) {
        const form = solved.form as unknown as ParkedForm;
        jar.clear();
        jar.update(Object.entries(form.cookies).map(([k, v]) => `${k}=${v}`));
        await db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', solved.id).execute();
        if (await postLogin(form, solved.answer)) return;
        countError('login-rejected');
        continue;
      }
      jar.clear();
      const page = await fetchWithRetry(loginUrl());
      const analysis = analysePage(page.res.body.toString('utf8'), loginUrl(), fields);
      if (analysis.seized) throw new StopCrawl('seized', 'seizure banner on the login page');
      const form = analysis.login;
      if (!form) throw new StopCrawl('login-failed', `no login form at ${loginUrl()} (HTTP ${page.res.status})`);
      const parked = toParked(form);
      if (!form.captchaImage || !form.captchaField) {
        if (await postLogin(parked, undefined)) return;
        countError('login-rejected');
        continue;
      }
      const img = await fetchWithRetry(form.captchaImage);
      const captchaId = await parkCaptcha(db, {
        marketId: market.id,
        accountId: account.id,
        jobId: job,
        image: img.res.body,
        imageType: img.res.headers['content-type'] ?? 'application/octet-stream',
        captureId: img.capture.captureId,
        form: { ...parked, imageUrl: form.captchaImage } as ParkedForm,
      });
      stats.captchas++;
      await options.captcha?.onParked?.({ id: captchaId, imageUrl: form.captchaImage });
      const answer = await waitForAnswer(captchaId);
      if (answer === undefined) throw new StopCrawl('paused-captcha', `CAPTCHA #${captchaId} is waiting for a human: darkpatrol captcha show ${captchaId}`);
      await db.updateTable('crawl_captchas').set({ status: 'used' }).where('id', '=', captchaId).execute();
      if (await postLogin(parked, answer)) return;
      countError('login-rejected');
    }
    throw new StopCrawl('login-failed', `login to ${market.slug} as ${account.username} failed 3 times`);
  }

  function toParked(form: LoginForm): ParkedForm {
    return { action: form.action, hidden: form.hidden, usernameField: form.usernameField, passwordField: form.passwordField, captchaField: form.captchaField ?? 'captcha', cookies: jar.toJSON() };
  }

  /** Logs in once for all workers; workers that saw an older session just wait for the new one. */
  async function ensureLogin(seenGeneration: number): Promise<void> {
    if (seenGeneration < sessionGeneration) return;
    if (!loginInFlight) {
      loginInFlight = doLogin()
        .then(() => { sessionGeneration++; })
        .finally(() => { loginInFlight = undefined; });
    }
    await loginInFlight;
  }

  /** Login-flow fetches retry transient failures in place (they are not frontier entries). */
  async function fetchWithRetry(url: string): Promise<{ res: SocksResponse; capture: RecordedCapture }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fetchAndRecord(url);
        if ((r.res.status === 429 || r.res.status >= 500) && attempt < maxAttempts) {
          stats.retries++;
          countError(`http-${r.res.status}`);
          if (r.res.status === 503 && analysePage(r.res.body.toString('utf8'), url).maintenance) throw new StopCrawl('down', 'market in maintenance');
          await sleep(backoffMs(attempt, baseMs, maxMs, retryAfterSeconds(r.res.headers['retry-after'])), options.signal);
          continue;
        }
        return r;
      } catch (err) {
        if (!(err instanceof FetchError) || attempt >= maxAttempts || err.kind === 'refused') throw err;
        countError(err.kind);
        stats.retries++;
        if (err.kind === 'unreachable' && ++consecutiveUnreachable >= 3) throw new StopCrawl('down', err.message);
        await sleep(backoffMs(attempt, baseMs, maxMs), options.signal);
      }
    }
  }

  // ---- one frontier entry ---------------------------------------------------------------------------------
  function shouldFollow(url: string): boolean {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (!allowed.has(u.host)) return false; // clearnet and other onions are never followed
    const pathQ = u.pathname + u.search;
    const lp = new URL(loginUrl());
    if (u.pathname === lp.pathname && (lp.search === '' || u.search.includes(lp.search.slice(1)))) return false;
    return !skip.some((re) => re.test(pathQ));
  }

  async function processEntry(entry: FrontierEntry): Promise<void> {
    const generation = sessionGeneration;
    let fetched: { res: SocksResponse; fetchedAt: Date };
    try {
      fetched = await fetchOnly(entry.url);
    } catch (err) {
      if (err instanceof FetchError) {
        countError(err.kind);
        if (err.kind === 'unreachable') {
          consecutiveUnreachable++;
          if (consecutiveUnreachable >= 3 || stats.pages === 0) {
            await retryLater(db, entry.id, 0, err.message, false);
            throw new StopCrawl('down', err.message);
          }
        }
        if (err.kind === 'refused' || err.kind === 'too-large' || err.kind === 'protocol' || entry.attempts >= maxAttempts) {
          await failEntry(db, entry.id, `${err.kind}: ${err.message}`);
          return;
        }
        stats.retries++;
        await retryLater(db, entry.id, backoffMs(entry.attempts, baseMs, maxMs), `${err.kind}: ${err.message}`);
        return;
      }
      throw err;
    }
    consecutiveUnreachable = 0;
    const { res, fetchedAt } = fetched;
    const location = res.headers.location;
    const isHtml = /html/i.test(res.headers['content-type'] ?? '');
    const loginPathname = new URL(loginUrl()).pathname;
    let links: string[] = [];
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, entry.url);
      if (target.pathname === loginPathname) {
        // Session gone: the redirect is preserved; the page is fetched again after logging in.
        await record(entry.url, res, fetchedAt);
        await retryLater(db, entry.id, 0, null, false);
        await ensureLogin(generation);
        return;
      }
      links = [target.toString()];
    } else if (res.status === 429 || res.status >= 500) {
      const capture = await record(entry.url, res, fetchedAt);
      countError(`http-${res.status}`);
      if (res.status === 503 && isHtml && analysePage(res.body.toString('utf8'), entry.url).maintenance) {
        await retryLater(db, entry.id, 0, 'maintenance', false);
        await observeMarket(db, market.id, 'down', { captureId: capture.captureId, detail: 'maintenance page (HTTP 503)' });
        throw new StopCrawl('down', 'market in maintenance');
      }
      const wait = backoffMs(entry.attempts, baseMs, maxMs, retryAfterSeconds(res.headers['retry-after']));
      if (res.status === 429) nextSlot.set(new URL(entry.url).host, Date.now() + wait);
      if (entry.attempts >= maxAttempts) await failEntry(db, entry.id, `HTTP ${res.status} after ${entry.attempts} attempts`, res.status);
      else {
        stats.retries++;
        await retryLater(db, entry.id, wait, `HTTP ${res.status}`);
      }
      return;
    } else if (isHtml) {
      const analysis = analysePage(res.body.toString('utf8'), entry.url, fields);
      if (analysis.seized) {
        const capture = await record(entry.url, res, fetchedAt, (trx, captureId) => completeEntry(trx, entry.id, captureId, res.status));
        await observeMarket(db, market.id, 'seized', { captureId: capture.captureId, detail: `seizure banner at ${entry.url}` });
        throw new StopCrawl('seized', `seizure banner at ${entry.url}`);
      }
      if (analysis.login && new URL(entry.url).pathname !== loginPathname) {
        await record(entry.url, res, fetchedAt);
        await retryLater(db, entry.id, 0, null, false);
        await ensureLogin(generation);
        return;
      }
      links = analysis.links;
    }
    const follow = entry.depth < market.max_depth ? links.filter(shouldFollow) : [];
    const capture = await record(entry.url, res, fetchedAt, async (trx, captureId) => {
      await completeEntry(trx, entry.id, captureId, res.status);
      if (follow.length) {
        const have = await trx.selectFrom('crawl_frontier').select((eb) => eb.fn.countAll<number>().as('n')).where('job_id', '=', job).executeTakeFirstOrThrow();
        const room = Math.max(0, maxPages - Number(have.n));
        if (room > 0) await enqueue(trx, job, follow.slice(0, room), entry.depth + 1);
      }
    });
    if (stats.pages === 0) await observeMarket(db, market.id, 'up', { captureId: capture.captureId });
    stats.pages++;
    const counts = await frontierCounts(db, job);
    options.onProgress?.({ jobId: job, fetched: counts.done + counts.failed, queued: counts.queued + counts.claimed, total: counts.total, bytes: stats.bytes, lastUrl: entry.url, lastStatus: res.status });
  }

  // ---- workers --------------------------------------------------------------------------------------------
  async function worker(): Promise<void> {
    while (!stop && !options.signal?.aborted) {
      const entry = await claimNext(db, job, workerId, leaseMs);
      if (!entry) {
        const counts = await frontierCounts(db, job);
        if (counts.queued === 0 && counts.claimed === 0) return;
        const wait = (await nextReadyIn(db, job)) ?? 200;
        await sleep(Math.min(Math.max(wait, 20), 2000), options.signal);
        continue;
      }
      try {
        await processEntry(entry);
      } catch (err) {
        if (err instanceof StopCrawl) {
          stop ??= err;
          const row = await db.selectFrom('crawl_frontier').select('state').where('id', '=', entry.id).executeTakeFirst();
          if (row?.state === 'claimed') await retryLater(db, entry.id, 0, null, false);
          return;
        }
        await retryLater(db, entry.id, backoffMs(entry.attempts, baseMs, maxMs), `internal: ${(err as Error).message}`).catch(() => undefined);
        throw err;
      }
    }
  }

  let failure: unknown;
  try {
    // Log in up front when the account has no session yet (saves a redirect per worker).
    if (account && market.login_path && Object.keys(account.cookies ?? {}).length === 0) {
      try {
        await ensureLogin(sessionGeneration);
      } catch (err) {
        if (err instanceof StopCrawl) stop = err;
        else if (err instanceof FetchError && err.kind === 'unreachable') stop = new StopCrawl('down', err.message);
        else throw err;
      }
    }
    if (!stop) {
      const results = await Promise.allSettled(Array.from({ length: concurrency }, () => worker()));
      const rejected = results.find((r) => r.status === 'rejected');
      if (rejected) failure = (rejected as PromiseRejectedResult).reason;
    }
  } catch (err) {
    failure = err;
  } finally {
    await recorder.close();
  }
  if (stop?.outcome === 'down') {
    await observeMarket(db, market.id, 'down', { detail: stop.message });
  }
  const counts = await frontierCounts(db, job);
  const outcome: CrawlOutcome = stop?.outcome ?? (options.signal?.aborted ? 'stopped' : 'done');
  const summary: CrawlSummary = {
    jobId: job,
    market: market.slug,
    outcome,
    pages: stats.pages,
    bytes: stats.bytes,
    requests: stats.requests,
    retries: stats.retries,
    logins: stats.logins,
    captchasParked: stats.captchas,
    errors: stats.errors,
    frontier: { queued: counts.queued + counts.claimed, done: counts.done, failed: counts.failed, total: counts.total },
    requeuedOnResume: requeued,
    durationMs: Date.now() - started,
    proxyUsername,
  };
  const status = failure ? 'failed' : outcome === 'done' || outcome === 'seized' || outcome === 'down' ? 'done' : 'paused';
  await db.updateTable('crawl_jobs').set({ status, finished_at: status === 'paused' ? null : new Date(), stats: JSON.stringify(summary) }).where('id', '=', job).execute();
  if (market.recrawl_minutes && status !== 'paused') {
    await db.updateTable('crawl_markets').set({ next_crawl_at: new Date(Date.now() + market.recrawl_minutes * 60_000) }).where('market_id', '=', market.id).execute();
  }
  await appendAudit(db, { agencyId: market.agency_id, userId: null, actor: 'system:crawler', action: 'crawl.finish', objectType: 'market', objectId: String(market.id), detail: { job, outcome, pages: stats.pages } });
  if (failure) throw failure;
  return summary;
}

/** The proxy settings as the crawler will use them (for `crawl --check` and the API). */
export function crawlerProxy(url: string | undefined): SocksProxyConfig {
  return parseProxyUrl(url);
}
