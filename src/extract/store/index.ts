export { saveExtraction, normalizeHandle, feedbackKey, type SaveContext, type SaveReport, type ListingClass } from './save.ts';
export { extractCaptures, type ExtractCapturesOptions, type ExtractCapturesReport } from './captures.ts';
export { loadFxTable, saveFxRates } from './fx.ts';
export { classifyForStore } from './classify.ts';
export { saveSightings, scanSightings, saveScanned, readWalletColumn, type ScannedSightings, type TextToScan, type ColumnToRead, type SightingOrigin, type SightingsReport } from './sightings.ts';
export { extractMarkets, extractionTotals, type ExtractionTotals } from './markets.ts';
