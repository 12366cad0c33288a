/**
 * The `warc` and `pages` formats of the import job: the CLI's `import warc` and `import pages` (same importers,
 * same extraction afterwards), with the job's progress and a reject report (what was skipped and why) in the
 * result. A page archive (.tar/.tar.gz) is unpacked defensively into a folder beside it first.
 */
import { rmSync, statSync } from 'node:fs';
import { ArchiveRefused, importPages, importWarcFiles, unpackTar, type TarLimits } from '../../collect/index.ts';
import { extractMarkets, extractionTotals, type ExtractionTotals } from '../../extract/store/index.ts';
import { JobInputError, type JobContext } from '../types.ts';
import type { WorkerEnv } from './env.ts';

/** One line of an archive's reject report: a WARC record (number, byte offset) or a file of a page archive (path). */
export interface ArchiveReject {
  record?: number;
  offset?: number;
  path?: string;
  reason: string;
}

const LISTED = 100;

interface ArchiveJob {
  agencyId: number;
  /** The file as the payload names it (relative to the import directory): what the result shows. */
  name: string;
  /** Its resolved path on this worker. */
  full: string;
  market?: string;
  extract: boolean;
}

async function extracted(env: WorkerEnv, ctx: JobContext, marketIds: number[], on: boolean): Promise<ExtractionTotals | null> {
  if (!on || marketIds.length === 0) return null;
  const reports = await extractMarkets(env.store, { evidenceDir: env.evidenceDir, marketIds, onProgress: (_m, done, total) => ctx.progress({ done, total, unit: 'captures', message: done < total ? 'extracting listings' : 'listings extracted' }) });
  return extractionTotals(reports);
}

export async function importWarcJob(env: WorkerEnv, ctx: JobContext, j: ArchiveJob) {
  const s = await importWarcFiles({
    db: env.store.db,
    evidenceDir: env.evidenceDir,
    agencyId: j.agencyId,
    files: [j.full],
    market: j.market,
    onProgress: (p) => ctx.progress({ done: p.bytes, total: p.totalBytes, unit: 'bytes', message: `${p.records} records` }),
  });
  const f = s.files[0]!;
  const rejects: ArchiveReject[] = f.problems.slice(0, LISTED).map((p) => ({ record: p.index, offset: p.offset, reason: p.fatal ? `${p.message} (the rest of the file is unreadable)` : p.message }));
  return {
    format: 'warc' as const,
    file: j.name,
    fileSha256: f.fileSha256,
    records: f.records,
    captures: f.captures,
    revisits: f.revisits,
    preservedOnly: f.preservedOnly,
    alreadyPreserved: f.alreadyPreserved,
    alreadyImported: f.alreadyImported,
    resumedFrom: f.resumedFrom,
    marketIds: s.marketIds,
    extracted: await extracted(env, ctx, s.marketIds, j.extract),
    rejected: f.problems.length,
    rejects,
    durationMs: s.durationMs,
  };
}

export async function importPagesJob(env: WorkerEnv, ctx: JobContext, j: ArchiveJob, limits?: TarLimits) {
  // Beside the upload, under a name derived from it: a retry unpacks to the same folder, so the importer's
  // checkpoint (keyed by the folder) resumes where the dead worker stopped.
  const dir = `${j.full}.pages`;
  rmSync(dir, { recursive: true, force: true });
  try {
    let unpacked;
    try {
      const total = statSync(j.full).size;
      unpacked = await unpackTar(j.full, dir, limits, (read) => ctx.progress({ done: read, total, unit: 'bytes', message: 'unpacking the archive' }));
    } catch (err) {
      if (err instanceof ArchiveRefused) throw new JobInputError(`${j.name}: ${err.message}`);
      throw err;
    }
    const s = await importPages({
      db: env.store.db,
      evidenceDir: env.evidenceDir,
      agencyId: j.agencyId,
      dir,
      market: j.market,
      onProgress: (p) => ctx.progress({ done: p.bytes, total: p.totalBytes, unit: 'bytes', message: `${p.rows} pages` }),
    });
    const rejects: ArchiveReject[] = [...unpacked.skips.map((x) => ({ path: x.path, reason: `not unpacked: ${x.reason}` })), ...s.skips.map((x) => ({ path: x.path, reason: x.reason }))].slice(0, LISTED);
    return {
      format: 'pages' as const,
      file: j.name,
      unpacked: { files: unpacked.files, folders: unpacked.folders, bytes: unpacked.bytes, skipped: unpacked.skipped },
      pages: s.pages,
      alreadyPreserved: s.alreadyPreserved,
      alreadyImported: s.alreadyImported,
      resumedFrom: s.resumedFrom,
      marketIds: s.marketIds,
      extracted: await extracted(env, ctx, s.marketIds, j.extract),
      rejected: unpacked.skipped + s.skipped,
      rejects,
      durationMs: s.durationMs,
    };
  } finally {
    // The pages are in the evidence now (the upload itself stays): the unpacked copy is not kept.
    rmSync(dir, { recursive: true, force: true });
  }
}
