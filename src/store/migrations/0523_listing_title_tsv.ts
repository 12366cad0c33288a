import type { Migration } from './types.ts';

/**
 * The listing title's tsvector stored (a generated column, like search_tsv in 0501) instead of an expression index
 * (0502). A search's first page tests the newest ~1,000 listings against every tier at once (sliceSql's `tiers`
 * mode); with the expression index each of those rows re-ran to_tsvector over its title per request (~20 ms of the
 * ~22 ms of that query at AlphaBay scale on PostgreSQL). The stored column gives the same vector (same expression),
 * and its GIN index answers the title tier as listings_title_search did.
 */
export const migration: Migration = {
  id: 523,
  name: 'listing_title_tsv',
  up: `
alter table listings add column title_tsv tsvector generated always as (to_tsvector('simple', title)) stored;
create index listings_title_tsv on listings using gin (title_tsv);
drop index if exists listings_title_search;
`,
};
