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
  /** A listing priced above this many times the median of its substance class is a holding/placeholder listing. */
  outlierFactor?: number;
  from?: Date;
  to?: Date;
  agencyIds?: number[];
}

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
