// Public face of vendor identity resolution (issue 7).
export { runLinking, loadDecisions, type LinkRunOptions, type LinkRunReport } from './run.ts';
export { resolveAccounts, type Decisions, type Resolution, type ResolveOptions } from './resolve.ts';
export { loadAccounts, type AccountData, type LoadOptions, type PgpKeyInfo, type SelectorSeen } from './load.ts';
export { verifiedCertifications, type VerifiedCertifications } from './certify.ts';
export { prepareAccounts, styleText, UNCLASSIFIED, type Prepared, type PrepareOptions } from './prepare.ts';
export { candidatePairs, type BlockingOptions, type CandidateSet } from './blocking.ts';
export { clusterAccounts, type ClusterOptions, type ClusterResult, type ScoredPair } from './cluster.ts';
export {
  FEATURES, FEATURE_LABELS, MODEL_PATH, RULES, RULE_WEIGHTS, RULE_LABELS, MIN_STYLE_WORDS, loadModel, pairFeatures, explain, isHard, logit, sigmoid,
  type FeatureName, type RuleName, type LinkModel, type LinkExplanation, type EvidenceItem, type PairFeatures, type SharedSelector,
} from './model.ts';
export { nameKeys, nameSimilarity, type NameKeys } from './name.ts';
export { styleTokens, addStyleTokens, tfidf, cosine, FeatureSpace, CountAccumulator, type StyleVector } from './style.ts';
export { fitLogistic, modelFrom, type LabelledPair, type FitOptions } from './train.ts';
export {
  evaluateLinking, evaluateLinkingByVendor, linkEvidenceCounts, HARD_KINDS, type LinkEvaluation, type LinkTruth, type PrfRow,
  type VendorLinkEvaluation, type EvidenceKindCount,
} from './evaluate.ts';
export { evaluateOnSim, trainOnSim, type SimEvalResult, type SimLinkOptions, type TrainResult } from './sim.ts';
export { confirmLink, rejectLink, splitIdentity, mergeIdentities, LinkDecisionError, type DecisionActor } from './decisions.ts';
export { showVendorLinks, type VendorLinkView, type AccountRef } from './show.ts';
