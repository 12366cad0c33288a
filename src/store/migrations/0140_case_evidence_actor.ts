import type { Migration } from './types.ts';

/** Who attached a capture to a case (the custody report names the actor of every step). */
export const migration: Migration = {
  id: 140,
  name: 'case_evidence_actor',
  up: `
alter table case_evidence add column added_by text check (length(added_by) <= 200);
`,
};
