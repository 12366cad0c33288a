import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { CommitTimeline } from '../../evidence/index.ts';
import type { Vault } from '../undercover/vault.ts';
import type { CrawlHooks } from './hooks.ts';

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
  /** The case the crawl is for (by id or by reference): open, and of the market's agency (seeds.ts checks). */
  caseId?: number;
  caseRef?: string;
  /**
   * Start this crawl from these URLs (e.g. a vendor's page) instead of the market's configured ones: they must be
   * on the market's own hosts (seeds.ts refuses any other). Ignored when resuming a job.
   */
  startUrls?: readonly string[];
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
  /** Times the evidence recorder's group commits (benchmarks). */
  commitTimeline?: CommitTimeline;
  /** Frontier claims are made under this id (a worker process passes its own, so a dead worker's claims can be found). */
  workerId?: string;
  /** Called once the crawl job exists (new or resumed), before any request: a worker saves it to resume there. */
  onJobOpened?: (crawlJobId: string) => void | Promise<void>;
  /**
   * The unlocked vault of undercover secrets; without it an undercover account's secrets are opened with the
   * passphrase in $DARKPATROL_VAULT_PASSPHRASE (or the file in $DARKPATROL_VAULT_PASSPHRASE_FILE).
   */
  vault?: Vault;
  /** Longest wait in anti-DDoS queues before the crawl gives up for now (default 10 min). */
  maxQueueWaitMs?: number;
  /** Extension points (anti-DDoS interstitials, second factors before credentials are sent). */
  hooks?: CrawlHooks;
}

export interface CrawlProgress {
  jobId: string;
  fetched: number;
  queued: number;
  total: number;
  bytes: number;
  /** Errors so far by kind (unreachable, timeout, http-503…). */
  errors: Record<string, number>;
  lastUrl?: string;
  lastStatus?: number;
}

export type CrawlOutcome = 'done' | 'paused-captcha' | 'seized' | 'down' | 'stopped' | 'login-failed' | 'proxy-unavailable';

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
  /** Anti-DDoS fronts passed (access granted after the queue and CAPTCHA). */
  antiDdosPassed: number;
  /** PGP two-factor challenges answered with the account's key. */
  twoFactorAnswered: number;
  errors: Record<string, number>;
  /** The last message of each error kind (Tor's reason included, e.g. "onion service descriptor not found"). */
  lastErrors: Record<string, string>;
  /** Why the crawl ended early, in words (absent when it ran to the end of its frontier). */
  stopReason?: string;
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

/** Thrown by any part of the crawl to end it with an outcome (the job stays resumable where that makes sense). */
export class StopCrawl extends Error {
  constructor(readonly outcome: CrawlOutcome, message: string) {
    super(message);
    this.name = 'StopCrawl';
  }
}

/** Counters of one crawl run, shared by its parts. */
export interface CrawlStats {
  pages: number;
  bytes: number;
  requests: number;
  retries: number;
  logins: number;
  captchas: number;
  /** Two-factor challenges answered. */
  twoFactor?: number;
  errors: Record<string, number>;
  lastErrors: Record<string, string>;
}

export function newStats(): CrawlStats {
  return { pages: 0, bytes: 0, requests: 0, retries: 0, logins: 0, captchas: 0, errors: {}, lastErrors: {} };
}

export function countError(stats: CrawlStats, kind: string, message?: string): void {
  stats.errors[kind] = (stats.errors[kind] ?? 0) + 1;
  if (message) stats.lastErrors[kind] = message.slice(0, 300);
}

/** Sleepers waiting on each signal: one abort listener per signal, however many workers sleep at once. */
const sleepers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Sleeps, waking early when the signal aborts. All sleeps on one signal share a single abort listener (a listener
 * per sleep would put more than ten on the signal whenever a dozen workers wait together).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    let waiting = signal ? sleepers.get(signal) : undefined;
    if (signal && !waiting) {
      const set = new Set<() => void>();
      waiting = set;
      sleepers.set(signal, set);
      signal.addEventListener('abort', () => {
        for (const wake of set) wake();
        set.clear();
      }, { once: true });
    }
    const wake = () => {
      clearTimeout(t);
      waiting?.delete(wake);
      resolve();
    };
    const t = setTimeout(wake, ms);
    waiting?.add(wake);
  });
}
