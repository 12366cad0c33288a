// Adapter induction: labelled example pages → a declarative adapter (src/extract/adapter format), its coverage on
// a market's captures, and JSON (de)serialisation for saving and loading induced adapters.
export { induceAdapter, type InduceResult, type InducedField, type LabelledPage, type InduceOptions } from './induce.ts';
export { parseLabels, LabelError, INDUCE_FIELDS, INDUCE_FIELD_KEYS, type LabelFile, type PageLabel, type LabelValue, type InduceFieldKey } from './labels.ts';
export { adapterToJson, adapterFromJson, MAX_ADAPTER_JSON } from './serialize.ts';
export { coverageReport, type CoverageReport, type CoverageRow } from './coverage.ts';
export { labelsFromTruth, trainingFiles } from './truth.ts';
export { pageStructure, resolvePaths, StructureError, STRUCTURE_MAX_NODES, type PageStructure, type StructureNode } from './structure.ts';
