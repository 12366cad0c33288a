/**
 * `import warc`: WARC files written by other tools become evidence. Every record is copied verbatim into the
 * evidence WARCs (so its record id, date and digests stay the original's) with a metadata record saying where it
 * came from, and logged in the hash-chained evidence log; response, resource and revisit records become captures
 * (kind `archive`) with their original dates. Declared digests are checked; a record whose digest does not match,
 * or that cannot be read, is reported (record number, offset, reason) and skipped, and the import goes on.
 * Streaming, resumable (by record number) and idempotent (a record already in the evidence is not copied again).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import { EvidenceRecorder, readHttpResponse, type ArchivedCapture, type WarcRecordType } from '../../evidence/index.ts';
import type { Database } from '../../store/index.ts';
import { ArchiveMarkets, archiveCheckpoint, saveArchiveCheckpoint, slugOf } from './archive-common.ts';
import { sha256File } from './common.ts';
import { digestAlgorithm, digestMatches, readForeignWarc, type ForeignRecord, type ForeignRecordError } from './warc-read.ts';

export interface WarcImportOptions {
  db: Kysely<Database>;
  evidenceDir: string;
  agencyId: number;
  tlp?: Tlp;
  files: string[];
  /** File every page under this source (default: a source per host). */
  market?: string;
  /** Records per checkpoint. */
  batchSize?: number;
  onProgress?: (p: { file: string; bytes: number; totalBytes: number; records: number }) => void;
}

export interface WarcFileSummary {
  file: string;
  fileSha256: string;
  records: number;
  captures: number;
  revisits: number;
  /** Preserved without a capture: request, metadata, warcinfo… records, and revisits whose original is unknown. */
  preservedOnly: number;
  /** Already in the evidence (an earlier import of this or another file). */
  alreadyPreserved: number;
  problems: ForeignRecordError[];
  alreadyImported: boolean;
  resumedFrom: number;
}

export interface WarcImportSummary {
  files: WarcFileSummary[];
  marketIds: number[];
  captures: number;
  problems: number;
  durationMs: number;
}

const PAGE_TYPES = new Set(['response', 'resource', 'revisit']);
const RECORD_TYPES = new Set<string>(['warcinfo', 'request', 'response', 'metadata', 'resource', 'revisit', 'conversion', 'continuation'] satisfies WarcRecordType[]);

function parseWarcDate(v: string | undefined): Date | null {
  if (!v || !/^\d{4}(-\d\d(-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?Z?)?)?)?$/.test(v.trim())) return null;
  const d = new Date(v.trim());
  return Number.isNaN(d.getTime()) ? null : d;
}

export async function importWarcFiles(o: WarcImportOptions): Promise<WarcImportSummary> {
  const started = Date.now();
  const markets = new ArchiveMarkets(o.db, { agencyId: o.agencyId, tlp: o.tlp });
  const files: WarcFileSummary[] = [];
  const tmp = mkdtempSync(path.join(tmpdir(), 'dp-warc-import-'));
  try {
    for (const file of o.files) files.push(await importOne(o, file, markets, tmp));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    files,
    marketIds: markets.ids,
    captures: files.reduce((n, f) => n + f.captures, 0),
    problems: files.reduce((n, f) => n + f.problems.length, 0),
    durationMs: Date.now() - started,
  };
}

