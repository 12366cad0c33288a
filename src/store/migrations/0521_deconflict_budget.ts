import type { Migration } from './types.ts';

/**
 * A budget on clear-mode de-confliction registrations, per agency (src/deconflict/store/budget.ts): each submitted
 * selector costs one token of a bucket that refills slowly, so registering guesses to learn which selectors other
 * agencies hold (a selector oracle) is as slow as in the blinded mode. One row per agency, shared by every process.
 */
export const migration: Migration = {
  id: 521,
  name: 'deconflict_budget',
  up: `
create table deconflict_budgets (
  agency_id integer primary key references agencies(id),
  tokens double precision not null check (tokens >= 0),
  at timestamptz not null
);
`,
};
