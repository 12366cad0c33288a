import { loadModel, runLinking } from '../../link/index.ts';
import { detectLinkedHits } from '../../deconflict/index.ts';
import type { JobHandler } from '../types.ts';
import { requireAgency, type WorkerEnv } from './env.ts';

/** Re-resolves the agency's accounts into identities (respecting analysts' decisions), then de-conflicts. */
export function relinkHandler(env: WorkerEnv): JobHandler<'relink'> {
  return async (_p, ctx) => {
    const agencyId = requireAgency(ctx.agencyId, 'relink');
    ctx.progress({ done: 0, message: 'linking' });
    const report = await runLinking(env.store, { agencyId, model: loadModel(), actor: `job:${ctx.jobId}` });
    const deconflictionHits = await detectLinkedHits(env.store.db, `job:${ctx.jobId}`);
    return { state: 'completed', result: { ...report, deconflictionHits } };
  };
}