async function importOne(o: WarcImportOptions, file: string, markets: ArchiveMarkets, tmp: string): Promise<WarcFileSummary> {
  const fileSha256 = await sha256File(file);
  const target = o.market ? slugOf(o.market) : '';
  const cp = await archiveCheckpoint(o.db, 'warc', fileSha256, target, { market: o.market ?? null, name: path.basename(file) });
  const s: WarcFileSummary = { file, fileSha256, records: 0, captures: 0, revisits: 0, preservedOnly: 0, alreadyPreserved: 0, problems: [], alreadyImported: cp.done, resumedFrom: cp.position };
  if (cp.done) return s;
  const jobId = `import-warc-${fileSha256.slice(0, 16)}`;
  const recorder = new EvidenceRecorder(o.db, { dir: o.evidenceDir, info: { import: 'warc', 'source-file': path.basename(file), 'source-sha256': fileSha256 } });
  const totalBytes = statSync(file).size;
  let bytes = 0;
  let position = cp.position;
  let rows = cp.rows;
  /** Foreign payload digest → capture, for revisits that name no record id (bounded: recent records only). */
  const byPayloadDigest = new Map<string, { captureId: number; payloadSha256: string; payloadSize: number; contentType: string | null }>();
  try {
    for await (const item of readForeignWarc(file, { tmpDir: tmp, onBytes: (b) => (bytes = b) })) {
      if ('error' in item) {
        if (item.error.index > cp.position || item.error.fatal) s.problems.push(item.error);
        if (item.error.fatal) break;
        continue;
      }
      const r = item.record;
      try {
        if (r.index <= cp.position) continue; // imported before an interruption
        s.records++;
        const problem = await importRecord(o, r, { file, fileSha256, jobId, recorder, markets, s, byPayloadDigest }).catch((err: unknown) => `could not be stored: ${(err as Error).message}`);
        if (problem) s.problems.push({ index: r.index, offset: r.offset, message: problem, fatal: false });
        else rows++;
      } finally {
        if (!Buffer.isBuffer(r.block)) rmSync(r.block.file, { force: true });
      }
      position = r.index;
      if (position % (o.batchSize ?? 100) === 0) {
        await saveArchiveCheckpoint(o.db, cp.id, position, rows, 'running');
        o.onProgress?.({ file, bytes, totalBytes, records: s.records });
      }
    }
    const fatal = s.problems.find((p) => p.fatal);
    await saveArchiveCheckpoint(o.db, cp.id, position, rows, fatal ? 'failed' : 'done', fatal ? `record ${fatal.index} at offset ${fatal.offset}: ${fatal.message}` : null);
    o.onProgress?.({ file, bytes: totalBytes, totalBytes, records: s.records });
  } finally {
    await recorder.close();
  }
  return s;
}

interface RecordContext {
  file: string;
  fileSha256: string;
  jobId: string;
  recorder: EvidenceRecorder;
  markets: ArchiveMarkets;
  s: WarcFileSummary;
  byPayloadDigest: Map<string, { captureId: number; payloadSha256: string; payloadSize: number; contentType: string | null }>;
}

/** One record: checked, preserved, and made a capture when it is a page. Returns why it was skipped, if it was. */
async function importRecord(o: WarcImportOptions, r: ForeignRecord, c: RecordContext): Promise<string | null> {
  const h = r.header;
  const type = (h.get('WARC-Type') ?? '').toLowerCase();
  const recordId = h.get('WARC-Record-ID');
  const date = parseWarcDate(h.get('WARC-Date'));
  if (!type) return 'no WARC-Type';
  if (!RECORD_TYPES.has(type)) return `unknown WARC-Type ${JSON.stringify(type)}`;
  if (!recordId) return 'no WARC-Record-ID';
  if (!date) return `invalid WARC-Date ${JSON.stringify(h.get('WARC-Date') ?? null)}`;
  const known = await o.db.selectFrom('evidence_log').select('id').where('record_id', '=', recordId).executeTakeFirst();
  if (known) {
    c.s.alreadyPreserved++;
    return null;
  }
  const origin: Record<string, string> = {
    'source-file': path.basename(c.file),
    'source-sha256': c.fileSha256,
    'source-record': String(r.index),
    'source-offset': String(r.offset),
  };
  const declaredBlock = h.get('WARC-Block-Digest');
  const blockAlgo = digestAlgorithm(declaredBlock);
  if (declaredBlock && blockAlgo) {
    if (!digestMatches(declaredBlock, r.blockDigests.get(blockAlgo)!)) return `WARC-Block-Digest ${declaredBlock} does not match the block: record not imported`;
    origin['block-digest'] = `verified (${blockAlgo})`;
  } else origin['block-digest'] = declaredBlock ? `not checked (unknown algorithm in ${declaredBlock})` : 'none declared';
  if (r.framing) origin.framing = r.framing;

  const targetUri = (h.get('WARC-Target-URI') ?? '').replace(/^<(.*)>$/, '$1');
  let capture: ArchivedCapture | null = null;
  const blockSha256 = r.blockDigests.get('sha256')!.toString('hex');
  if (PAGE_TYPES.has(type) && targetUri) {
    if (!Buffer.isBuffer(r.block)) {
      origin.capture = 'none: record too large to read as a page';
    } else if (type === 'resource') {
      capture = { url: targetUri, httpStatus: null, contentType: h.get('Content-Type') ?? null, fetchedAt: date, payloadSha256: blockSha256, payloadSize: r.blockSize };
      const p = checkPayloadDigest(h.get('WARC-Payload-Digest'), r.block, r.block);
      if (p === false) return `WARC-Payload-Digest ${h.get('WARC-Payload-Digest')} does not match the resource: record not imported`;
      origin['payload-digest'] = p ?? 'none declared';
    } else if (type === 'response') {
      const http = readHttpResponse(r.block);
      const p = checkPayloadDigest(h.get('WARC-Payload-Digest'), http.payload, http.rawBody);
      if (p === false) return `WARC-Payload-Digest ${h.get('WARC-Payload-Digest')} matches neither the entity body nor the body as transferred: record not imported`;
      origin['payload-digest'] = p ?? 'none declared';
      capture = {
        url: targetUri,
        httpStatus: http.status,
        contentType: http.header('Content-Type') ?? null,
        fetchedAt: date,
        payloadSha256: createHash('sha256').update(http.payload).digest('hex'),
        payloadSize: http.payload.length,
      };
    } else {
      const original = await findOriginal(o, h, c);
      if (!original) origin.capture = 'none: the revisited original is not in the evidence';
      else {
        const http = r.block.length ? readHttpResponse(r.block) : null;
        capture = { url: targetUri, httpStatus: http?.status ?? null, contentType: original.contentType, fetchedAt: date, payloadSha256: original.payloadSha256, payloadSize: original.payloadSize, refersTo: original.captureId };
        origin['refers-to-capture'] = String(original.captureId);
      }
    }
  }
  const marketId = capture ? (o.market ? await c.markets.forSlug(slugOf(o.market), o.market, targetUri) : await c.markets.forUrl(targetUri)) : null;
  const recorded = await c.recorder.recordArchived(
    {
      record: { verbatim: { header: r.headerBytes, block: r.block, recordId, type: type as WarcRecordType, targetUri: targetUri || undefined, date, blockSha256, payloadSha256: capture?.payloadSha256 ?? null } },
      origin,
      capture,
    },
    { agencyId: o.agencyId, tlp: o.tlp, marketId, jobId: c.jobId },
  );
  if (recorded.captureId !== null && capture) {
    c.s.captures++;
    if (type === 'revisit') c.s.revisits++;
    const digest = h.get('WARC-Payload-Digest');
    if (digest && type !== 'revisit') {
      if (c.byPayloadDigest.size >= 100_000) c.byPayloadDigest.delete(c.byPayloadDigest.keys().next().value!);
      c.byPayloadDigest.set(digest, { captureId: recorded.captureId, payloadSha256: capture.payloadSha256, payloadSize: capture.payloadSize, contentType: capture.contentType });
    }
  } else c.s.preservedOnly++;
  return null;
}

