/** Extraction: captured pages → listings, vendors, feedback and prices, with provenance. Pure functions, no I/O. */
export * from './types.ts';
export type {
  Adapter,
  AdapterHooks,
  BuiltinTransform,
  FieldSpec,
  HookContext,
  PageSpec,
  PageTypeRule,
  RecordSpec,
  TransformName,
} from './adapter/types.ts';
export { extractPage, loadPage, runAdapterOnPage, MAX_PAGE_BYTES, type ExtractOptions, type LoadedPage } from './adapter/run.ts';
export { validateAdapter, compareVersions, AdapterError } from './adapter/validate.ts';
export { detectPageType, detectBlockingPage } from './adapter/detect.ts';
export { parsePrice, findPrices, parseNumber, parseDate, splitList, decodeEntities } from './adapter/transforms.ts';
export { parseRatingText, findPgpBlocks } from './adapter/fields.ts';
export { decodeHtml, type DecodedText } from './html/decode.ts';
export { DEFAULT_DOM_LIMITS, type DomLimits } from './html/dom.ts';
export { agoraAdapter } from './adapters/agora.ts';
export { ADAPTERS, adapterForUrl, getAdapter } from './adapters/index.ts';
export { scorePage, report as scoreReport, formatReport as formatScoreReport, type FieldScores, type TruthPage } from './eval/score.ts';
export { extractGeneric, GENERIC_REF, GENERIC_VERSION, type Confidence, type GenericResult } from './generic/index.ts';
export { shippingSignatures, shippingProfile, type ShippingTrait, type ShippingTraitKind } from './shipping/index.ts';
export { parseDestinations, type Destinations } from './shipping/destinations.ts';
export { classifyListing, unitPrices, parseAmounts, normaliseTitle, SUBSTANCES, type SubstanceEntry } from './classify/index.ts';
export { SIM_ADAPTERS, SIM_DESIGNS, simAdapterFor, type SimDesign } from './adapters/sim-adapters.ts';
export { evaluateSimExtraction, defaultEvalDay, type SimExtractEvalOptions, type SimExtractEvalResult, type SimTruthPage, type MarketExtractEval } from './eval/sim.ts';
export { evaluateAgoraFixtures, type AgoraFixtureEval } from './eval/agora-fixtures.ts';
export { evaluateAgoraClassification, classOfAgoraCategory, type ClassifyAgreement } from './eval/agora-classify.ts';
export { evaluateGenericReal, evaluateGenericAgora, DEFAULT_MARKETS_2019, DEFAULT_MARKETS_2019_TRUTH, type GenericRealEval, type GenericEvalReport, type RealTruthPage, type UrlMode, type PageMiss, type AdapterEvalOptions, eqPlace, eqPlaces, eqPath } from './eval/generic-real.ts';
export * from './induce/index.ts';
