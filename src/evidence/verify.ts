import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { CaptureSeal, Database } from '../store/index.ts';
import { parseWarcDigest } from './digest.ts';
import { EVIDENCE_GENESIS, evidenceEntryHash } from './log.ts';
import { captureSeals, sealDifferences } from './seal.ts';
import { inspectRecord, type InspectedRecord } from './warc/reader.ts';
import { scanWarcFile, type ScannedSpan } from './warc/scan.ts';

export type ProblemKind =
  | 'chain-broken' // an entry's prev_hash or hash does not match its predecessor or content
  | 'chain-reordered' // every link is intact but the entries are stored in another order than the chain runs
  | 'file-missing'
  | 'record-unreadable' // the gzip member of a logged record is damaged or gone
  | 'record-mismatch' // record id, type, length or a digest differs from the log or from the record's own headers
  | 'record-moved' // readable records stand at other offsets than logged (bytes were inserted or removed before them)
  | 'records-reordered' // records of a file are no longer in the order they were logged
  | 'capture-mismatch' // a captures row points at a record the log does not have, or at another capture's record
  | 'capture-edited' // a sealed field of a capture (URL, time, digests, record id, agency, case…) was changed
  | 'capture-unsealed' // a capture recorded before sealing (migration 0130): its URL and time are not bound
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
  /**
   * Verify for these captures only (a case): the whole hash chain is still recomputed (a chain is only as good as
   * every link), but only these captures' records are re-read and their seals compared, and the store-wide checks
   * (bytes or files no entry covers, captures of records outside the set) are left to a full run.
   */
  captureIds?: readonly number[];
}

type LogRow = {
  id: number;
  record_id: string;
  record_type: string;
  warc_file: string;
  warc_offset: number;
  warc_length: number;
  block_sha256: string;
  payload_sha256: string | null;
};

/** A logged record of a file being verified after a fault: where the log put it and where it is now. */
interface Placed {
  entryId: number;
  recordId: string;
  logged: number;
  length: number;
  /** Its offset in the file now; undefined when no readable member carries its record id. */
  now?: number;
}

/** A file in which some record was not where the log says: scanned once, then every later record is placed. */
interface ScannedFile {
  spans: ScannedSpan[];
  byRecordId: Map<string, ScannedSpan & { kind: 'record' }>;
  placed: Placed[];
}

