import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MarketEventKind, MarketStatus, SourceKind } from '../domain/market.ts';
import type { Role } from '../domain/role.ts';
import type { Tlp } from '../domain/tlp.ts';

/** Timestamps are read as Date; written as Date or ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** numeric and int8 are parsed to JS numbers (see pg-types.ts): amounts and counts here stay well below 2^53. */
type Numeric = ColumnType<number, number | string, number | string>;
type Json<T> = ColumnType<T, string, string>;

/** Columns every owned row carries. */
interface Owned {
  agency_id: number;
  tlp: ColumnType<Tlp, Tlp | undefined, Tlp>;
}

export interface AgenciesTable {
  id: Generated<number>;
  code: string;
  name: string;
  country: string;
  contact_point: ColumnType<string, string | undefined, string>;
  created_at: DefaultedTimestamp;
}

export interface UsersTable {
  id: Generated<number>;
  agency_id: number;
  username: string;
  display_name: ColumnType<string, string | undefined, string>;
  role: Role;
  password_hash: string | null;
  failed_logins: ColumnType<number, number | undefined, number>;
  locked_until: Timestamp | null;
  disabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: DefaultedTimestamp;
}

export interface MarketsTable extends Owned {
  id: Generated<number>;
  slug: string;
  name: string;
  kind: ColumnType<SourceKind, SourceKind | undefined, SourceKind>;
  status: ColumnType<MarketStatus, MarketStatus | undefined, MarketStatus>;
  adapter: string | null;
  first_seen: Timestamp | null;
  last_seen: Timestamp | null;
  created_at: DefaultedTimestamp;
}

export interface MarketOnionsTable {
  market_id: number;
  onion: string;
  first_seen: DefaultedTimestamp;
  last_seen: DefaultedTimestamp;
}

export interface CapturesTable extends Owned {
  id: Generated<number>;
  kind: 'http' | 'import' | 'manual';
  market_id: number | null;
  url: string;
  http_status: number | null;
  content_type: string | null;
  warc_file: string | null;
  warc_offset: ColumnType<number | null, number | null | undefined, number | null>;
  warc_length: ColumnType<number | null, number | null | undefined, number | null>;
  warc_record_id: string | null;
  payload_sha256: string;
  block_sha256: string | null;
  payload_size: ColumnType<number, number | undefined, number>;
  fetched_at: Timestamp;
  job_id: string | null;
  account: string | null;
  created_at: DefaultedTimestamp;
}

export interface MarketEventsTable extends Owned {
  id: Generated<number>;
  market_id: number;
  kind: MarketEventKind;
  observed_at: Timestamp;
  capture_id: number | null;
  detail: ColumnType<string, string | undefined, string>;
}

/** An account on one source: a market vendor, a messenger sender, a seized-database user. */
export interface VendorsTable extends Owned {
  id: Generated<number>;
  market_id: number;
  handle: string;
  handle_norm: string;
  external_id: string | null;
  profile_text: ColumnType<string, string | undefined, string>;
  rating: string | null;
  first_seen: Timestamp;
  last_seen: Timestamp;
  capture_id: number | null;
  adapter: string | null;
}

export interface ListingsTable extends Owned {
  id: Generated<number>;
  market_id: number;
  vendor_id: number | null;
  external_id: string;
  title: string;
  description: ColumnType<string, string | undefined, string>;
  category: string | null;
  substance_class: string | null;
  substance: string | null;
  dose: string | null;
  quantity: Numeric | null;
  unit: string | null;
  first_seen: Timestamp;
  last_seen: Timestamp;
  capture_id: number | null;
  adapter: string | null;
}

export interface ListingSnapshotsTable extends Owned {
  id: Generated<number>;
  listing_id: number;
  observed_at: Timestamp;
  price: Numeric;
  currency: string;
  price_usd: Numeric | null;
  price_eur: Numeric | null;
  stock: number | null;
  ships_from: string | null;
  ships_to: ColumnType<string[], string[] | undefined, string[]>;
  capture_id: number | null;
  adapter: string | null;
}

