export { openStore, type Store } from './open.ts';
export { resolveStoreConfig, redactUrl, DEFAULT_DATA_DIR, type StoreOptions } from './config.ts';
export { migrate, type MigrationReport } from './migrate.ts';
export { MIGRATIONS, type Migration } from './migrations/index.ts';
export * from './errors.ts';
export type * from './schema.ts';
export { appendAudit, verifyAuditChain, AUDIT_GENESIS, type AuditEntry, type AuditVerification } from './audit.ts';
export { createScratchDatabase, type ScratchDatabase } from './scratch.ts';
export { refreshMarketCounts, marketCountsAge } from './market-counts.ts';