/**
 * 'verified …' when the declared payload digest matches the entity body (WARC 1.1: after transfer decoding) or the
 * body as transferred (what some tools, warcio among them, hash for chunked responses); false when it matches
 * neither; null when none is declared or its algorithm is unknown.
 */
function checkPayloadDigest(declared: string | undefined, payload: Buffer, rawBody: Buffer): string | false | null {
  const algo = digestAlgorithm(declared);
  if (!declared || !algo) return declared ? `not checked (unknown algorithm in ${declared})` : null;
  if (digestMatches(declared, createHash(algo).update(payload).digest())) return `verified (${algo}, entity body)`;
  if (rawBody !== payload && digestMatches(declared, createHash(algo).update(rawBody).digest())) return `verified (${algo}, body as transferred)`;
  return false;
}

/** The capture a revisit repeats: by WARC-Refers-To, else by target URI and date, else by payload digest. */
async function findOriginal(o: WarcImportOptions, h: ForeignRecord['header'], c: RecordContext): Promise<{ captureId: number; payloadSha256: string; payloadSize: number; contentType: string | null } | null> {
  const select = o.db.selectFrom('captures').select(['id', 'payload_sha256', 'payload_size', 'content_type']).where('agency_id', '=', o.agencyId);
  const refersTo = h.get('WARC-Refers-To');
  let row = refersTo ? await select.where('warc_record_id', '=', refersTo).executeTakeFirst() : undefined;
  const uri = (h.get('WARC-Refers-To-Target-URI') ?? '').replace(/^<(.*)>$/, '$1');
  const when = parseWarcDate(h.get('WARC-Refers-To-Date'));
  if (!row && uri && when) row = await select.where('url', '=', uri).where('fetched_at', '=', when).orderBy('id').executeTakeFirst();
  if (row) return { captureId: row.id, payloadSha256: row.payload_sha256, payloadSize: row.payload_size, contentType: row.content_type };
  const digest = h.get('WARC-Payload-Digest');
  return (digest && c.byPayloadDigest.get(digest)) || null;
}
