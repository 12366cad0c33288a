/** What kind of source an account lives on. Messenger channels and seized databases are sources too. */
export const SOURCE_KINDS = ['market', 'shop', 'forum', 'messenger', 'seized_db', 'scrape'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const MARKET_STATUSES = ['unknown', 'up', 'down', 'seized', 'exit_scam', 'closed'] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];

/** Lifecycle observations of a market, in the order the crawler or an analyst records them. */
export const MARKET_EVENT_KINDS = ['launched', 'up', 'down', 'seized', 'exit_scam', 'closed', 'moved'] as const;
export type MarketEventKind = (typeof MARKET_EVENT_KINDS)[number];
