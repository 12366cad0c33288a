import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database } from '../../store/index.ts';

type Stamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableStamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

/** Tables of migration 0620 (src/store/migrations/0620_taxii.ts). */
export type TaxiiTables = {
  taxii_collections: {
    id: string;
    agency_id: number;
    tlp: Tlp;
    partner_agency_id: number | null;
    title: string;
    description: ColumnType<string, string | undefined, string>;
    alias: string | null;
    created_at: Stamp;
  };
  taxii_objects: {
    seq: Generated<string>;
    collection_id: string;
    agency_id: number;
    tlp: Tlp;
    stix_id: string;
    stix_type: string;
    spec_version: ColumnType<string, string | undefined, string>;
    version: string;
    version_at: ColumnType<Date, Date | string, Date | string>;
    date_added: Stamp;
    object: Json<Record<string, unknown>>;
    source: string;
  };
  taxii_status: {
    id: string;
    agency_id: number;
    collection_id: string;
    request_timestamp: Stamp;
    total_count: number;
    success_count: number;
    failure_count: number;
    successes: Json<unknown[]>;
    failures: Json<unknown[]>;
  };
  taxii_subscriptions: {
    id: Generated<number>;
    agency_id: number;
    name: string;
    collection_url: string;
    username: string | null;
    secret: string;
    tlp: Tlp;
    interval_minutes: number;
    added_after: string | null;
    last_run_at: NullableStamp;
    last_error: string | null;
    created_at: Stamp;
  };
  intel_imports: {
    id: Generated<number>;
    agency_id: number;
    tlp: Tlp;
    source: string;
    via: 'file' | 'api' | 'taxii';
    bundle_id: string;
    sha256: string;
    objects: Json<unknown[]>;
    markings: Json<unknown[]>;
    summary: Json<Record<string, unknown>>;
    imported_by: number | null;
    imported_at: Stamp;
  };
};

export type TaxiiDb = Kysely<Database & TaxiiTables>;

export function taxiiDb(db: Kysely<Database>): TaxiiDb {
  return db.withTables<TaxiiTables>();
}
