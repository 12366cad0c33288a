import type { Migration } from './types.ts';

/**
 * Seized data keeps its NULLs: a listing without a description or a feedback without a comment is not the same
 * as one with an empty text, so both columns accept NULL. A seized market's feedback may be hidden from buyers;
 * the flag is kept.
 */
export const migration: Migration = {
  id: 112,
  name: 'dump_nulls',
  up: `
alter table listings alter column description drop not null;
alter table feedback alter column body drop not null;
alter table feedback add column hidden boolean;
`,
};
