import type { Migration } from './types.ts';

export const migration: Migration = {
  id: 200,
  name: 'extract',
  up: `
-- Exchange rates for price normalisation: reference data the user updates from CSV, shared by all agencies.
create table fx_rates (
  day date not null,
  currency text not null,
  usd double precision not null check (usd > 0),
  primary key (currency, day)
);

-- Which adapter version last parsed each capture, so re-parsing knows what is stale.
create table capture_parses (
  capture_id integer primary key references captures(id) on delete cascade,
  adapter text not null,
  page_type text not null,
  ok boolean not null,
  errors jsonb not null default '[]',
  parsed_at timestamptz not null default now()
);
create index capture_parses_adapter on capture_parses (adapter);
`,
};