/**
 * Re-reads every logged WARC record and recomputes the hash chain. Reports, precisely: entries whose chain link or
 * hash is wrong (a reordering of entries as one problem); records whose bytes no longer match their logged and
 * declared digests; captures whose sealed fields (URL, time, digests, record id, agency, case) were edited; files
 * that are gone; and bytes the log does not account for. After a damaged record the reader resynchronises on the
 * next readable record, so one fault is reported once, and records that moved or were reordered are named as such.
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
  const scanned = new Map<string, ScannedFile>();
  const chain = new ChainChecker();
  const scope = options.captureIds ? new Set(options.captureIds) : null;
  const inScope = (captureId: number | null) => scope === null || (captureId !== null && scope.has(captureId));
  let lastId = 0;
  let entries = 0;
  let records = 0;
  let bytes = 0;

  /** Compares one re-read record (read at `offset`, where it is now) with its log entry. */
  const compare = (r: LogRow, rec: InspectedRecord, length: number) => {
    const where = { file: r.warc_file, offset: r.warc_offset, recordId: r.record_id, entryId: r.id };
    records++;
    bytes += length;
    const diffs: string[] = [];
    const id = rec.header.get('WARC-Record-ID');
    if (id !== r.record_id) diffs.push(`record id: logged ${r.record_id}, in file ${id ?? '(none)'}`);
    const type = rec.header.get('WARC-Type');
    if (type !== r.record_type) diffs.push(`type: logged ${r.record_type}, in file ${type ?? '(none)'}`);
    if (rec.blockSha256 !== r.block_sha256) diffs.push(`block digest: logged ${r.block_sha256}, recomputed ${rec.blockSha256}`);
    const declaredBlock = rec.header.get('WARC-Block-Digest');
    // Other tools' records (imported verbatim) may declare SHA-1 digests: those were checked on import.
    if (declaredBlock !== undefined && parseWarcDigest(declaredBlock) !== undefined && parseWarcDigest(declaredBlock) !== rec.blockSha256) {
      diffs.push(`block digest: header says ${declaredBlock}, recomputed sha256 ${rec.blockSha256}`);
    }
    if (r.payload_sha256 && rec.payloadSha256 && rec.payloadSha256 !== r.payload_sha256 && rec.transferredSha256 !== r.payload_sha256) {
      diffs.push(`payload digest: logged ${r.payload_sha256}, recomputed ${rec.payloadSha256}`);
    }
    const declaredPayload = rec.header.get('WARC-Payload-Digest');
    // WARC 1.1 digests the entity body after transfer decoding; some tools (warcio) digest a chunked body as sent.
    const declaredPayloadSha = declaredPayload === undefined ? undefined : parseWarcDigest(declaredPayload);
    if (declaredPayloadSha !== undefined && rec.payloadSha256 && declaredPayloadSha !== rec.payloadSha256 && declaredPayloadSha !== rec.transferredSha256) {
      diffs.push(`payload digest: header says ${declaredPayload}, recomputed sha256 ${rec.payloadSha256}`);
    }
    diffs.push(...rec.framing);
    if (diffs.length) add({ kind: 'record-mismatch', severity: 'error', ...where, detail: diffs.join('; ') });
  };

  for (;;) {
    const rows = await db.selectFrom('evidence_log').selectAll().where('id', '>', lastId).orderBy('id').limit(2000).execute();
    if (rows.length === 0) break;
    const sealed = rows.filter((r) => r.seal !== null && r.capture_id !== null && inScope(r.capture_id));
    const current = await captureSeals(db, sealed.map((r) => r.capture_id as number));
    for (const r of rows) {
      lastId = r.id;
      entries++;
      const where = { file: r.warc_file, offset: r.warc_offset, recordId: r.record_id, entryId: r.id };
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
        seal: r.seal,
      });
      if (expected !== r.hash) {
        add({ kind: 'chain-broken', severity: 'error', ...where, detail: `entry hash ${r.hash} does not match its content (recomputed ${expected}): the entry was edited` });
      }
      chain.next({ id: r.id, prevHash: r.prev_hash, hash: r.hash, where });
      if (!inScope(r.capture_id)) continue;

      if (r.seal && r.capture_id !== null) {
        const now = current.get(r.capture_id);
        const seal = r.seal as CaptureSeal;
        if (!now) add({ kind: 'capture-edited', severity: 'error', ...where, captureId: r.capture_id, detail: `capture ${r.capture_id} sealed in the log (${seal.url}, fetched ${seal.fetched_at}) no longer exists` });
        else {
          const diffs = sealDifferences(seal, now);
          if (diffs.length) add({ kind: 'capture-edited', severity: 'error', ...where, captureId: r.capture_id, detail: `capture ${r.capture_id} was edited after it was sealed: ${diffs.join('; ')}` });
        }
      }

      const filePath = path.join(dir, r.warc_file);
      if (path.basename(r.warc_file) !== r.warc_file || !existsSync(filePath)) {
        add({ kind: 'file-missing', severity: 'error', ...where, detail: `WARC file ${r.warc_file} is missing from ${dir}` });
        continue;
      }
      const list = coverage.get(r.warc_file) ?? [];
      coverage.set(r.warc_file, list);
      let file = scanned.get(r.warc_file);
      if (!file) {
        const rec = await inspectRecord(filePath, r.warc_offset, r.warc_length).catch(() => null);
        if (rec && rec.header.get('WARC-Record-ID') === r.record_id) {
          list.push([r.warc_offset, r.warc_length]);
          compare(r, rec, r.warc_length);
          options.onProgress?.(entries, total);
          continue;
        }
        // The first record not where the log says: read the file as it is now, and place this and every later record.
        const spans = scanWarcFile(filePath);
        const byRecordId = new Map<string, ScannedSpan & { kind: 'record' }>();
        for (const s of spans) if (s.kind === 'record' && s.recordId) byRecordId.set(s.recordId, s);
        file = { spans, byRecordId, placed: [] };
        scanned.set(r.warc_file, file);
      }
      const found = file.byRecordId.get(r.record_id);
      file.placed.push({ entryId: r.id, recordId: r.record_id, logged: r.warc_offset, length: r.warc_length, now: found?.offset });
      if (found) {
        list.push([found.offset, found.length]);
        try {
          compare(r, await inspectRecord(filePath, found.offset, found.length), found.length);
        } catch (err) {
          add({ kind: 'record-unreadable', severity: 'error', ...where, detail: `cannot read the record at ${r.warc_file}:${found.offset} (${found.length} bytes): ${(err as Error).message}` });
        }
      }
      options.onProgress?.(entries, total);
    }
  }
  for (const p of chain.finish()) add(p);
  for (const [name, file] of scanned) for (const p of placementProblems(name, file, coverage.get(name) ?? [])) add(p);

  // Captures must point at a record of the log, sealed for them (or recorded before sealing existed).
  const scoped = scope ? [...scope] : null;
  const mismatched = [];
  for (let i = 0; scoped === null ? i === 0 : i < scoped.length; i += 5000) {
    let mq = db
    .selectFrom('captures as c')
    .leftJoin('evidence_log as e', 'e.record_id', 'c.warc_record_id')
    .select(['c.id', 'c.warc_record_id', 'c.warc_file', 'c.warc_offset', 'c.block_sha256', 'e.block_sha256 as logged_block', 'e.warc_file as logged_file', 'e.warc_offset as logged_offset', 'e.id as entry_id', 'e.seal'])
    .where('c.warc_record_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('e.id', 'is', null),
        eb('e.seal', 'is', null),
        eb(sql<number>`(e.seal->>'capture_id')::int`, '!=', eb.ref('c.id')),
      ]),
    )
    .orderBy('c.id')
    .limit(max);
    if (scoped) mq = mq.where('c.id', 'in', scoped.slice(i, i + 5000));
    mismatched.push(...(await mq.execute()));
  }
  for (const m of mismatched) {
    const at = { captureId: m.id, recordId: m.warc_record_id ?? undefined, file: m.warc_file ?? undefined, offset: m.warc_offset ?? undefined };
    if (m.entry_id === null) add({ kind: 'capture-mismatch', severity: 'error', ...at, detail: `capture ${m.id} points at record ${m.warc_record_id} which is not in the evidence log` });
    else if (m.seal) add({ kind: 'capture-mismatch', severity: 'error', ...at, entryId: m.entry_id, detail: `capture ${m.id} points at record ${m.warc_record_id}, which the log sealed for capture ${(m.seal as CaptureSeal).capture_id}` });
    else if (m.block_sha256 !== m.logged_block || m.warc_file !== m.logged_file || m.warc_offset !== m.logged_offset)
      add({ kind: 'capture-mismatch', severity: 'error', ...at, entryId: m.entry_id, detail: `capture ${m.id} says ${m.warc_file}:${m.warc_offset} block ${m.block_sha256}, the log says ${m.logged_file}:${m.logged_offset} block ${m.logged_block}` });
    else add({ kind: 'capture-unsealed', severity: 'warning', ...at, entryId: m.entry_id, detail: `capture ${m.id} was recorded before captures were sealed (migration 0130): its digests and WARC position are checked, its URL and time are not bound to the log` });
  }

  // Bytes nobody logged: gaps between logged records and tails (a crash after writing, before logging) and files.
  const files = scope ? [] : existsSync(dir) ? readdirSync(dir).filter((f) => /\.warc(\.gz)?$/.test(f)) : [];
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
    files: scope ? coverage.size : files.length,
    bytes,
    chainHead: chain.head,
    problems,
  };
}

