import { marketDynamics, marketLifecycles, substanceWarnings } from '../analyse/index.ts';
import type { JobHandler, JobHandlers } from '../jobs/index.ts';
import type { Store } from '../store/index.ts';
import type { Principal } from './auth/principal.ts';
import { API_REVENUE_OPTIONS, visibleRevenue } from './services/revenue.ts';
import { withVisibleRows } from './services/scope.ts';
import { topTargets } from './services/targets.ts';

/** The job's agency as an analyst would see it: reports computed by a worker show what the API would show. */
async function agencyPrincipal(store: Store, agencyId: number | null, jobId: string): Promise<Principal> {
  if (agencyId === null) throw new Error('a report job needs an agency');
  const a = await store.db.selectFrom('agencies').select(['id', 'code']).where('id', '=', agencyId).executeTakeFirstOrThrow();
  return { kind: 'token', userId: null, agencyId: a.id, agencyCode: a.code, role: 'analyst', actor: `job:${jobId}`, username: `job:${jobId}`, scopes: ['intel:read'] };
}

function reportHandler(store: Store): JobHandler<'report'> {
  return async (p, ctx) => {
    const principal = await agencyPrincipal(store, ctx.agencyId, ctx.jobId);
    const limit = p.limit ?? 100;
    ctx.progress({ done: 0, total: 1, unit: 'reports', message: p.report });
    let result: unknown;
    if (p.report === 'revenue') {
      const by = p.by ?? 'vendor';
      result = { by, items: (await visibleRevenue(store.db, principal, by)).slice(0, limit) };
    } else if (p.report === 'targets') result = { items: await topTargets(store.db, principal, Math.min(limit, 200)) };
    else if (p.report === 'markets') result = await withVisibleRows(store.db, principal, async (scoped) => ({ months: await marketDynamics(scoped, API_REVENUE_OPTIONS), lifecycles: await marketLifecycles(scoped) }));
    else result = { items: await withVisibleRows(store.db, principal, (scoped) => substanceWarnings(scoped, {})) };
    ctx.progress({ done: 1, total: 1, unit: 'reports', message: p.report });
    return { state: 'completed', result };
  };
}

/** Jobs computed by the server's services (reports over an agency's visible rows). */
export function serverJobHandlers(store: Store): JobHandlers {
  return { report: reportHandler(store) };
}
