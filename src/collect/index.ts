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
export { importTelegramExport } from './import/telegram.ts';
export { telegramExportTexts } from './import/telegram-format.ts';
export { importMysqlDump, loadDumpMapping, DumpMappingSchema, SIM_SEIZED_MAPPING, type DumpMapping, type DumpImportOptions } from './import/dump.ts';
export { importCsvScrape, loadCsvMapping, CsvMappingSchema, type CsvMapping } from './import/csv.ts';
export { ImportFormatError, sqlStatements, parseInsert, parseCreateTable, type SqlStatement, type SqlValue } from './import/sql-tokenizer.ts';
export type { ImportOptions, ImportSummary } from './import/common.ts';
export { rederiveImports, type RederiveOptions, type RederiveReport } from './import/rederive.ts';
export type { CsvImportOptions, CsvReject } from './import/csv.ts';
