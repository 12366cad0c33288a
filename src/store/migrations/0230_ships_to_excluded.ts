import type { Migration } from './types.ts';

/** Ships-to exclusions ("Worldwide except Finland") kept apart from destinations (issue 13 §5). */
export const migration: Migration = {
  id: 230,
  name: 'ships_to_excluded',
  up: `
alter table listing_snapshots add column ships_to_excluded text[] not null default '{}';
`,
};
