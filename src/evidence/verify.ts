import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { parseWarcDigest } from './digest.ts';
import { EVIDENCE_GENESIS, evidenceEntryHash } from './log.ts';
import { inspectRecord } from './warc/reader.ts';

export type ProblemKind =
  | 'chain-broken' // an entry's prev_hash or hash does not match its predecessor or content
  | 'file-missing'
  | 'record-unreadable' // the gzip member or WARC header at the logged position cannot be read
  | 'record-mismatch' // record id, type, length or a digest differs from the log or from the record's own headers
  | 'capture-mismatch' // a captures row disagrees with the evidence log
  | 'unlogged-bytes' // bytes in a WARC file that no log entry covers (e.g. a crash between write and log)
  | 'unlogged-file';

export interface VerifyProblem {
  kind: ProblemKind;
  /** Errors mean tampering or loss; warnings are explainable (a crash left unlogged bytes at a file's end). */
  severity: 'error' | 'warning';
  file?: string;
  offset?: number;
  recordId?: string;
  entryId?: number;
  captureId?: number;
  /** What differs, in words: "block digest: logged …, recomputed …". */
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  records: number;
  files: number;
  bytes: number;
  chainHead: string;
  problems: VerifyProblem[];
}

export interface VerifyOptions {
  dir: string;
  /** Stop collecting problems after this many (default 1000). */
  maxProblems?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Re-reads every logged WARC record and recomputes the hash chain: reports, precisely, any entry whose chain link
 * or hash is wrong, any record whose bytes no longer match its logged and declared digests, any file that is
 * gone, and any bytes in the evidence directory the log does not account for.
 */
export async function verifyEvidence(db: Kysely<Database>, options: VerifyOptions): Promise<VerifyReport> {
  const dir = path.resolve(options.dir);
  const max = options.maxProblems ?? 1000;
  const problems: VerifyProblem[] = [];
  const add = (p: VerifyProblem) => {
    if (problems.length < max) problems.push(p);
  };
  const total = Number(
    (await db.selectFrom('evidence_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
  );
  const coverage = new Map<string, Array<[number, number]>>();
  let prev = EVIDENCE_GENESIS;
  let lastId = 0;
  let entries = 0;
  let records = 0;
  let bytes = 0;
  for (;;) {
    const rows = await db.selectFrom('evidence_log').selectAll().where('id', '>', lastId).orderBy('id').limit(2000).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      lastId = r.id;
      entries++;
      const where = { file: r.warc_file, offset: r.warc_offset, recordId: r.record_id, entryId: r.id };
      if (r.prev_hash !== prev) {
        add({ kind: 'chain-broken', severity: 'error', ...where, detail: `prev_hash ${r.prev_hash} does not match the previous entry's hash ${prev} (an entry was removed, inserted or reordered)` });
      }
      const expected = evidenceEntryHash(r.prev_hash, {
        at: r.at.toISOString(),
        record_id: r.record_id,
        record_type: r.record_type,
        target_uri: r.target_uri,
        warc_file: r.warc_file,
        warc_offset: r.warc_offset,
        warc_length: r.warc_length,
        block_sha256: r.block_sha256,
        payload_sha256: r.payload_sha256,
        job_id: r.job_id,
        capture_id: r.capture_id,
      });
      if (expected !== r.hash) {
        add({ kind: 'chain-broken', severity: 'error', ...where, detail: `entry hash ${r.hash} does not match its content (recomputed ${expected}): the entry was edited` });
      }
      prev = r.hash;
      const list = coverage.get(r.warc_file) ?? [];
      list.push([r.warc_offset, r.warc_length]);
      coverage.set(r.warc_file, list);
      const filePath = path.join(dir, r.warc_file);
      if (path.basename(r.warc_file) !== r.warc_file || !existsSync(filePath)) {
        add({ kind: 'file-missing', severity: 'error', ...where, detail: `WARC file ${r.warc_file} is missing from ${dir}` });
        continue;
      }
      let rec;
      try {
        rec = await inspectRecord(filePath, r.warc_offset, r.warc_length);
      } catch (err) {
        add({ kind: 'record-unreadable', severity: 'error', ...where, detail: `cannot read the record at ${r.warc_file}:${r.warc_offset} (${r.warc_length} bytes): ${(err as Error).message}` });
        continue;
      }
      records++;
      bytes += r.warc_length;
      const diffs: string[] = [];
      const id = rec.header.get('WARC-Record-ID');
      if (id !== r.record_id) diffs.push(`record id: logged ${r.record_id}, in file ${id ?? '(none)'}`);
      const type = rec.header.get('WARC-Type');
      if (type !== r.record_type) diffs.push(`type: logged ${r.record_type}, in file ${type ?? '(none)'}`);
      if (rec.blockSha256 !== r.block_sha256) diffs.push(`block digest: logged ${r.block_sha256}, recomputed ${rec.blockSha256}`);
      const declaredBlock = rec.header.get('WARC-Block-Digest');
      if (declaredBlock !== undefined && parseWarcDigest(declaredBlock) !== rec.blockSha256) {
        diffs.push(`block digest: header says ${declaredBlock}, recomputed sha256 ${rec.blockSha256}`);
      }
      if (r.payload_sha256 && rec.payloadSha256 && rec.payloadSha256 !== r.payload_sha256) {
        diffs.push(`payload digest: logged ${r.payload_sha256}, recomputed ${rec.payloadSha256}`);
      }
      const declaredPayload = rec.header.get('WARC-Payload-Digest');
      if (declaredPayload !== undefined && rec.payloadSha256 && parseWarcDigest(declaredPayload) !== rec.payloadSha256) {
        diffs.push(`payload digest: header says ${declaredPayload}, recomputed sha256 ${rec.payloadSha256}`);
      }
      diffs.push(...rec.framing);
      if (diffs.length) add({ kind: 'record-mismatch', severity: 'error', ...where, detail: diffs.join('; ') });
      options.onProgress?.(entries, total);
    }
  }

  // Captures must agree with the log (a capture row pointing at a record the log does not have is not evidence).
  const mismatched = await db
    .selectFrom('captures as c')
    .leftJoin('evidence_log as e', 'e.record_id', 'c.warc_record_id')
    .select(['c.id', 'c.warc_record_id', 'c.warc_file', 'c.warc_offset', 'c.block_sha256', 'e.block_sha256 as logged_block', 'e.warc_file as logged_file', 'e.warc_offset as logged_offset', 'e.id as entry_id'])
    .where('c.warc_record_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('e.id', 'is', null),
        eb('e.block_sha256', '!=', eb.ref('c.block_sha256')),
        eb('e.warc_file', '!=', eb.ref('c.warc_file')),
        eb('e.warc_offset', '!=', eb.ref('c.warc_offset')),
      ]),
    )
    .limit(max)
    .execute();
  for (const m of mismatched) {
    add({
      kind: 'capture-mismatch',
      severity: 'error',
      captureId: m.id,
      recordId: m.warc_record_id ?? undefined,
      file: m.warc_file ?? undefined,
      offset: m.warc_offset ?? undefined,
      detail: m.entry_id === null
        ? `capture ${m.id} points at record ${m.warc_record_id} which is not in the evidence log`
        : `capture ${m.id} says ${m.warc_file}:${m.warc_offset} block ${m.block_sha256}, the log says ${m.logged_file}:${m.logged_offset} block ${m.logged_block}`,
    });
  }

  // Bytes nobody logged: gaps between logged records and tails (a crash after writing, before logging) and files.
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.warc(\.gz)?$/.test(f)) : [];
  for (const f of files) {
    const size = statSync(path.join(dir, f)).size;
    const spans = (coverage.get(f) ?? []).sort((a, b) => a[0] - b[0]);
    if (spans.length === 0) {
      add({ kind: 'unlogged-file', severity: 'warning', file: f, detail: `${f} (${size} bytes) has no evidence-log entry` });
      continue;
    }
    let pos = 0;
    for (const [off, len] of spans) {
      if (off > pos) add({ kind: 'unlogged-bytes', severity: 'error', file: f, offset: pos, detail: `${off - pos} byte(s) between logged records at ${pos}..${off} are not in the log` });
      pos = Math.max(pos, off + len);
    }
    if (size > pos) {
      add({ kind: 'unlogged-bytes', severity: 'warning', file: f, offset: pos, detail: `${size - pos} byte(s) after the last logged record (written but never logged, e.g. the process was killed)` });
    }
  }
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    entries,
    records,
    files: files.length,
    bytes,
    chainHead: prev,
    problems,
  };
}
