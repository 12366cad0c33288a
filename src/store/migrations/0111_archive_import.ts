import type { Migration } from './types.ts';

/**
 * Archives made by others become evidence: a capture of kind `archive` is a page someone else saved (a saved
 * page folder, or a response/resource/revisit record of a WARC written by another tool), kept with its original
 * date. Their records are preserved verbatim, so the log accepts every WARC 1.0/1.1 record type.
 */
export const migration: Migration = {
  id: 111,
  name: 'archive_import',
  up: `
alter table captures drop constraint captures_kind_check;
alter table captures add constraint captures_kind_check check (kind in ('http','import','manual','archive'));
alter table evidence_log drop constraint evidence_log_record_type_check;
alter table evidence_log add constraint evidence_log_record_type_check
  check (record_type in ('warcinfo','request','response','metadata','resource','revisit','conversion','continuation'));
create index captures_url on captures (market_id, url, fetched_at);
-- A revisit record says "same payload as that earlier capture": extraction reads the payload there.
alter table captures add column refers_to integer references captures(id);
`,
};
