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

/** Takes the advisory lock that serialises appends to the log (held until the transaction ends). */
export const EVIDENCE_LOCK = sql<null>`pg_advisory_xact_lock(${sql.lit(EVIDENCE_LOCK_KEY)})`;
/** The chain head: the newest entry's hash (null when the log is empty). Read only under EVIDENCE_LOCK. */
export const EVIDENCE_HEAD = sql<string | null>`(select hash from evidence_log order by id desc limit 1)`;

/** An evidence_log row as inserted (the hash computed over the fields and the previous entry's hash). */
type LogRow = EvidenceEntryFields & { prev_hash: string; hash: string };

function chainRows(groups: ReadonlyArray<{ records: readonly WrittenRecord[]; context: LogContext }>, head: string): LogRow[] {
  let prev = head;
  return groups.flatMap(({ records, context }) =>
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
      const row: LogRow = { ...fields, prev_hash: prev, hash: evidenceEntryHash(prev, fields) };
      prev = row.hash;
      return row;
    }),
  );
}

/**
 * Appends several captures' records (a group commit) in one go: one lock, one chain-head read and one insert; the
 * entries chain in the order given, each group with its own capture id and seal.
 *
 * `held`: the caller's transaction already holds EVIDENCE_LOCK and read the head (`expectedHead`, null for an empty
 * log) in an earlier statement. The insert then checks, in its own snapshot taken under the lock, that the head is
 * still that one (a statement that took the lock may have read the head in a snapshot taken before another
 * process's append committed): the rows go in only if it is, so no extra statement is needed in the usual case;
 * otherwise the head is read again and the entries chained onto it.
 */
export async function appendEvidenceGroups(
  db: Kysely<Database>,
  groups: ReadonlyArray<{ records: readonly WrittenRecord[]; context: LogContext }>,
  held?: { expectedHead: string | null },
): Promise<void> {
  if (groups.every((g) => g.records.length === 0)) return;
  const write = async (trx: Transaction<Database>) => {
    if (held) {
      const rows = chainRows(groups, held.expectedHead ?? EVIDENCE_GENESIS);
      const r = await sql`insert into evidence_log (at, record_id, record_type, target_uri, warc_file, warc_offset, warc_length, block_sha256, payload_sha256, job_id, capture_id, seal, prev_hash, hash)
        select at, record_id, record_type, target_uri, warc_file, warc_offset, warc_length, block_sha256, payload_sha256, job_id, capture_id, seal, prev_hash, hash
        from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as (at timestamptz, record_id text, record_type text, target_uri text, warc_file text,
          warc_offset int8, warc_length int8, block_sha256 text, payload_sha256 text, job_id text, capture_id int4, seal jsonb, prev_hash text, hash text)) with ordinality as x
        where ${EVIDENCE_HEAD} is not distinct from ${held.expectedHead}
        order by x.ordinality`.execute(trx);
      if (Number(r.numAffectedRows ?? 0) === rows.length) return;
    } else {
      await sql`select ${EVIDENCE_LOCK}`.execute(trx);
    }
    const last = await trx.selectFrom('evidence_log').select('hash').orderBy('id', 'desc').limit(1).executeTakeFirst();
    const rows = chainRows(groups, last?.hash ?? EVIDENCE_GENESIS).map((r) => ({ ...r, seal: r.seal ? JSON.stringify(r.seal) : null }));
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
