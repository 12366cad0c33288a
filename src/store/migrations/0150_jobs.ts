import type { Migration } from './types.ts';

/**
 * Jobs run by workers (crawl, extract, import, relink, report, federation sync): the rows the console and the CLI
 * read; delivery and retries go through pg-boss (its own schema, `pgboss`), whose job id is `boss_id`.
 * `job_workers` lists worker processes with their heartbeat, so a dead worker's jobs are handed to another.
 */
export const migration: Migration = {
  id: 150,
  name: 'jobs',
  up: `
create table jobs (
  id uuid primary key,
  kind text not null,
  agency_id integer references agencies(id),
  requested_by text not null,
  payload jsonb not null,
  state text not null default 'queued' check (state in ('queued','running','retrying','paused','completed','failed','cancelled')),
  progress jsonb not null default '{}',
  checkpoint jsonb not null default '{}',
  result jsonb,
  error text,
  attempts integer not null default 0,
  retry_limit integer not null default 2,
  boss_id uuid,
  worker_id text,
  control text check (control in ('pause','cancel')),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz not null default now()
);
create index jobs_agency_created on jobs (agency_id, created_at desc);
create index jobs_running_worker on jobs (worker_id) where state = 'running';

create table job_workers (
  id text primary key,
  host text not null,
  pid integer not null,
  queues text[] not null,
  started_at timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  stopped_at timestamptz,
  stop_reason text
);
`,
};
