/** Evidence: WARC 1.1 files (one gzip member per record), the hash-chained evidence log, verification and export. */
export { base32, warcDigest, parseWarcDigest, sha256Hex } from './digest.ts';
export {
  serializeRecord,
  parseHeaderText,
  httpPayload,
  isChunked,
  dechunk,
  newRecordId,
  type WarcRecordInput,
  type WarcRecordType,
  type ParsedHeader,
} from './warc/record.ts';
export { WARC_AUDIT_ENV, auditCopy } from './warc/audit.ts';
export { WarcWriter, type WarcWriterOptions, type WrittenRecord, type VerbatimRecord } from './warc/writer.ts';
export { CommitTimeline } from './commit-timeline.ts';
export { readHttpResponse, decodeContent, MAX_DECODED_CONTENT, type HttpResponseParts } from './warc/http-message.ts';
export { inspectRecord, readWarcFile, readRecordAt, copyRecordBlock, type InspectedRecord, type ReadRecord } from './warc/reader.ts';
export { appendEvidence, evidenceChainHead, evidenceEntryHash, EVIDENCE_GENESIS, type EvidenceEntryFields } from './log.ts';
export {
  EvidenceRecorder,
  type EvidenceRecorderOptions,
  type HttpExchange,
  type ExchangeContext,
  type RecordedCapture,
  type ArchivedCapture,
  type GroupWork,
  type InTransaction,
} from './recorder.ts';
export { verifyEvidence, type VerifyOptions, type VerifyProblem, type VerifyReport, type ProblemKind } from './verify.ts';
export { exportEvidence, selectedCaptures, type ExportSelection, type ExportManifest, type ExportedRecord } from './export.ts';
export { exportWacz, surt, type WaczResult, type WaczSignature, type WaczSigner } from './wacz.ts';
export {
  caseCustody,
  custodyReportHtml,
  escapeHtml,
  CUSTODY_REPORT_CSP,
  type CustodyCapture,
  type CustodyEntry,
  type CustodyEvent,
  type CustodyReportInput,
  type CustodyVerification,
} from './custody.ts';
export { DEFAULT_EVIDENCE_DIR, resolveEvidenceDir } from './config.ts';
