import { loginUrl, type CrawlMarket } from './market.ts';

/**
 * Which links a crawl follows: http(s) on the market's own hosts only (clearnet and other onions never), not the
 * login page (the login flow fetches it), nothing matching a skip pattern (logout, destructive actions).
 */
export function urlScope(market: CrawlMarket): (url: string) => boolean {
  const allowed = new Set(market.allowed_hosts);
  const skip = market.skip_patterns.map((p) => new RegExp(p, 'i'));
  const lp = new URL(loginUrl(market));
  return (url: string): boolean => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (!allowed.has(u.host)) return false;
    const pathQ = u.pathname + u.search;
    if (u.pathname === lp.pathname && (lp.search === '' || u.search.includes(lp.search.slice(1)))) return false;
    return !skip.some((re) => re.test(pathQ));
  };
}
