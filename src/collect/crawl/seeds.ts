import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import { loadCrawlMarket, type CrawlMarket } from './market.ts';
import { urlScope } from './scope.ts';
import { CrawlConfigError } from './types.ts';

/** At most this many start URLs per crawl (an analyst's list of vendor or thread pages, not a site map). */
export const MAX_START_URLS = 50;

/**
 * Start URLs given for one crawl (e.g. a vendor's page), checked against the market: http(s) on the market's own
 * hosts only (its configured onions and mirrors), never its login page or a skipped URL. Returns them without
 * fragments and without duplicates, in the given order; throws CrawlConfigError naming the first refused URL.
 */
export function checkStartUrls(market: CrawlMarket, urls: readonly string[]): string[] {
  if (urls.length === 0) throw new CrawlConfigError('give at least one start URL, or none to start from the market\'s own');
  if (urls.length > MAX_START_URLS) throw new CrawlConfigError(`at most ${MAX_START_URLS} start URLs per crawl (got ${urls.length})`);
  const inScope = urlScope(market);
  const out: string[] = [];
  for (const raw of urls) {
    let u: URL;
    try {
      u = new URL(raw.trim());
    } catch {
      throw new CrawlConfigError(`start URL ${JSON.stringify(raw)} is not a URL`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CrawlConfigError(`start URL ${u.href} must be http(s)`);
    if (u.username || u.password) throw new CrawlConfigError(`start URL ${u.href} must not carry credentials`);
    if (!market.allowed_hosts.includes(u.host)) {
      throw new CrawlConfigError(`refusing start URL ${u.href}: ${u.host} is not a host of market ${market.slug} (its hosts: ${market.allowed_hosts.join(', ')})`);
    }
    u.hash = '';
    if (!inScope(u.href)) throw new CrawlConfigError(`refusing start URL ${u.href}: it is the market's login page or matches its skip patterns`);
    if (!out.includes(u.href)) out.push(u.href);
  }
  return out;
}

/**
 * The case a crawl is for (by id or by reference): it must be open and belong to the agency that owns the market,
 * so captures never land in another agency's case or a closed one. Returns its id (undefined without a case).
 */
export async function checkCrawlCase(db: Kysely<Database>, market: CrawlMarket, c: { caseId?: number; caseRef?: string }): Promise<number | undefined> {
  if (c.caseId === undefined && c.caseRef === undefined) return undefined;
  if (c.caseId !== undefined && c.caseRef !== undefined) throw new CrawlConfigError('give the case by id or by reference, not both');
  let q = db.selectFrom('cases').select(['id', 'agency_id', 'reference', 'closed_at']);
  q = c.caseId !== undefined ? q.where('id', '=', c.caseId) : q.where('agency_id', '=', market.agency_id).where('reference', '=', c.caseRef!);
  const kase = await q.executeTakeFirst();
  const named = c.caseId !== undefined ? `case ${c.caseId}` : `case ${JSON.stringify(c.caseRef)}`;
  // Another agency's case is answered like a missing one: a crawl must not reveal which cases exist elsewhere.
  if (!kase || kase.agency_id !== market.agency_id) throw new CrawlConfigError(`no ${named} in the agency of market ${market.slug}`);
  if (kase.closed_at !== null) throw new CrawlConfigError(`${named} (${kase.reference}) is closed: a crawl cannot be tied to it`);
  return kase.id;
}

export interface CrawlRequest {
  market: string | number;
  agencyId?: number;
  caseId?: number;
  caseRef?: string;
  startUrls?: readonly string[];
  allowLoopbackTargetsForTesting?: boolean;
}

/**
 * Everything about a new crawl that can be refused before it runs: the market (of the agency), its start URLs and
 * its case. The API calls it before queueing a crawl job (a clear 400 instead of a failed job); runCrawl calls it too.
 */
export async function checkCrawlRequest(db: Kysely<Database>, r: CrawlRequest): Promise<{ market: CrawlMarket; caseId: number | undefined; startUrls: string[] | undefined }> {
  const market = await loadCrawlMarket(db, r);
  const startUrls = r.startUrls === undefined ? undefined : checkStartUrls(market, r.startUrls);
  const caseId = await checkCrawlCase(db, market, r);
  return { market, caseId, startUrls };
}
