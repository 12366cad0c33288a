import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { RegisteredSelectorKind } from '../selectors.ts';

type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

/**
 * Tables of migration 0600 (src/store/migrations/0600_deconflict.ts), and the blinded matcher's tokens and hits
 * (created by 0610_exchange_server.ts, acknowledgements by 0621_blinded_ack.ts).
 */
export type DeconflictTables = {
  deconflict_selectors: {
    id: Generated<number>;
    case_id: number;
    agency_id: number;
    kind: RegisteredSelectorKind;
    value: string;
    registered_by: number | null;
    registered_at: DefaultedTimestamp;
  };
  deconflict_hits: {
    id: Generated<number>;
    via: 'selector' | 'identity';
    selector_a: number;
    selector_b: number;
    identity_id: number | null;
    created_at: DefaultedTimestamp;
    ack_a_at: NullableTimestamp;
    ack_a_by: number | null;
    ack_b_at: NullableTimestamp;
    ack_b_by: number | null;
  };
  /** OPRF token ids (first 128 bits of the output, hex) of an owner (agency code or peer agency) against an opaque case handle. */
  blinded_tokens: { id: Generated<number>; owner: string; case_ref: string; contact: string; token_id: string; created_at: DefaultedTimestamp };
  /** Side a is the lower token id; each side acknowledges on its own. */
  blinded_hits: {
    id: Generated<number>;
    token_a: number;
    token_b: number;
    created_at: DefaultedTimestamp;
    ack_a_at: NullableTimestamp;
    ack_a_by: number | null;
    ack_b_at: NullableTimestamp;
    ack_b_by: number | null;
  };
};

export type DeconflictDb = Kysely<Database & DeconflictTables>;

export function deconflictDb(db: Kysely<Database>): DeconflictDb {
  return db.withTables<DeconflictTables>();
}

/** The same connection (or transaction) seen with the core schema only, e.g. for appendAudit. */
export function coreDb(db: DeconflictDb): Kysely<Database> {
  return db as unknown as Kysely<Database>;
}
