import type { ColumnType, Generated } from 'kysely';
import type { Tlp } from '../domain/tlp.ts';

/** Induced adapters (migration 0250): one row per saved version. */
export interface InducedAdaptersTable {
  id: Generated<number>;
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
  adapter_id: string;
  version: string;
  seq: number;
  market: string;
  market_id: number | null;
  hosts: ColumnType<string[], string[] | undefined, string[]>;
  body: ColumnType<unknown, string, string>;
  labels: number | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}