/**
 * What happened to the records of a file that was scanned after a fault, one problem per fault:
 *   - records whose member is damaged or gone (each with the damaged span that holds it, so it is not also
 *     reported as unlogged bytes);
 *   - records that are out of logged order (named together as one reordering);
 *   - runs of records that stand at a constant distance from their logged offsets (bytes inserted or removed).
 */
function placementProblems(file: string, f: ScannedFile, coverage: Array<[number, number]>): VerifyProblem[] {
  const out: VerifyProblem[] = [];
  const found = f.placed.filter((p) => p.now !== undefined) as Array<Placed & { now: number }>;
  const inOrder = new Set(longestIncreasing(found.map((p) => p.now)).map((i) => found[i]!.entryId));
  const reordered = found.filter((p) => !inOrder.has(p.entryId));
  let region: [number, number] | null = null;
  if (reordered.length) {
    region = [Math.min(...reordered.map((p) => Math.min(p.logged, p.now))), Math.max(...reordered.map((p) => Math.max(p.logged, p.now) + p.length))];
    const named = reordered.slice(0, 10).map((p) => `${p.recordId} (logged @${p.logged}, now @${p.now})`).join(', ');
    out.push({
      kind: 'records-reordered',
      severity: 'error',
      file,
      offset: region[0],
      recordId: reordered[0]!.recordId,
      entryId: reordered[0]!.entryId,
      detail: `records of ${file} were reordered: ${reordered.length} record(s) no longer stand in logged order: ${named}${reordered.length > 10 ? ', …' : ''}`,
    });
  }

  // Damaged members: each missing record takes the damaged span where it should be now.
  const damaged = f.spans.filter((s): s is ScannedSpan & { kind: 'damaged' } => s.kind === 'damaged');
  const used = new Set<ScannedSpan>();
  let shift = 0;
  for (const p of f.placed) {
    if (p.now !== undefined) {
      if (inOrder.has(p.entryId)) shift = p.now - p.logged;
      continue;
    }
    const expected = p.logged + shift;
    const span = damaged.find((s) => !used.has(s) && s.offset <= expected && expected < s.offset + Math.max(s.length, 1)) ?? damaged.find((s) => !used.has(s) && s.offset >= expected);
    if (span) {
      used.add(span);
      coverage.push([span.offset, span.length]);
    }
    const resumed = span ? f.spans.find((s) => s.kind === 'record' && s.offset === span.offset + span.length) : undefined;
    out.push({
      kind: 'record-unreadable',
      severity: 'error',
      file,
      offset: p.logged,
      recordId: p.recordId,
      entryId: p.entryId,
      detail: span
        ? `the gzip member of record ${p.recordId} (logged at ${file}:${p.logged}, ${p.length} bytes) is damaged at ${span.offset}..${span.offset + span.length}: ${span.error}; ${resumed ? `reading resumed at the next record, @${resumed.offset}` : 'nothing readable follows it'}`
        : `record ${p.recordId} (logged at ${file}:${p.logged}, ${p.length} bytes) is gone: no readable gzip member of the file carries its record id`,
    });
  }

  // Runs of in-order records at one distance from their logged offsets, outside any reordering.
  let run: { first: Placed & { now: number }; delta: number; count: number } | null = null;
  const flush = () => {
    if (!run) return;
    const d = run.delta;
    out.push({
      kind: 'record-moved',
      severity: 'error',
      file,
      offset: run.first.logged,
      recordId: run.first.recordId,
      entryId: run.first.entryId,
      detail: `from record ${run.first.recordId} (logged @${run.first.logged}) on, ${run.count} record(s) stand ${Math.abs(d)} byte(s) ${d > 0 ? 'later' : 'earlier'} than logged: bytes were ${d > 0 ? 'inserted' : 'removed'} before @${run.first.logged}; their contents were verified where they are now`,
    });
    run = null;
  };
  for (const p of found) {
    if (!inOrder.has(p.entryId)) continue;
    const delta = p.now - p.logged;
    const inRegion = region !== null && p.logged >= region[0] && p.logged < region[1];
    if (delta === 0 || inRegion) {
      flush();
      continue;
    }
    if (run && run.delta === delta) run.count++;
    else {
      flush();
      run = { first: p, delta, count: 1 };
    }
  }
  flush();
  return out;
}

