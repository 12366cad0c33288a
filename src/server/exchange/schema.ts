import type { ColumnType, Generated, Kysely } from 'kysely';
import type { DeconflictTables } from '../../deconflict/index.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database } from '../../store/index.ts';

type Stamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableStamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

/** Tables of migration 0610 (src/store/migrations/0610_exchange_server.ts); its blinded_tokens and blinded_hits are typed with the de-confliction store (DeconflictTables). */
export type ExchangeTables = {
  exchange_keys: { agency_id: number; key_id: string; public_key: Uint8Array; secret_key: Uint8Array; created_at: Stamp };
  exchange_trusted_keys: { id: Generated<number>; agency_id: number; partner: string; key_id: string; public_key: Uint8Array; note: ColumnType<string, string | undefined, string>; created_at: Stamp };
  exchange_imports: {
    id: Generated<number>;
    agency_id: number;
    tlp: Tlp;
    bundle_id: string;
    signer_agency: string;
    signer_key_id: string;
    via: 'api' | 'federation';
    manifest: Json<unknown>;
    package: Json<unknown>;
    markings: Json<unknown>;
    summary: Json<unknown>;
    imported_by: number | null;
    imported_at: Stamp;
  };
  federation_self: { id: number; installation_id: string; oprf_secret_key: Uint8Array; created_at: Stamp };
  federation_peers: {
    id: Generated<number>;
    agency_id: number;
    name: string;
    base_url: string;
    installation_id: string;
    peer_agency: string;
    peer_contact: ColumnType<string, string | undefined, string>;
    key_id: string;
    public_key: Uint8Array;
    created_at: Stamp;
  };
  federation_nonces: { key_id: string; nonce: string; seen_at: Stamp };
  federation_notices: {
    id: Generated<number>;
    agency_id: number;
    peer_id: number;
    remote_hit_id: number;
    token_id: string;
    case_id: number | null;
    selector_id: number | null;
    other_agency: string;
    other_contact: string;
    received_at: Stamp;
    acknowledged_at: NullableStamp;
  };
  federation_tokens: { agency_id: number; peer_id: number; selector_id: number; token_id: string };
};

export type ExchangeDb = Kysely<Database & DeconflictTables & ExchangeTables>;

export function exchangeDb(db: Kysely<Database>): ExchangeDb {
  return db.withTables<DeconflictTables & ExchangeTables>();
}
