import type { ColumnType, Generated } from 'kysely';
import type { Tlp } from '../domain/tlp.ts';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** Tables of migration 0700 (follow the money). */
export interface ChainTagsTable {
  id: Generated<number>;
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  address: string;
  label: string;
  category: string;
  source: string;
  currency: string;
  confidence: string | null;
  lastmod: ColumnType<Date | null, string | null | undefined, string | null>;
  actor: string | null;
  context: string | null;
  is_cluster_definer: boolean | null;
  tagpack: string;
  created_at: DefaultedTimestamp;
}

export interface ChainFetchesTable {
  id: Generated<number>;
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  capture_id: number;
  source: string;
  what: string;
  body_sha256: string;
  fetched_at: Timestamp;
}

export interface ChainTxsTable {
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  txid: string;
  block_hash: string | null;
  height: number | null;
  block_time: ColumnType<Date | null, Date | string | null, Date | string | null>;
  body: ColumnType<unknown, string, string>;
  first_fetch_id: number;
}

/** Tables of migration 0710 (cash-out reports and draft exchange requests made over the API). */
export interface MoneyReportsTable {
  id: Generated<number>;
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  identity_id: number;
  source: string;
  report: ColumnType<unknown, string, string>;
  preserved_captures: ColumnType<number, number | undefined, number>;
  preserved_txs: ColumnType<number, number | undefined, number>;
  created_by: string;
  created_at: DefaultedTimestamp;
}

export interface MoneyRequestsTable {
  id: Generated<number>;
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  identity_id: number;
  report_id: number;
  exchange: string;
  partner_agency_id: number | null;
  case_ref: string | null;
  body: string;
  created_by: string;
  created_at: DefaultedTimestamp;
}
