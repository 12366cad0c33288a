import { realpathSync } from 'node:fs';
import path from 'node:path';
import { importCsvScrape, importMysqlDump, importTelegramExport, loadCsvMapping, loadDumpMapping, SIM_SEIZED_MAPPING } from '../../collect/index.ts';
import type { JobHandler } from '../types.ts';
import { requireAgency, type WorkerEnv } from './env.ts';
import { importPagesJob, importWarcJob } from './import-archive.ts';

/** A file inside the import directory, symlinks resolved: a job cannot read anything else on the worker. */
export function importPath(importDir: string, file: string): string {
  const root = realpathSync(importDir);
  const full = realpathSync(path.resolve(root, file));
  if (full !== root && !full.startsWith(root + path.sep)) throw new Error(`${file} is outside the import directory`);
  return full;
}

/** Imports a file; the importers checkpoint per batch, so a retry resumes where the dead worker stopped. */
export function importHandler(env: WorkerEnv): JobHandler<'import'> {
  return async (p, ctx) => {
    const agencyId = requireAgency(ctx.agencyId, 'import');
    if (p.format === 'warc' || p.format === 'pages') {
      const j = { agencyId, name: p.file, full: importPath(env.importDir, p.file), market: p.market, extract: p.extract ?? true };
      return { state: 'completed', result: p.format === 'warc' ? await importWarcJob(env, ctx, j) : await importPagesJob(env, ctx, j) };
    }
    const base = {
      db: env.store.db,
      evidenceDir: env.evidenceDir,
      agencyId,
      file: importPath(env.importDir, p.file),
      market: p.market,
      onProgress: (pr: { bytes: number; totalBytes: number; rows: number }) => ctx.progress({ done: pr.bytes, total: pr.totalBytes, unit: 'bytes', message: `${pr.rows} rows` }),
    };
    const mapping = p.mapping ? importPath(env.importDir, p.mapping) : undefined;
    if (p.format === 'telegram') return { state: 'completed', result: await importTelegramExport(base) };
    if (p.format === 'dump') return { state: 'completed', result: await importMysqlDump({ ...base, mapping: mapping ? loadDumpMapping(mapping) : SIM_SEIZED_MAPPING }) };
    if (!mapping) throw new Error('a csv import needs a mapping file');
    return { state: 'completed', result: await importCsvScrape({ ...base, mapping: loadCsvMapping(mapping) }) };
  };
}
