/** What kind of source an account lives on. Messenger channels and seized databases are sources too. */
export const SOURCE_KINDS = ['market', 'shop', 'forum', 'messenger', 'seized_db', 'scrape'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export const MARKET_STATUSES = ['unknown', 'up', 'down', 'seized', 'exit_scam', 'closed'] as const;
export type MarketStatus = (typeof MARKET_STATUSES)[number];

/**
 * Lifecycle observations of a market, in the order the crawler or an analyst records them. `mirror_added` and
 * `mirror_removed` follow the market's signed mirror list; `phishing_clone` is an onion that serves the market's
 * pages but is not in its signed list.
 */
export const MARKET_EVENT_KINDS = ['launched', 'up', 'down', 'seized', 'exit_scam', 'closed', 'moved', 'mirror_added', 'mirror_removed', 'phishing_clone'] as const;
export type MarketEventKind = (typeof MARKET_EVENT_KINDS)[number];

/** The market status an event sets (null: the event leaves the status as it is). */
export const EVENT_STATUS: Readonly<Record<MarketEventKind, MarketStatus | null>> = {
  launched: 'up', up: 'up', down: 'down', seized: 'seized', exit_scam: 'exit_scam', closed: 'closed',
  moved: null, mirror_added: null, mirror_removed: null, phishing_clone: null,
};

/** Where an onion stands for a market: configured by an analyst, in the latest signed list, dropped from it, or not the market. */
export const ONION_STATUSES = ['configured', 'listed', 'delisted', 'phishing', 'rejected'] as const;
export type OnionStatus = (typeof ONION_STATUSES)[number];
