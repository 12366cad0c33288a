import type { Migration } from './types.ts';

/**
 * Adapters induced from labelled pages (src/extract/induce): the declarative adapter as JSON, one row per version,
 * owned by an agency. `extract --reparse` reads a market's captures with its agency's latest version.
 */
export const migration: Migration = {
  id: 250,
  name: 'induced_adapters',
  up: `
create table induced_adapters (
  id bigserial primary key,
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  adapter_id text not null check (adapter_id ~ '^[a-z][a-z0-9_-]{0,62}$'),
  version text not null,
  seq integer not null,
  market text not null,
  market_id integer references markets(id),
  hosts text[] not null default '{}',
  body jsonb not null,
  labels integer,
  created_by text not null,
  created_at timestamptz not null default now(),
  unique (agency_id, adapter_id, seq),
  unique (agency_id, adapter_id, version)
);
create index induced_adapters_market on induced_adapters (agency_id, market_id);
`,
};
