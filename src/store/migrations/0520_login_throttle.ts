import type { Migration } from './types.ts';

/**
 * Login throttling (src/server/auth/throttle.ts) instead of account lockout: failed logins counted per key —
 * the account name as typed (known or not, so answers reveal nothing), the client address, and the pair — each
 * key earning a growing delay before its next attempt is even checked. Shared by every server process.
 */
export const migration: Migration = {
  id: 520,
  name: 'login_throttle',
  up: `
create table login_throttle (
  key text primary key check (length(key) <= 400),
  failures integer not null default 0 check (failures >= 0),
  last_failure timestamptz not null default now(),
  blocked_until timestamptz
);
create index login_throttle_last_failure on login_throttle (last_failure);
`,
};
