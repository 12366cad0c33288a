/** Analysis: revenue from feedback, market dynamics and lifecycles, takedown migration, early warning, ranking. */
export * from './types.ts';
export { estimateRevenue, aggregateRevenue, scaleByFeedbackRate, calibrateFeedbackRate } from './revenue.ts';
export { observedSales, type ObservedSale } from './sales.ts';
export { calibrateFromStock, type StockCalibration } from './stock.ts';
export { marketDynamics, marketLifecycles, type MarketMonth, type MarketLifecycle } from './dynamics.ts';
export { takedownMigration, type MigrationReport, type MigrationFlow, type MigratedIdentity } from './migration.ts';
export { substanceWarnings, type SubstanceSignal, type WarningOptions } from './warning.ts';
export { rankTargets, DEFAULT_WEIGHTS, LOG_DECADES, logNormalised, HARM_BY_CLASS, HARM_BY_SUBSTANCE, harmOf, type RankingWeights, type RankedTarget, type TargetFactor } from './ranking.ts';
export { evaluateAnalysis, visibleFeedbackRate, type AnalyseEvalOptions, type AnalyseEvalReport } from './eval.ts';
