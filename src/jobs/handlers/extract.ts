import { resolveEvidenceDir } from '../../evidence/index.ts';
import { extractCaptures, loadFxTable } from '../../extract/store/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';
import type { JobHandler } from '../types.ts';
import type { WorkerEnv } from './env.ts';

/** Runs the adapters over captures not parsed yet (idempotent: a retry skips what the last attempt saved). */
export function extractHandler(env: WorkerEnv): JobHandler<'extract'> {
  return async (p, ctx) => {
    const report = await extractCaptures(env.store, {
      evidenceDir: resolveEvidenceDir(env.evidenceDir),
      marketId: p.marketId,
      crawlJobId: p.crawlJobId,
      reparse: p.reparse,
      fx: await loadFxTable(env.store.db),
      onProgress: (done, total) => ctx.progress({ done, total, unit: 'captures' }),
    });
    const deconflictionHits = await detectLinkedHits(env.store.db, `job:${ctx.jobId}`);
    return { state: 'completed', result: { ...report, deconflictionHits } };
  };
}
