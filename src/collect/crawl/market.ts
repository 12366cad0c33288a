import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { UndercoverSecrets } from '../undercover/accounts.ts';
import { CrawlConfigError } from './types.ts';

/** A market's crawl configuration joined with the market row, as the crawler reads it. */
export type CrawlMarket = Awaited<ReturnType<typeof queryMarkets>>[number];
/** The account row, and once the job is open the secrets the vault gave for it (undercover accounts). */
export type CrawlAccount = NonNullable<Awaited<ReturnType<typeof queryAccount>>> & { secrets?: UndercoverSecrets };

function queryMarkets(db: Kysely<Database>, market: string | number, agencyId: number | undefined) {
  let q = db.selectFrom('markets as m').innerJoin('crawl_markets as c', 'c.market_id', 'm.id').selectAll('c').select(['m.id', 'm.slug', 'm.agency_id', 'm.tlp', 'm.status']);
  q = typeof market === 'number' ? q.where('m.id', '=', market) : q.where('m.slug', '=', market);
  if (agencyId !== undefined) q = q.where('m.agency_id', '=', agencyId);
  return q.execute();
}

function queryAccount(db: Kysely<Database>, marketId: number, username: string | undefined) {
  let q = db.selectFrom('crawl_accounts').selectAll().where('market_id', '=', marketId).where('status', '=', 'active');
  if (username) q = q.where('username', '=', username);
  return q.orderBy('id').executeTakeFirst();
}

function isLoopback(host: string): boolean {
  const h = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return h === '127.0.0.1' || h === 'localhost' || h === '::1';
}

/** The market to crawl; refuses any configured host that is not an onion (the crawler never touches the clear web). */
export async function loadCrawlMarket(db: Kysely<Database>, o: { market: string | number; agencyId?: number; allowLoopbackTargetsForTesting?: boolean }): Promise<CrawlMarket> {
  const markets = await queryMarkets(db, o.market, o.agencyId);
  if (markets.length === 0) throw new CrawlConfigError(`no crawl configuration for market ${JSON.stringify(o.market)}`);
  if (markets.length > 1) throw new CrawlConfigError(`market slug ${JSON.stringify(o.market)} exists in several agencies: give the agency`);
  const market = markets[0]!;
  for (const h of market.allowed_hosts) {
    const host = h.replace(/:\d+$/, '');
    if (!host.endsWith('.onion') && !(o.allowLoopbackTargetsForTesting && isLoopback(h))) {
      throw new CrawlConfigError(`refusing to crawl ${h}: only .onion hosts are crawled (the crawler never touches the clear web)`);
    }
  }
  return market;
}

/** The undercover account (the named one, or the market's first active one; none: crawl without login). */
export async function loadCrawlAccount(db: Kysely<Database>, market: CrawlMarket, username: string | undefined): Promise<CrawlAccount | undefined> {
  const account = await queryAccount(db, market.id, username);
  if (username && !account) throw new CrawlConfigError(`no active account ${JSON.stringify(username)} on ${market.slug}`);
  return account;
}

/** The market's login page URL. */
export function loginUrl(market: CrawlMarket): string {
  return new URL(market.login_path ?? '/login', market.start_urls[0]).toString();
}