export interface FeedbackTable extends Owned {
  id: Generated<number>;
  market_id: number;
  vendor_id: number | null;
  listing_id: number | null;
  rating: Numeric | null;
  body: ColumnType<string, string | undefined, string>;
  buyer: string | null;
  left_at: Timestamp | null;
  /** Stable key of one feedback entry on its market, so re-crawls and re-parses never duplicate it. */
  dedupe_key: string;
  capture_id: number | null;
  adapter: string | null;
}

export interface SelectorsTable extends Owned {
  id: Generated<number>;
  kind: string;
  /** Normalised: the same real-world value always gives the same value here. */
  value: string;
  meta: ColumnType<Record<string, unknown>, string | undefined, string>;
  first_seen: DefaultedTimestamp;
}

export type SightingSource = 'profile' | 'listing' | 'feedback' | 'message' | 'dump' | 'import' | 'manual';

export interface SelectorSightingsTable extends Owned {
  id: Generated<number>;
  selector_id: number;
  vendor_id: number | null;
  listing_id: number | null;
  source: SightingSource;
  capture_id: number | null;
  observed_at: Timestamp;
}

export interface IdentitiesTable extends Owned {
  id: Generated<number>;
  label: string;
  created_at: DefaultedTimestamp;
  updated_at: DefaultedTimestamp;
}

export interface IdentityMembersTable {
  identity_id: number;
  vendor_id: number;
  added_at: DefaultedTimestamp;
}

export type LinkStatus = 'proposed' | 'confirmed' | 'rejected';

export interface LinksTable extends Owned {
  id: Generated<number>;
  vendor_a: number;
  vendor_b: number;
  score: number;
  evidence: Json<unknown>;
  status: ColumnType<LinkStatus, LinkStatus | undefined, LinkStatus>;
  decided_by: number | null;
  decided_at: Timestamp | null;
  created_at: DefaultedTimestamp;
}

export interface CasesTable extends Owned {
  id: Generated<number>;
  reference: string;
  title: string;
  contact_point: string;
  created_by: number | null;
  created_at: DefaultedTimestamp;
  closed_at: Timestamp | null;
}

export interface AuditLogTable {
  id: ColumnType<number, never, never>;
  at: DefaultedTimestamp;
  agency_id: number | null;
  user_id: number | null;
  actor: string;
  action: string;
  object_type: ColumnType<string, string | undefined, string>;
  object_id: ColumnType<string, string | undefined, string>;
  detail: ColumnType<Record<string, unknown>, string | undefined, never>;
  prev_hash: string;
  hash: string;
}

export interface SchemaMigrationsTable {
  id: number;
  name: string;
  checksum: string;
  applied_at: DefaultedTimestamp;
}

/** The whole schema as kysely sees it. Stages add their tables here when they add migrations. */
export interface Database {
  agencies: AgenciesTable;
  users: UsersTable;
  markets: MarketsTable;
  market_onions: MarketOnionsTable;
  captures: CapturesTable;
  market_events: MarketEventsTable;
  vendors: VendorsTable;
  listings: ListingsTable;
  listing_snapshots: ListingSnapshotsTable;
  feedback: FeedbackTable;
  selectors: SelectorsTable;
  selector_sightings: SelectorSightingsTable;
  identities: IdentitiesTable;
  identity_members: IdentityMembersTable;
  links: LinksTable;
  cases: CasesTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
}

export type Agency = Selectable<AgenciesTable>;
export type NewAgency = Insertable<AgenciesTable>;
export type User = Selectable<UsersTable>;
export type Market = Selectable<MarketsTable>;
export type NewMarket = Insertable<MarketsTable>;
export type Capture = Selectable<CapturesTable>;
export type NewCapture = Insertable<CapturesTable>;
export type Vendor = Selectable<VendorsTable>;
export type NewVendor = Insertable<VendorsTable>;
export type Listing = Selectable<ListingsTable>;
export type NewListing = Insertable<ListingsTable>;
export type ListingSnapshot = Selectable<ListingSnapshotsTable>;
export type NewListingSnapshot = Insertable<ListingSnapshotsTable>;
export type Feedback = Selectable<FeedbackTable>;
export type NewFeedback = Insertable<FeedbackTable>;
export type Link = Selectable<LinksTable>;
export type LinkUpdate = Updateable<LinksTable>;
export type Case = Selectable<CasesTable>;
