import type { Migration } from './types.ts';

/**
 * Follow the money over the API: the cash-out reports traced for an identity (one row per trace run, the latest is
 * shown) and the draft requests to exchanges made from them, optionally addressed to a financial partner agency that
 * then receives them on its partner feed (`GET /api/feed/financial/requests`).
 */
export const migration: Migration = {
  id: 710,
  name: 'money_reports',
  up: `
create table money_reports (
  id bigserial primary key,
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  identity_id integer not null references identities(id) on delete cascade,
  source text not null,
  report jsonb not null,
  preserved_captures integer not null default 0,
  preserved_txs integer not null default 0,
  created_by text not null,
  created_at timestamptz not null default now()
);
create index money_reports_identity on money_reports (identity_id, id desc);

create table money_requests (
  id bigserial primary key,
  agency_id integer not null references agencies(id),
  tlp text not null default 'AMBER' check (tlp in ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),
  identity_id integer not null references identities(id) on delete cascade,
  report_id bigint not null references money_reports(id) on delete cascade,
  exchange text not null,
  partner_agency_id integer references agencies(id),
  case_ref text,
  body text not null,
  created_by text not null,
  created_at timestamptz not null default now()
);
create index money_requests_partner on money_requests (partner_agency_id, id);
`,
};
