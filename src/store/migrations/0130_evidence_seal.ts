import type { Migration } from './types.ts';

/**
 * Binds each capture's court-relevant fields (URL, time, digests, record id, WARC position, agency, case, job) to the
 * hash-chained evidence log: the log entry of the capture's response/resource record carries them as `seal`, and the
 * entry's hash covers the seal, so an edit to the captures row (or to the agency, job or case it names) is detected
 * and named by `evidence verify`. Entries written before this migration have no seal and hash as before.
 * ALTER TABLE fires no row or statement trigger, so the append-only trigger of 0100 stays as it is.
 */
export const migration: Migration = {
  id: 130,
  name: 'evidence_seal',
  up: `alter table evidence_log add column seal jsonb check (seal is null or jsonb_typeof(seal) = 'object');`,
};
