import { closeSync, createReadStream, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { evidenceChainHead } from './log.ts';
import { inspectRecord } from './warc/reader.ts';
import { auditCopy } from './warc/audit.ts';

export interface ExportSelection {
  /** Captures attached to the case (case_evidence) or fetched by a crawl job of the case. */
  caseId?: number;
  marketId?: number;
  jobId?: string;
  /** Captures fetched at or after this time. */
  since?: Date;
  /** Only captures of this agency (the console's case export: a case holds its own agency's evidence only). */
  agencyId?: number;
}

/**
 * The ids of the captures a selection names, as a subquery: the one definition of "a case's evidence" that the
 * export, the WACZ, the console's evidence list and its verification share.
 */
export function selectedCaptures(db: Kysely<Database>, sel: ExportSelection) {
  let q = db.selectFrom('captures as c').select('c.id');
  if (sel.caseId !== undefined) {
    const caseId = sel.caseId;
    q = q.where((eb) =>
      eb.or([
        eb('c.id', 'in', eb.selectFrom('case_evidence').select('case_evidence.capture_id').where('case_evidence.case_id', '=', caseId)),
        eb('c.job_id', 'in', eb.selectFrom('crawl_jobs').select('crawl_jobs.id').where('crawl_jobs.case_id', '=', caseId)),
      ]),
    );
  }
  if (sel.marketId !== undefined) q = q.where('c.market_id', '=', sel.marketId);
  if (sel.jobId !== undefined) q = q.where('c.job_id', '=', sel.jobId);
  if (sel.since !== undefined) q = q.where('c.fetched_at', '>=', sel.since);
  if (sel.agencyId !== undefined) q = q.where('c.agency_id', '=', sel.agencyId);
  return q;
}

export interface ExportedRecord {
  recordId: string;
  type: string;
  targetUri: string | null;
  date: string;
  captureId: number | null;
  blockSha256: string;
  payloadSha256: string | null;
  source: { file: string; offset: number; length: number };
  exported: { file: string; offset: number; length: number };
  /** The evidence-log entry's hash: ties the record to the chain. */
  logHash: string;
}

export interface ExportManifest {
  format: 'darkpatrol-evidence-export/1';
  createdAt: string;
  selection: Record<string, unknown>;
  chainHead: { entries: number; head: string };
  files: Array<{ name: string; bytes: number; sha256: string }>;
  records: ExportedRecord[];
}

/**
 * Copies the selected captures' WARC records (request, response, metadata — byte for byte, so their digests and
 * record ids stay valid) into one WARC file in `outDir`, after re-verifying each, and writes manifest.json with the
 * SHA-256 of every file and the list of records. Refuses to export a record that fails verification.
 */
export async function exportEvidence(
  db: Kysely<Database>,
  options: { dir: string; outDir: string; selection: ExportSelection; fileName?: string },
): Promise<ExportManifest> {
  const sel = options.selection;
  if (sel.caseId === undefined && sel.marketId === undefined && sel.jobId === undefined && sel.since === undefined) {
    throw new Error('choose what to export: a case, a market, a crawl job and/or a start time');
  }
  const q = selectedCaptures(db, sel);
  const entries = await db
    .selectFrom('evidence_log')
    .selectAll()
    .where('capture_id', 'in', q)
    .orderBy('id')
    .execute();
  if (entries.length === 0) throw new Error('no evidence matches the selection');

  const outDir = path.resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const name = options.fileName ?? `export-${new Date().toISOString().replace(/[-:.]/g, '')}.warc.gz`;
  const outPath = path.join(outDir, name);
  const out = openSync(outPath, 'wx');
  const records: ExportedRecord[] = [];
  let pos = 0;
  try {
    for (const e of entries) {
      const src = path.join(path.resolve(options.dir), e.warc_file);
      const rec = await inspectRecord(src, e.warc_offset, e.warc_length).catch((err: Error) => {
        throw new Error(`record ${e.record_id} at ${e.warc_file}:${e.warc_offset} is unreadable, not exporting: ${err.message}`);
      });
      if (rec.blockSha256 !== e.block_sha256 || rec.header.get('WARC-Record-ID') !== e.record_id) {
        throw new Error(`record ${e.record_id} at ${e.warc_file}:${e.warc_offset} does not match the evidence log, not exporting (run evidence verify)`);
      }
      const fd = openSync(src, 'r');
      const buf = Buffer.alloc(Math.min(e.warc_length, 8 * 1024 * 1024));
      let copied = 0;
      try {
        while (copied < e.warc_length) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, e.warc_length - copied), e.warc_offset + copied);
          if (n <= 0) throw new Error(`${e.warc_file} ended early`);
          writeSync(out, buf, 0, n, pos + copied);
          copied += n;
        }
      } finally {
        closeSync(fd);
      }
      records.push({
        recordId: e.record_id,
        type: e.record_type,
        targetUri: e.target_uri,
        date: e.at.toISOString(),
        captureId: e.capture_id,
        blockSha256: e.block_sha256,
        payloadSha256: e.payload_sha256,
        source: { file: e.warc_file, offset: e.warc_offset, length: e.warc_length },
        exported: { file: name, offset: pos, length: e.warc_length },
        logHash: e.hash,
      });
      pos += e.warc_length;
    }
  } finally {
    closeSync(out);
  }
  auditCopy(outPath);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(outPath)) hash.update(chunk as Buffer);
  const manifest: ExportManifest = {
    format: 'darkpatrol-evidence-export/1',
    createdAt: new Date().toISOString(),
    selection: { ...sel, since: sel.since?.toISOString() },
    chainHead: await evidenceChainHead(db),
    files: [{ name, bytes: pos, sha256: hash.digest('hex') }],
    records,
  };
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}
