/** An estimate with its uncertainty interval (95%, from feedback sampling and the feedback-rate range). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

export interface RevenueOptions {
  /**
   * Share of sales that leave feedback. Calibrate it from a seized database (orders vs feedback on the same
   * market: `calibrateFeedbackRate`) or give an agency's working value; `feedbackRateRange` widens the interval.
   */
  feedbackRate: number;
  feedbackRateRange?: [number, number];
  /**
   * Average units per order (a feedback names the listing, not how many units were bought). Calibrate it from a
   * seized database's orders; default 1.
   */
  unitsPerSale?: number;
  /**
   * Count units from stock decrements between listing snapshots where the crawler saw them (stock fell between two
   * visits, no restock), and scale feedback only where stock does not tell (before the first visit, across a
   * restock, after the last visit). Units per feedback entry are calibrated per market from the same snapshots
   * (`calibrateFromStock`) unless `unitsPerFeedback` gives them. Default false: every feedback entry scaled by
   * `feedbackRate` and `unitsPerSale`.
   */
  useStock?: boolean;
  /**
   * Days between a sale showing in the stock a crawler sees and its feedback being left (feedback comes about a
   * week after the order; a market's stock display trails orders by a few days). Default 2, chosen on training
   * world train-1 (2: 95% of vendors within ±15%, 3: 93%, 4: 93%).
   */
  feedbackOffsetDays?: number;
  /**
   * How far a market's stock display trails its sales, in days: at the end of observation (the last crawl, or the
   * market's closure) the listing's recent stock rate is extrapolated over this gap. Default 3.5.
   */
  stockLagDays?: number;
  /** Orders in this many days before an exit scam are taken as never finalised (escrow stolen). Default 10. */
  exitScamLossDays?: number;
  /** Units sold per visible feedback entry, by market id (overrides the stock calibration for those markets). */
  unitsPerFeedback?: Record<number, number>;
  /** A listing priced above this many times the median of its substance class is a holding/placeholder listing. */
  outlierFactor?: number;
  from?: Date;
  to?: Date;
  agencyIds?: number[];
}

/**
 * The revenue model every surface uses unless told otherwise (CLI `report` defaults, the API, the console, the
 * demo): feedback rate 0.65 (interval ±15% on it), 1.2 units per order, units from stock decrements where the crawler
 * saw them. One set of options, so a figure is the same wherever it is read.
 */
export const DEFAULT_REVENUE_OPTIONS: RevenueOptions = Object.freeze({ feedbackRate: 0.65, feedbackRateRange: [0.65 * 0.85, 0.65 * 1.15] as [number, number], unitsPerSale: 1.2, useStock: true });

export const REVENUE_GROUPS = ['vendor', 'identity', 'market', 'substance_class', 'ships_from', 'month'] as const;
export type RevenueGroup = (typeof REVENUE_GROUPS)[number];

export interface RevenueRow {
  key: string;
  label: string;
  /** Feedback entries counted as sales (after de-duplication and outlier removal). */
  feedback: number;
  /** Estimated sales and revenue in USD. */
  sales: Estimate;
  revenueUsd: Estimate;
}
