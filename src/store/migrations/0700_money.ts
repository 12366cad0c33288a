import type { Migration } from './types.ts';

/**
 * Follow the money: attribution tags (GraphSense TagPack rows), chain data fetched from a node or an explorer (each
 * fetch is an evidence capture: WARC record + hash-chained log), and the transactions kept from those fetches.
 */
export const migration: Migration = {
  id: 700,
  name: 'money',
  up: `
create table chain_tags (
  id bigserial primary key,
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  address text not null,
  label text not null,
  category text not null,
  source text not null,
  currency text not null,
  confidence text,
  lastmod date,
  actor text,
  context text,
  is_cluster_definer boolean,
  tagpack text not null,
  created_at timestamptz not null default now(),
  unique (agency_id, address, label, source)
);
create index chain_tags_address on chain_tags (address);

create table chain_fetches (
  id bigserial primary key,
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  capture_id integer not null references captures(id),
  source text not null,
  what text not null,
  body_sha256 text not null,
  fetched_at timestamptz not null
);

create table chain_txs (
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  txid text not null check (txid ~ '^[0-9a-f]{64}$'),
  block_hash text,
  height integer,
  block_time timestamptz,
  body jsonb not null,
  first_fetch_id bigint not null references chain_fetches(id),
  primary key (agency_id, txid)
);
`,
};
