import type { Migration } from './types.ts';

/**
 * A registration's (case, agency) is checked once per statement instead of once per row. The foreign key of 0603
 * made PostgreSQL run one query per inserted registration (at ten million registrations, 254 ms of the 1.3 s
 * statement that registers a call of 10,000: EXPLAIN in docs/benchmarks.md), although a call registers against
 * one case. The statement-level triggers below keep what the key guaranteed:
 * - an insert or update of registrations locks each distinct (case, agency) it names `for key share` (as the key
 *   did: a concurrent delete of the case waits, or has won and the check fails) and refuses any whose case does not
 *   exist or belongs to another agency (SQLSTATE 23503, foreign_key_violation);
 * - deleting cases deletes their registrations (`on delete cascade`; their hits follow by their own keys);
 * - a case's id or agency cannot change while registrations name it (the key's `no action` on update).
 */
export const migration: Migration = {
  id: 604,
  name: 'deconflict_case_check',
  up: `
alter table deconflict_selectors drop constraint if exists deconflict_selectors_case_agency_fkey;

create function deconflict_selectors_case_check() returns trigger language plpgsql as $$
begin
  perform 1 from cases c
  where (c.id, c.agency_id) in (select distinct n.case_id, n.agency_id from new_rows n)
  for key share of c;
  if exists (
    select 1 from (select distinct n.case_id, n.agency_id from new_rows n) n
    where not exists (select 1 from cases c where c.id = n.case_id and c.agency_id = n.agency_id)
  ) then
    raise exception 'deconflict_selectors: case and agency do not match an existing case'
      using errcode = 'foreign_key_violation';
  end if;
  return null;
end $$;
create trigger deconflict_selectors_case_insert after insert on deconflict_selectors
  referencing new table as new_rows for each statement execute function deconflict_selectors_case_check();
create trigger deconflict_selectors_case_update after update on deconflict_selectors
  referencing new table as new_rows for each statement execute function deconflict_selectors_case_check();

create function cases_delete_registrations() returns trigger language plpgsql as $$
begin
  delete from deconflict_selectors s using old_rows o where s.case_id = o.id;
  return null;
end $$;
create trigger cases_delete_registrations after delete on cases
  referencing old table as old_rows for each statement execute function cases_delete_registrations();

create function cases_key_registered() returns trigger language plpgsql as $$
begin
  if exists (select 1 from deconflict_selectors s where s.case_id = old.id) then
    raise exception 'case % has registrations: its id and agency cannot change', old.id
      using errcode = 'foreign_key_violation';
  end if;
  return new;
end $$;
create trigger cases_key_registered before update of id, agency_id on cases
  for each row when (new.id is distinct from old.id or new.agency_id is distinct from old.agency_id)
  execute function cases_key_registered();
`,
};
