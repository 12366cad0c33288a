import { sql } from 'kysely';
import type { QueryExecutorProvider } from 'kysely';
import { RateLimitedError, type RateLimit } from '../blinded/rate-limit.ts';

/**
 * Clear-mode registrations cost one token per submitted selector from the agency's bucket (table
 * deconflict_budgets, migration 0521): the same budget shape as the blinded mode's OPRF evaluations, so neither
 * mode lets an agency test guesses faster. Kept in the database, so restarts, several server processes and the
 * CLI share it. Call inside the registering transaction: a refused or failed registration takes nothing.
 */
export const DEFAULT_CLEAR_BUDGET: RateLimit = { capacity: 2000, refillPerSecond: 1 };

export async function takeRegistrationBudget(trx: QueryExecutorProvider, agencyId: number, cost: number, budget: RateLimit, now = new Date()): Promise<void> {
  if (cost > budget.capacity) throw new RateLimitedError(`agency:${agencyId}`, Number.POSITIVE_INFINITY);
  // Creates the agency's bucket full, or locks the existing one (the no-op update), and reads it: one round trip.
  const row = (
    await sql<{ tokens: number; at: Date }>`
      insert into deconflict_budgets (agency_id, tokens, at) values (${agencyId}, ${budget.capacity}, ${now})
      on conflict (agency_id) do update set tokens = deconflict_budgets.tokens
      returning tokens, at`.execute(trx)
  ).rows[0]!;
  const elapsed = Math.max(0, now.getTime() - new Date(row.at).getTime()) / 1000;
  const tokens = Math.min(budget.capacity, Number(row.tokens) + elapsed * budget.refillPerSecond);
  if (tokens < cost) throw new RateLimitedError(`agency:${agencyId}`, ((cost - tokens) / budget.refillPerSecond) * 1000);
  await sql`update deconflict_budgets set tokens = ${tokens - cost}, at = ${now} where agency_id = ${agencyId}`.execute(trx);
}

/** The agency's clear-mode budget as it stands now (read only: nothing is taken). */
export async function readRegistrationBudget(db: QueryExecutorProvider, agencyId: number, budget: RateLimit, now = new Date()): Promise<{ capacity: number; available: number; refillPerSecond: number }> {
  const row = (await sql<{ tokens: number; at: Date }>`select tokens, at from deconflict_budgets where agency_id = ${agencyId}`.execute(db)).rows[0];
  const available = row ? Math.min(budget.capacity, Number(row.tokens) + (Math.max(0, now.getTime() - new Date(row.at).getTime()) / 1000) * budget.refillPerSecond) : budget.capacity;
  return { capacity: budget.capacity, available: Math.floor(available), refillPerSecond: budget.refillPerSecond };
}
