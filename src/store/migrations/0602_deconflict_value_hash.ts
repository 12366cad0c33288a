import type { Migration } from './types.ts';

/**
 * Registrations are matched by equality of kind and value only (never a range or an order), and a value belongs
 * to one kind in practice, so a hash index on value (a 4-byte hash code per row, the kind checked on the heap row)
 * replaces the (kind, value) btree that repeated the whole text beside the unique (case_id, kind, value) key: a
 * smaller index that stays in memory at ten million registrations, and a cheaper entry to write per registration.
 */
export const migration: Migration = {
  id: 602,
  name: 'deconflict_value_hash',
  up: `
drop index if exists deconflict_selectors_value;
create index deconflict_selectors_value_hash on deconflict_selectors using hash (value);
`,
};
