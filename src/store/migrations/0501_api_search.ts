import type { Migration } from './types.ts';

/**
 * What the API needs to stay fast at AlphaBay scale (docs/api.md, "Performance"): full-text search, indexes that
 * match the list routes' filters and keyset order, and per-market counts materialised instead of counted per request.
 */
export const migration: Migration = {
  id: 501,
  name: 'api_search',
  up: `
-- Full-text search: weighted tsvectors kept up to date by PostgreSQL itself (stored generated columns), with the
-- 'simple' configuration (no stemming, no stop words: market text is multilingual slang). Weight A is the title or
-- handle, B the description or profile; the API ranks "all terms in A" before "terms anywhere".
alter table listings add column search_tsv tsvector generated always as
  (setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', description), 'B')) stored;
create index listings_search on listings using gin (search_tsv);
alter table vendors add column search_tsv tsvector generated always as
  (setweight(to_tsvector('simple', handle), 'A') || setweight(to_tsvector('simple', profile_text), 'B')) stored;
create index vendors_search on vendors using gin (search_tsv);
-- The trigram indexes over long texts (0500) served ILIKE search, which the tsvectors replace; trigrams stay on
-- short strings only (listing titles, vendor handles, selector values), where they are cheap.
drop index if exists listings_description_trgm;
drop index if exists vendors_profile_trgm;
create index if not exists selectors_value_trgm on selectors using gin (value gin_trgm_ops);

-- Keyset order of the list routes: newest first, (last_seen, id) descending, with each equality filter leading.
create index listings_recent on listings (last_seen, id);
create index listings_market_recent on listings (market_id, last_seen, id);
create index listings_vendor_recent on listings (vendor_id, last_seen, id);
drop index if exists listings_vendor; -- covered by listings_vendor_recent
create index listings_substance_recent on listings (substance, last_seen, id);
create index listings_class_recent on listings (substance_class, last_seen, id);
create index vendors_recent on vendors (last_seen, id);
create index vendors_market_recent on vendors (market_id, last_seen, id);
create index vendors_handle_prefix on vendors (handle_norm text_pattern_ops);
-- Links, strongest first: (score, id) descending, by status or not.
create index links_status_score on links (status, score, id);
create index links_score on links (score, id);

-- Vendor, listing and feedback counts per market, materialised per owner agency and TLP of the counted rows so the
-- access rule still applies to the sums. Refreshed as a whole (src/store/market-counts.ts) by the pipeline and, when
-- older than a minute, by the API in the background; market_counts_state says as of when.
create table market_counts (
  market_id integer not null references markets(id) on delete cascade,
  agency_id integer not null,
  tlp text not null,
  vendors bigint not null default 0,
  listings bigint not null default 0,
  feedback bigint not null default 0,
  primary key (market_id, agency_id, tlp)
);
create table market_counts_state (
  one boolean primary key default true check (one),
  refreshed_at timestamptz not null
);
`,
};
