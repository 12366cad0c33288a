import type { Kysely } from 'kysely';
import { DEFAULT_WEIGHTS, rankTargets, type RankedTarget, type RevenueOptions } from '../../analyse/index.ts';
import type { Database } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { API_REVENUE_OPTIONS, visibleSales } from './revenue.ts';
import { memoReport } from './memo.ts';
import { scopeKey, withVisibleRows } from './scope.ts';

export type { TargetFactor } from '../../analyse/index.ts';

/** One ranked target of src/analyse, with what the console links to: an identity or a single account. */
export interface Target extends RankedTarget {
  kind: 'identity' | 'vendor';
  id: number;
}

/**
 * src/analyse's explainable top-target ranking (weighted, normalised factors, each explained), computed over the
 * rows the caller may see only: the normalisation maxima too come from visible rows alone.
 */
export async function topTargets(db: Kysely<Database>, p: Principal, limit: number, opts: RevenueOptions = API_REVENUE_OPTIONS): Promise<Target[]> {
  // Revenue comes from the same visible sales as profiles and the revenue report (one computation per scope).
  const ranked = await memoReport(db, `targets:${scopeKey(p)}:${limit}:${JSON.stringify(opts)}`, async () => {
    const sales = await visibleSales(db, p, opts);
    return withVisibleRows(db, p, (scoped) => rankTargets(scoped, opts, DEFAULT_WEIGHTS, limit, sales));
  });
  return ranked.map((t) => ({ ...t, kind: t.key.startsWith('i') ? 'identity' : 'vendor', id: Number(t.key.slice(1)) }));
}