/** Indexes of one longest strictly increasing subsequence (patience sorting, O(n log n)). */
function longestIncreasing(values: readonly number[]): number[] {
  const tails: number[] = [];
  const prev: number[] = new Array(values.length).fill(-1);
  for (let i = 0; i < values.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]!]! < values[i]!) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const out: number[] = [];
  for (let i = tails.length ? tails[tails.length - 1]! : -1; i >= 0; i = prev[i]!) out.push(i);
  return out.reverse();
}

interface ChainEntry {
  id: number;
  prevHash: string;
  hash: string;
  where: { file: string; offset: number; recordId: string; entryId: number };
}

type ChainBreak = ChainEntry & { anchorId: number; anchorHash: string; linked: boolean };

/** Entries kept to recognise a reordering: a broken link that points at one of these is a link out of order. */
const RECENT = 10_000;

/**
 * Follows prev_hash links in id order. A broken link whose prev_hash is the hash of another entry (earlier or later)
 * is not a loss but a reordering; consecutive such breaks become one `chain-reordered` problem that spells out the
 * order the chain really runs in. Links that point nowhere are `chain-broken` (an entry removed or inserted).
 */
class ChainChecker {
  head = EVIDENCE_GENESIS;
  #prevId = 0;
  #recent = new Map<string, number>();
  #breaks: ChainBreak[] = [];
  #pending = new Map<string, number>();

