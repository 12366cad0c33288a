import type { Migration } from './types.ts';

/**
 * A registration's case and agency are checked by one foreign key, (case_id, agency_id) → cases (id, agency_id),
 * instead of two (case_id → cases, agency_id → agencies): PostgreSQL checks each foreign key with one query per
 * inserted row, so a call registering 10,000 selectors ran 20,000 such checks for these two. The pair also says
 * what the two did not: a registration's agency is its case's agency (the case's agency references agencies).
 */
export const migration: Migration = {
  id: 603,
  name: 'deconflict_case_agency_fk',
  up: `
alter table cases add constraint cases_id_agency unique (id, agency_id);
alter table deconflict_selectors drop constraint if exists deconflict_selectors_case_id_fkey;
alter table deconflict_selectors drop constraint if exists deconflict_selectors_agency_id_fkey;
alter table deconflict_selectors add constraint deconflict_selectors_case_agency_fkey
  foreign key (case_id, agency_id) references cases (id, agency_id) on delete cascade;
`,
};
