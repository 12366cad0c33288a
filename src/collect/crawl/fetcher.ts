import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { SocksProxyConfig } from '../net/proxy.ts';
import { socksFetch, type SocksResponse } from '../net/socks-http.ts';
import type { CookieJar } from './cookies.ts';
import type { CrawlRequestInit } from './hooks.ts';
import { sleep, type CrawlStats } from './types.ts';

/** A response as fetched, not yet preserved. */
export interface FetchedPage {
  url: string;
  res: SocksResponse;
  fetchedAt: Date;
}

export interface PageFetcherOptions {
  db: Kysely<Database>;
  proxy: SocksProxyConfig;
  /** Tor builds separate circuits per SOCKS username (IsolateSOCKSAuth): one per market and account. */
  isolationUsername: string;
  jar: CookieJar;
  /** The account whose cookies are saved when the market changes them. */
  accountId?: number;
  /** Whether a host may see the crawl's cookies (only the market's verified onions do); default: every host. */
  mayCarryCookies?: (host: string) => boolean;
  delayMs: number;
  timeoutMs: number;
  stats: CrawlStats;
  signal?: AbortSignal;
}

/**
 * Where a page is fetched: one request through the SOCKS5h proxy with the crawl's isolation username and cookie
 * jar, after waiting for the host's politeness slot. Nothing is recorded here (see capture.ts).
 */
export class PageFetcher {
  readonly #o: PageFetcherOptions;
  readonly #nextSlot = new Map<string, number>();

  constructor(options: PageFetcherOptions) {
    this.#o = options;
  }

  /** The account's session (the login flow resets and restores it). */
  get jar(): CookieJar {
    return this.#o.jar;
  }

  /** Politeness: one slot per host every delayMs, shared by the crawl's parallel workers. */
  async #politeWait(host: string): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.#nextSlot.get(host) ?? 0);
    this.#nextSlot.set(host, at + this.#o.delayMs);
    if (at > now) await sleep(at - now, this.#o.signal);
  }

  /** Holds every request to a host until `untilMs` (epoch ms), e.g. after a 429. */
  holdHost(host: string, untilMs: number): void {
    this.#nextSlot.set(host, untilMs);
  }

  async fetch(url: string, init: CrawlRequestInit = {}): Promise<FetchedPage> {
    const o = this.#o;
    const u = new URL(url);
    await this.#politeWait(u.host);
    o.stats.requests++;
    const headers: Record<string, string> = { ...init.headers };
    // An onion not (yet) verified as the market's gets no cookie, and what it sets is not kept.
    const carry = o.mayCarryCookies?.(u.host) ?? true;
    const cookie = carry ? o.jar.header() : undefined;
    if (cookie) headers.Cookie = cookie;
    const fetchedAt = new Date();
    const res = await socksFetch(u, { proxy: o.proxy, isolationUsername: o.isolationUsername, method: init.method, body: init.body, headers, timeoutMs: o.timeoutMs });
    if (carry && o.jar.update(res.setCookies) && o.accountId !== undefined) {
      await o.db.updateTable('crawl_accounts').set({ cookies: JSON.stringify(o.jar.toJSON()) }).where('id', '=', o.accountId).execute();
    }
    return { url, res, fetchedAt };
  }
}