  next(e: ChainEntry): void {
    const pendingIdx = this.#pending.get(e.hash);
    if (pendingIdx !== undefined) {
      this.#breaks[pendingIdx]!.linked = true;
      this.#pending.delete(e.hash);
    }
    if (e.prevHash !== this.head) {
      const linked = this.#recent.has(e.prevHash) || e.prevHash === EVIDENCE_GENESIS;
      if (this.#breaks.length < 100_000) {
        this.#breaks.push({ ...e, anchorId: this.#prevId, anchorHash: this.head, linked });
        if (!linked) this.#pending.set(e.prevHash, this.#breaks.length - 1);
      }
    }
    this.#recent.set(e.hash, e.id);
    if (this.#recent.size > RECENT) this.#recent.delete(this.#recent.keys().next().value as string);
    this.head = e.hash;
    this.#prevId = e.id;
  }

  finish(): VerifyProblem[] {
    const out: VerifyProblem[] = [];
    let group: ChainBreak[] = [];
    const flush = () => {
      if (group.length === 0) return;
      if (group.every((b) => b.linked) && group.length >= 2) {
        // Walk the links from the entry before the group: each step is the entry whose prev_hash is the last hash.
        const byPrev = new Map(group.map((b) => [b.prevHash, b]));
        const order = [group[0]!.anchorId];
        let h = group[0]!.anchorHash;
        for (let i = 0; i < group.length; i++) {
          const n = byPrev.get(h);
          if (!n) break;
          order.push(n.id);
          h = n.hash;
        }
        out.push({
          kind: 'chain-reordered',
          severity: 'error',
          ...group[0]!.where,
          detail: `evidence-log entries ${group.map((b) => b.id).join(', ')} are stored out of chain order: every link is intact, but the chain runs ${order.join(' → ')}${order.length <= group.length ? ' …' : ''} (rows were reordered)`,
        });
      } else {
        for (const b of group) {
          out.push({ kind: 'chain-broken', severity: 'error', ...b.where, detail: `prev_hash ${b.prevHash} does not match the previous entry's hash ${b.anchorHash} (an entry was removed, inserted or reordered)` });
        }
      }
      group = [];
    };
    for (const b of this.#breaks) {
      const last = group[group.length - 1];
      if (last && b.anchorId !== last.id) flush();
      group.push(b);
    }
    flush();
    return out;
  }
}
