import { sql } from 'kysely';
import { runCrawl } from './crawler.ts';
import type { CrawlOptions, CrawlSummary } from './types.ts';

export type DueCrawlOptions = Omit<CrawlOptions, 'market' | 'jobId'>;

/**
 * Runs every enabled, unpaused market whose re-crawl is due (next_crawl_at passed or never crawled), one after
 * the other; each crawl sets the market's next_crawl_at from its recrawl interval. A paused job of the market is
 * resumed rather than restarted.
 */
export async function runDueCrawls(options: DueCrawlOptions): Promise<CrawlSummary[]> {
  const due = await options.db
    .selectFrom('crawl_markets as c')
    .innerJoin('markets as m', 'm.id', 'c.market_id')
    .select(['m.id', 'm.status'])
    .where('c.enabled', '=', true)
    .where('c.paused_reason', 'is', null)
    .where('m.status', 'not in', ['seized', 'closed', 'exit_scam'])
    .where((eb) => eb.or([eb('c.next_crawl_at', 'is', null), eb('c.next_crawl_at', '<=', sql<Date>`now()`)]))
    .orderBy('c.next_crawl_at')
    .execute();
  const out: CrawlSummary[] = [];
  for (const m of due) {
    const paused = await options.db.selectFrom('crawl_jobs').select('id').where('market_id', '=', m.id).where('status', 'in', ['paused', 'running']).orderBy('started_at', 'desc').executeTakeFirst();
    out.push(await runCrawl({ ...options, market: m.id, jobId: paused?.id }));
  }
  return out;
}
