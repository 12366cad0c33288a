// Follow the money: chain sources (Bitcoin Core RPC, Esplora), clustering, TagPack attribution, tracing, reports.
export * from './types.ts';
export { httpFetch, redact, type HttpOptions } from './http.ts';
export { BitcoinCoreSource, toSats, type BitcoinCoreOptions } from './rpc-source.ts';
export { EsploraSource, fromEsplora } from './esplora-source.ts';
export { ChainGraph } from './graph.ts';
export { Clusters, isCoinJoin, changeOutput, expandCluster, type ClusterLink, type ClusterOptions } from './cluster.ts';
export {
  parseTagPack, exportTagPack, TagPackError, TAG_CATEGORIES, SERVICE_CATEGORIES, CONFIDENCE_LEVELS, type AddressTag, type TagPack,
} from './tagpack.ts';
export { Attribution, type ServiceMatch } from './attribution.ts';
export { traceHaircut, type Arrival, type TraceOptions, type TraceResult } from './trace.ts';
export { evaluateMoney, scoreClusters, knownAddresses, simTags, type MoneyEval, type ClusterScore } from './eval.ts';
export { cashOutReport, draftExchangeRequest, type CashOutReport, type ServiceLine, type DepositLine, type AddressEvidence, type Valued } from './report.ts';
export { cashOutStix } from './stix.ts';
export { saveTagPack, loadTags, vendorAddresses, addressEvidence, preserveChainData } from './store.ts';
export { runMoneyTrace, MoneyInputError, type MoneyTraceOptions } from './run.ts';
