/** Collection: the crawler (SOCKS5h only, resumable frontier, CAPTCHA hand-off) and the importers. */
export { runCrawl, backoffMs, crawlerProxy, CrawlConfigError, type CrawlOptions, type CrawlProgress, type CrawlSummary, type CrawlOutcome } from './crawl/crawler.ts';
export { runDueCrawls, type DueCrawlOptions } from './crawl/schedule.ts';
export { configureMarketCrawl, type MarketCrawlConfig } from './crawl/config.ts';
export { listCaptchas, getCaptchaImage, solveCaptcha, CaptchaError, type CaptchaSummary } from './crawl/captcha.ts';
export { observeMarket } from './crawl/lifecycle.ts';
export { analysePage, type PageAnalysis, type LoginForm } from './crawl/page.ts';
export { CookieJar } from './crawl/cookies.ts';
export { frontierCounts, requeueOrphans, type FrontierCounts } from './crawl/frontier.ts';
export { parseProxyUrl, describeProxy, ProxyConfigError, PROXY_ENV, type SocksProxyConfig } from './net/proxy.ts';
export { socksFetch, FetchError, type SocksFetchOptions, type SocksResponse, type FetchErrorKind } from './net/socks-http.ts';
