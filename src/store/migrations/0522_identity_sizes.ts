import type { Migration } from './types.ts';

/**
 * GET /api/identities lists identities largest first. Counting every identity's members per request (a correlated
 * count over identity_members, then a sort of all identities) cost ~100 ms at AlphaBay scale (10,000 identities);
 * the count is now kept per identity by statement-level triggers (one grouped update per statement, so the link
 * stage's bulk writes stay set-based), and the index below gives the first page in O(page).
 */
export const migration: Migration = {
  id: 522,
  name: 'identity_sizes',
  up: `
create table identity_sizes (
  identity_id integer primary key references identities(id) on delete cascade,
  members integer not null default 0
);
insert into identity_sizes (identity_id, members)
  select i.id, (select count(*)::int from identity_members m where m.identity_id = i.id) from identities i;
create index identity_sizes_largest on identity_sizes (members desc, identity_id);

create function identity_sizes_new() returns trigger language plpgsql as $$
begin
  insert into identity_sizes (identity_id) select id from new_rows on conflict do nothing;
  return null;
end $$;
create trigger identities_sizes after insert on identities referencing new table as new_rows
  for each statement execute function identity_sizes_new();

create function identity_sizes_count() returns trigger language plpgsql as $$
begin
  if tg_op in ('INSERT', 'UPDATE') then
    update identity_sizes s set members = s.members + d.n
      from (select identity_id, count(*)::int as n from new_rows group by identity_id) d where s.identity_id = d.identity_id;
  end if;
  if tg_op in ('DELETE', 'UPDATE') then
    update identity_sizes s set members = s.members - d.n
      from (select identity_id, count(*)::int as n from old_rows group by identity_id) d where s.identity_id = d.identity_id;
  end if;
  return null;
end $$;
create trigger identity_members_sizes_insert after insert on identity_members referencing new table as new_rows
  for each statement execute function identity_sizes_count();
create trigger identity_members_sizes_delete after delete on identity_members referencing old table as old_rows
  for each statement execute function identity_sizes_count();
create trigger identity_members_sizes_update after update on identity_members referencing new table as new_rows old table as old_rows
  for each statement execute function identity_sizes_count();
`,
};
