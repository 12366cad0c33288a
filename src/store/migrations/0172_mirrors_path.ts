import type { Migration } from './types.ts';

/** Where a market publishes its signed mirror list (read by the crawler when the market's key is pinned). */
export const migration: Migration = {
  id: 172,
  name: 'mirrors_path',
  up: `
alter table crawl_markets add column mirrors_path text not null default '/mirrors'
  check (mirrors_path ~ '^/' and length(mirrors_path) <= 500);
`,
};
