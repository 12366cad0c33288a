/** Analysis: revenue from feedback, market dynamics and lifecycles, takedown migration, early warning, ranking. */
export * from './types.ts';
export { estimateRevenue, labelRevenueRows, aggregateRevenue, scaleByFeedbackRate, calibrateFeedbackRate } from './revenue.ts';
export { observedSales, type ObservedSale } from './sales.ts';
export { calibrateFromStock, type StockCalibration } from './stock.ts';
export { marketDynamics, marketLifecycles, type MarketMonth, type MarketLifecycle } from './dynamics.ts';
export { takedownMigration, NoClosureError, type MigrationReport, type MigrationFlow, type MigratedIdentity } from './migration.ts';
export { substanceWarnings, type SubstanceSignal, type WarningOptions } from './warning.ts';
export { rankTargets, DEFAULT_WEIGHTS, LOG_DECADES, logNormalised, HARM_BY_CLASS, HARM_BY_SUBSTANCE, harmOf, type RankingWeights, type RankedTarget, type TargetFactor } from './ranking.ts';
export { evaluateAnalysis, visibleFeedbackRate, recordClosures, type AnalyseEvalOptions, type AnalyseEvalReport } from './eval.ts';
export { revenueSeriesOf, revenueTotalOf, selectSales, bucketStart, type RevenuePoint, type RevenueTotal, type SeriesBucket } from './series.ts';
export { basicCounts, type BasicCounts } from './counts.ts';
export { placeOf, placeKey, type Place } from './places.ts';
