import type { Migration } from './types.ts';

/**
 * A title-only full-text index for the API's first search tier ("every word in the title"). Testing weight A of
 * listings.search_tsv (0501) cannot use the index to tell title words from description words, so a word common in
 * descriptions but absent from titles made PostgreSQL recheck every row; this index answers the title test exactly.
 */
export const migration: Migration = {
  id: 502,
  name: 'listing_title_search',
  up: `create index listings_title_search on listings using gin (to_tsvector('simple', title));`,
};
