export { extractGeneric, GENERIC_REF, GENERIC_VERSION, type Confidence, type GenericResult } from './extract.ts';
export { MIN_CONFIDENCE, type FieldFinding } from './detail.ts';
export { findRepeatedGroups, bestListingGroup, bestFeedbackGroup, type RepeatedGroup } from './blocks.ts';
