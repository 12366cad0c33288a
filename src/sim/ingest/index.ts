// Public face of the fast world → store loader (bypasses crawling; see ingest.ts for what stays honest).
export { ingestWorld, INGEST_ADAPTER, type IngestOptions, type IngestReport } from './ingest.ts';
export { profileText, listingText, messageText, sha256Hex } from './render.ts';
