import type { Migration } from './types.ts';

/**
 * Each side of a blinded (OPRF) hit acknowledges it on its own, like a clear hit: side a is the owner of the lower
 * token id. The acknowledging user is kept for local agencies (null for the CLI); the other side is never told.
 */
export const migration: Migration = {
  id: 621,
  name: 'blinded_ack',
  up: `
alter table blinded_hits
  add column ack_a_at timestamptz,
  add column ack_a_by integer references users(id),
  add column ack_b_at timestamptz,
  add column ack_b_by integer references users(id);
`,
};
