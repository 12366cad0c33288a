import type { Migration } from './types.ts';
import { migration as m0001 } from './0001_core.ts';
import { migration as m0100 } from './0100_evidence.ts';
import { migration as m0130 } from './0130_evidence_seal.ts';
import { migration as m0140 } from './0140_case_evidence_actor.ts';
import { migration as m0200 } from './0200_extract.ts';
import { migration as m0230 } from './0230_ships_to_excluded.ts';
import { migration as m0101 } from './0101_crawl.ts';
import { migration as m0102 } from './0102_import.ts';
import { migration as m0150 } from './0150_jobs.ts';
import { migration as m0110 } from './0110_import_provenance.ts';
import { migration as m0170 } from './0170_undercover.ts';
import { migration as m0171 } from './0171_mirrors.ts';
import { migration as m0172 } from './0172_mirrors_path.ts';
import { migration as m0111 } from './0111_archive_import.ts';
import { migration as m0112 } from './0112_dump_nulls.ts';
import { migration as m0500 } from './0500_server.ts';
import { migration as m0501 } from './0501_api_search.ts';
import { migration as m0502 } from './0502_listing_title_search.ts';
import { migration as m0520 } from './0520_login_throttle.ts';
import { migration as m0521 } from './0521_deconflict_budget.ts';
import { migration as m0522 } from './0522_identity_sizes.ts';
import { migration as m0523 } from './0523_listing_title_tsv.ts';
import { migration as m0300 } from './0300_link.ts';
import { migration as m0600 } from './0600_deconflict.ts';
import { migration as m0601 } from './0601_deconflict_lookup.ts';
import { migration as m0602 } from './0602_deconflict_value_hash.ts';
import { migration as m0603 } from './0603_deconflict_case_agency_fk.ts';
import { migration as m0610 } from './0610_exchange_server.ts';
import { migration as m0620 } from './0620_taxii.ts';
import { migration as m0621 } from './0621_blinded_ack.ts';
import { migration as m0700 } from './0700_money.ts';
import { migration as m0710 } from './0710_money_reports.ts';
import { migration as m0250 } from './0250_induced_adapters.ts';

export type { Migration } from './types.ts';

/** Every migration this version knows, in id order. Register new ones here. */
export const MIGRATIONS: readonly Migration[] = [
  m0001,
  m0100,
  m0130,
  m0140,
  m0200,
  m0230,
  m0101,
  m0102,
  m0150,
  m0110,
  m0170,
  m0171,
  m0172,
  m0111,
  m0112,
  m0500,
  m0501,
  m0502,
  m0520,
  m0521,
  m0522,
  m0523,
  m0300,
  m0600,
  m0601,
  m0602,
  m0603,
  m0610,
  m0620,
  m0621,
  m0700,
  m0710,
  m0250,
].sort((a, b) => a.id - b.id);
