import type { Migration } from './types.ts';

/** Evidence: the hash-chained log of every WARC record written, and which captures belong to which case. */
export const migration: Migration = {
  id: 100,
  name: 'evidence',
  up: `
create table evidence_log (
  id bigint generated always as identity primary key,
  at timestamptz not null,
  record_id text not null unique,
  record_type text not null check (record_type in ('warcinfo','request','response','metadata','resource')),
  target_uri text,
  warc_file text not null,
  warc_offset bigint not null check (warc_offset >= 0),
  warc_length bigint not null check (warc_length > 0),
  block_sha256 char(64) not null check (block_sha256 ~ '^[0-9a-f]{64}$'),
  payload_sha256 char(64) check (payload_sha256 ~ '^[0-9a-f]{64}$'),
  job_id text,
  capture_id integer references captures(id),
  prev_hash char(64) not null,
  hash char(64) not null
);
create index evidence_log_file on evidence_log (warc_file, warc_offset);
create index evidence_log_capture on evidence_log (capture_id);

create function evidence_log_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'evidence_log is append-only';
end $$;
create trigger evidence_log_no_update before update or delete or truncate on evidence_log
  for each statement execute function evidence_log_append_only();

create table case_evidence (
  case_id integer not null references cases(id) on delete cascade,
  capture_id integer not null references captures(id),
  added_at timestamptz not null default now(),
  primary key (case_id, capture_id)
);
`,
};
