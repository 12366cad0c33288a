import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { RecordedCapture } from '../../evidence/index.ts';
import type { SocksResponse } from '../net/socks-http.ts';
import type { CrawlOutcome } from './types.ts';

/** A request made by the crawler (every one goes through the proxy and is preserved as evidence). */
export interface CrawlRequestInit {
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

/** What a hook may use: the crawl's identity and a fetch that goes through the same proxy, session and evidence. */
export interface HookContext {
  db: Kysely<Database>;
  market: { id: number; slug: string; agencyId: number };
  account?: { id: number; username: string };
  /** Fetches through the crawl's proxy circuit and cookie jar and preserves the exchange. */
  fetchAndRecord(url: string, init?: CrawlRequestInit): Promise<{ res: SocksResponse; capture: RecordedCapture }>;
  signal?: AbortSignal;
}

/** What to do with a page a hook recognised as an interstitial (anti-DDoS queue, JavaScript-free challenge…). */
export type InterstitialDecision =
  /** The page is preserved; the URL is fetched again after `afterMs` without counting an attempt. */
  | { action: 'retry'; afterMs: number; reason: string }
  /** The hook passed the interstitial itself (e.g. posted its form): fetch the URL again now. */
  | { action: 'passed'; reason: string }
  /** End the crawl with this outcome (the job stays resumable). */
  | { action: 'stop'; outcome: CrawlOutcome; reason: string };

/** The login form about to be posted (hidden fields included), so a hook can check or complete it. */
export interface CredentialForm {
  action: string;
  fields: Record<string, string>;
}

/**
 * Extension points of the crawler. The request handler calls `interstitial` on every fetched HTML page before
 * reading it; the login flow calls `beforeCredentials` before it sends an account's password, and
 * `afterLoginResponse` with the market's answer to the login post (a second factor, e.g. a PGP challenge).
 */
export interface CrawlHooks {
  interstitial?(page: { url: string; res: SocksResponse }, ctx: HookContext): Promise<InterstitialDecision | undefined>;
  /** Throw a StopCrawl (e.g. 'login-failed') to refuse sending credentials (a phishing mirror); may add fields. */
  beforeCredentials?(form: CredentialForm, ctx: HookContext): Promise<void>;
  /** Return true/false to decide whether the login succeeded; undefined keeps the crawler's own judgement. */
  afterLoginResponse?(res: SocksResponse, ctx: HookContext): Promise<boolean | undefined>;
}
