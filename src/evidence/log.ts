import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { CaptureSeal, Database, EvidenceRecordType } from '../store/index.ts';
import type { WrittenRecord } from './warc/writer.ts';

const EVIDENCE_LOCK_KEY = 7_304_221_100;
export const EVIDENCE_GENESIS = '0'.repeat(64);

/** The fields of one evidence-log entry that its hash covers. */
export interface EvidenceEntryFields {
  at: string;
  record_id: string;
  record_type: EvidenceRecordType;
  target_uri: string | null;
  warc_file: string;
  warc_offset: number;
  warc_length: number;
  block_sha256: string;
  payload_sha256: string | null;
  job_id: string | null;
  capture_id: number | null;
  /** The capture's sealed fields, on the entry of its response/resource record (absent on entries before 0130). */
  seal?: CaptureSeal | null;
}

/**
 * hash = SHA-256 over the canonical JSON of [prev_hash, every field in a fixed order], with the seal as a 13th
 * element when there is one (entries without a seal hash exactly as before migration 0130).
 */
export function evidenceEntryHash(prevHash: string, e: EvidenceEntryFields): string {
  const fields: unknown[] = [
    prevHash,
    e.at,
    e.record_id,
    e.record_type,
    e.target_uri,
    e.warc_file,
    e.warc_offset,
    e.warc_length,
    e.block_sha256,
    e.payload_sha256,
    e.job_id,
    e.capture_id,
  ];
  if (e.seal) fields.push(e.seal);
  return createHash('sha256').update(canonicalJson(fields)).digest('hex');
}

export interface LogContext {
  jobId?: string | null;
  captureId?: number | null;
  /** Sealed on the entry of the record it names (seal.warc_record_id). */
  seal?: CaptureSeal;
}

/**
 * Appends written records to the hash-chained evidence log, in order, inside the caller's transaction (or a new
 * one). Appends are serialised across processes by an advisory lock so the chain stays linear.
 */
export async function appendEvidence(
  db: Kysely<Database>,
  records: readonly WrittenRecord[],
  context: LogContext = {},
): Promise<void> {
  await appendEvidenceGroups(db, [{ records, context }]);
}

/**
 * Appends several captures' records (a group commit) in one go: one lock, one chain-head read and one insert; the
 * entries chain in the order given, each group with its own capture id and seal.
 */
export async function appendEvidenceGroups(
  db: Kysely<Database>,
  groups: ReadonlyArray<{ records: readonly WrittenRecord[]; context: LogContext }>,
): Promise<void> {
  if (groups.every((g) => g.records.length === 0)) return;
  const write = async (trx: Transaction<Database>) => {
    await sql`select pg_advisory_xact_lock(${EVIDENCE_LOCK_KEY})`.execute(trx);
    const last = await trx.selectFrom('evidence_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
    let prev = last?.hash ?? EVIDENCE_GENESIS;
    const rows = groups.flatMap(({ records, context }) =>
      records.map((r) => {
        const fields: EvidenceEntryFields = {
          at: r.date.toISOString(),
          record_id: r.recordId,
          record_type: r.type,
          target_uri: r.targetUri ?? null,
          warc_file: r.file,
          warc_offset: r.offset,
          warc_length: r.length,
          block_sha256: r.blockSha256,
          payload_sha256: r.payloadSha256,
          job_id: context.jobId ?? null,
          // warcinfo records describe a file, not a capture
          capture_id: r.type === 'warcinfo' ? null : (context.captureId ?? null),
          seal: context.seal && context.seal.warc_record_id === r.recordId ? context.seal : null,
        };
        const hash = evidenceEntryHash(prev, fields);
        const row = { ...fields, seal: fields.seal ? JSON.stringify(fields.seal) : null, prev_hash: prev, hash };
        prev = hash;
        return row;
      }),
    );
    await trx.insertInto('evidence_log').values(rows).execute();
  };
  if (db.isTransaction) await write(db as Transaction<Database>);
  else await db.transaction().execute(write);
}

/** The newest entry's hash: write it down (case file, signed note) to anchor the chain outside the database. */
export async function evidenceChainHead(db: Kysely<Database>): Promise<{ entries: number; head: string }> {
  const last = await db.selectFrom('evidence_log').select(['id', 'hash']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const count = await db.selectFrom('evidence_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { entries: Number(count.n), head: last?.hash ?? EVIDENCE_GENESIS };
}
