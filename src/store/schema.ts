import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { MarketEventKind, MarketStatus, OnionStatus, SourceKind } from '../domain/market.ts';
import type { Role } from '../domain/role.ts';
import type { Tlp } from '../domain/tlp.ts';
import type { ChainFetchesTable, ChainTagsTable, ChainTxsTable, MoneyReportsTable, MoneyRequestsTable } from './money-schema.ts';
import type { InducedAdaptersTable } from './induce-schema.ts';

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
  status: ColumnType<OnionStatus, OnionStatus | undefined, OnionStatus>;
  detail: ColumnType<string, string | undefined, string>;
}

export interface CapturesTable extends Owned {
  id: Generated<number>;
  /** `archive`: a page someone else captured (saved page folders, other tools' WARC records), with its original date. */
  kind: 'http' | 'import' | 'manual' | 'archive';
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
  /** A revisit (migration 0111): the earlier capture whose payload this one repeats. */
  refers_to: ColumnType<number | null, number | null | undefined, number | null>;
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
  /** NULL when the source had none (a seized dump's NULL), '' when it was empty. */
  description: ColumnType<string | null, string | null | undefined, string | null>;
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
  /** Where the listing says it does not ship (migration 0230). */
  ships_to_excluded: ColumnType<string[], string[] | undefined, string[]>;
  capture_id: number | null;
  adapter: string | null;
}

export interface FeedbackTable extends Owned {
  id: Generated<number>;
  market_id: number;
  vendor_id: number | null;
  listing_id: number | null;
  rating: Numeric | null;
  /** NULL when the source had none (a seized dump's NULL comment). */
  body: ColumnType<string | null, string | null | undefined, string | null>;
  /** Hidden from buyers on the market (known from a seized database only). */
  hidden: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
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
  /** The imported message it was read from (migration 0110). */
  message_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** The source row it was read from, in the source's own terms (`message:3644`, `wallets:17`, `csv:<id>`). */
  row_ref: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A value that looked like a selector but could not be read (invalid wallet address, unreadable PGP block). */
export interface SelectorRejectsTable extends Owned {
  id: Generated<number>;
  /** What it was taken for: a selector kind, or `coin_address` when a wallet column named no currency. */
  kind: string;
  /** Machine reason (`invalid_address`, `armor_checksum_mismatch`, `unparseable`, …). */
  reason: string;
  detail: ColumnType<string, string | undefined, string>;
  /** The text as found, capped at 4 KiB. */
  raw: string;
  raw_sha256: string;
  vendor_id: number | null;
  listing_id: number | null;
  message_id: number | null;
  source: SightingSource;
  capture_id: number | null;
  row_ref: string | null;
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

/** Members per identity, kept by triggers (migration 0522) for the largest-first identity list. */
export interface IdentitySizesTable {
  identity_id: number;
  members: Generated<number>;
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

// --- server (migration 0500): sessions and API tokens ---
export interface SessionsTable {
  id: Generated<number>;
  /** SHA-256 of the cookie secret; the secret itself is never stored. */
  token_hash: string;
  user_id: number;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp;
  last_seen: DefaultedTimestamp;
  ip: ColumnType<string, string | undefined, string>;
}

export interface ApiTokensTable {
  id: Generated<number>;
  agency_id: number;
  user_id: number | null;
  name: string;
  token_hash: string;
  role: Role;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  created_at: DefaultedTimestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used: Timestamp | null;
}

/** Failed logins per key (migration 0520): 'account:<name>', 'address:<ip>', 'pair:<name>|<ip>'. */
export interface LoginThrottleTable {
  key: string;
  failures: number;
  last_failure: Timestamp;
  blocked_until: Timestamp | null;
}
// --- end server ---

/** The whole schema as kysely sees it. Stages add their tables here when they add migrations. */
export interface Database {
  agencies: AgenciesTable;
  chain_tags: ChainTagsTable;
  chain_fetches: ChainFetchesTable;
  chain_txs: ChainTxsTable;
  money_reports: MoneyReportsTable;
  money_requests: MoneyRequestsTable;
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
  selector_rejects: SelectorRejectsTable;
  identities: IdentitiesTable;
  identity_members: IdentityMembersTable;
  identity_sizes: IdentitySizesTable;
  links: LinksTable;
  cases: CasesTable;
  audit_log: AuditLogTable;
  schema_migrations: SchemaMigrationsTable;
  sessions: SessionsTable; // server (0500)
  login_throttle: LoginThrottleTable; // server (0520)
  api_tokens: ApiTokensTable; // server (0500)
  induced_adapters: InducedAdaptersTable; // extract induce (0250)
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

// --- link (migration 0300, issue 7) --------------------------------------------------------------------------
export type LinkRuling = 'must' | 'cannot';
export type LinkDecisionOrigin = 'confirm' | 'reject' | 'split' | 'merge';

export interface LinkDecisionsTable extends Owned {
  id: Generated<number>;
  vendor_a: number;
  vendor_b: number;
  ruling: LinkRuling;
  origin: LinkDecisionOrigin;
  link_id: number | null;
  decided_by: number | null;
  actor: string;
  reason: ColumnType<string, string | undefined, string>;
  decided_at: DefaultedTimestamp;
}

export interface LinkRunsTable {
  id: Generated<number>;
  agency_id: number;
  model_version: string;
  started_at: Timestamp;
  finished_at: Timestamp;
  stats: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export interface Database {
  link_decisions: LinkDecisionsTable;
  link_runs: LinkRunsTable;
}
// --- end link ------------------------------------------------------------------------------------------------

// --- collect / evidence (migrations 0100–0102, issue 5) ------------------------------------------------------
export type EvidenceRecordType = 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource' | 'revisit' | 'conversion' | 'continuation';

export interface EvidenceLogTable {
  id: ColumnType<number, never, never>;
  at: Timestamp;
  record_id: string;
  record_type: EvidenceRecordType;
  target_uri: string | null;
  warc_file: string;
  warc_offset: ColumnType<number, number, never>;
  warc_length: ColumnType<number, number, never>;
  block_sha256: string;
  payload_sha256: string | null;
  job_id: string | null;
  capture_id: number | null;
  prev_hash: string;
  hash: string;
  /** The capture's court-relevant fields as recorded (migration 0130), on its response/resource record's entry. */
  seal: ColumnType<CaptureSeal | null, string | null | undefined, never>;
}

/** What a capture's evidence-log entry binds (src/evidence/seal.ts): an edit of any of these is tampering. */
export interface CaptureSeal {
  capture_id: number;
  agency_id: number;
  agency: string;
  /** The case the capture was collected for (its crawl job's case), if any. */
  case_id: number | null;
  case_reference: string | null;
  kind: string;
  url: string;
  fetched_at: string;
  http_status: number | null;
  content_type: string | null;
  payload_sha256: string;
  block_sha256: string | null;
  payload_size: number;
  warc_record_id: string;
  warc_file: string;
  warc_offset: number;
  warc_length: number;
  job_id: string | null;
  account: string | null;
}

export interface CaseEvidenceTable {
  case_id: number;
  capture_id: number;
  added_at: DefaultedTimestamp;
  /** The actor who attached it (migration 0140); null for captures attached before, or by a crawl of the case. */
  added_by: ColumnType<string | null, string | null | undefined, never>;
}

export interface CrawlMarketsTable {
  market_id: number;
  start_urls: string[];
  allowed_hosts: string[];
  /** Path of the market's signed mirror list (migration 0172). */
  mirrors_path: ColumnType<string, string | undefined, string>;
  login_path: string | null;
  login_fields: ColumnType<Record<string, string> | null, string | null, string | null>;
  skip_patterns: ColumnType<string[], string[] | undefined, string[]>;
  delay_ms: ColumnType<number, number | undefined, number>;
  concurrency: ColumnType<number, number | undefined, number>;
  max_pages: ColumnType<number, number | undefined, number>;
  max_depth: ColumnType<number, number | undefined, number>;
  recrawl_minutes: number | null;
  next_crawl_at: Timestamp | null;
  paused_reason: string | null;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  updated_at: DefaultedTimestamp;
}

export interface CrawlAccountsTable {
  id: Generated<number>;
  market_id: number;
  username: string;
  /** Legacy clear password (before migration 0170); new accounts keep their secrets in undercover_accounts. */
  password: string | null;
  proxy_username: string;
  cookies: ColumnType<Record<string, string>, string | undefined, string>;
  status: ColumnType<'active' | 'locked' | 'disabled', 'active' | 'locked' | 'disabled' | undefined, 'active' | 'locked' | 'disabled'>;
  last_login_at: Timestamp | null;
  undercover_id: number | null;
}

export interface VaultKeysTable {
  id: string;
  kdf: ColumnType<Record<string, unknown>, string, string>;
  check_value: Buffer;
  created_at: DefaultedTimestamp;
}

export type UndercoverStatus = 'active' | 'retired' | 'burned';

export interface UndercoverAccountsTable {
  id: Generated<number>;
  agency_id: number;
  market_id: number;
  username: string;
  /** AES-256-GCM ciphertext of the account's secrets (see src/collect/undercover/vault.ts). */
  secret: Buffer;
  vault_key_id: string;
  pgp_fingerprint: string | null;
  case_id: number;
  authorised_by: string;
  status: ColumnType<UndercoverStatus, UndercoverStatus | undefined, UndercoverStatus>;
  created_at: DefaultedTimestamp;
  last_used_at: Timestamp | null;
  last_used_job: string | null;
  use_count: ColumnType<number, number | undefined, number>;
  retired_at: Timestamp | null;
  retired_reason: string | null;
}

export interface UndercoverClaimsTable {
  identity: string;
  username_key: string;
  agency_id: number;
  account_id: number;
}

export interface MarketSigningKeysTable {
  market_id: number;
  fingerprint: string;
  armored: string;
  pinned_at: DefaultedTimestamp;
  pinned_by: string;
}

export interface MirrorListsTable {
  id: Generated<number>;
  market_id: number;
  fetched_from: string;
  capture_id: number | null;
  signed_at: Timestamp;
  signer_fingerprint: string;
  onions: string[];
  fetched_at: DefaultedTimestamp;
}

export type CrawlJobStatus = 'running' | 'paused' | 'done' | 'failed';

export interface CrawlJobsTable {
  id: string;
  market_id: number;
  account_id: number | null;
  case_id: number | null;
  status: ColumnType<CrawlJobStatus, CrawlJobStatus | undefined, CrawlJobStatus>;
  started_at: DefaultedTimestamp;
  finished_at: Timestamp | null;
  stats: ColumnType<Record<string, unknown>, string | undefined, string>;
}

export type FrontierState = 'queued' | 'claimed' | 'done' | 'failed';

export interface CrawlFrontierTable {
  id: Generated<number>;
  job_id: string;
  url: string;
  depth: ColumnType<number, number | undefined, number>;
  state: ColumnType<FrontierState, FrontierState | undefined, FrontierState>;
  attempts: ColumnType<number, number | undefined, number>;
  not_before: DefaultedTimestamp;
  claimed_by: string | null;
  lease_until: Timestamp | null;
  capture_id: number | null;
  http_status: number | null;
  error: string | null;
}

export type CaptchaStatus = 'pending' | 'solved' | 'used' | 'expired';

export interface CrawlCaptchasTable {
  id: Generated<number>;
  market_id: number;
  account_id: number | null;
  job_id: string | null;
  image: Buffer;
  image_type: string;
  image_sha256: string;
  capture_id: number | null;
  form: ColumnType<Record<string, unknown>, string, string>;
  kind: ColumnType<'login' | 'anti-ddos', 'login' | 'anti-ddos' | undefined, 'login' | 'anti-ddos'>;
  status: ColumnType<CaptchaStatus, CaptchaStatus | undefined, CaptchaStatus>;
  answer: string | null;
  solved_by: string | null;
  created_at: DefaultedTimestamp;
  solved_at: Timestamp | null;
}

export interface MessagesTable extends Owned {
  id: Generated<number>;
  market_id: number;
  external_id: string;
  vendor_id: number | null;
  sender: string | null;
  recipient: string | null;
  thread: string | null;
  sent_at: Timestamp | null;
  body: ColumnType<string, string | undefined, string>;
  reply_to: string | null;
  capture_id: number | null;
  edited_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** A forward: the original author as the export names them, and their id; `vendor_id` is that author's account. */
  forwarded_from: ColumnType<string | null, string | null | undefined, string | null>;
  forwarded_from_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The account that forwarded it into this chat. */
  forwarded_by: ColumnType<number | null, number | null | undefined, number | null>;
  /** Photos and files the message carries: `{ kind, path, mime?, size?, sha256? }` (sha256 when the file was in the export). */
  media: ColumnType<MessageMedia[], string | undefined, string>;
}

export interface MessageMedia {
  kind: 'photo' | 'file' | 'video' | 'voice' | 'sticker' | 'animation' | 'audio';
  /** As the export writes it (relative to the export folder), or the exporter's "(File not included…)" note. */
  path: string;
  mime?: string;
  size?: number;
  sha256?: string;
}

export interface OrdersTable extends Owned {
  id: Generated<number>;
  market_id: number;
  external_id: string;
  listing_id: number | null;
  vendor_id: number | null;
  buyer: string | null;
  buyer_country: string | null;
  quantity: Numeric | null;
  price: Numeric | null;
  currency: string | null;
  ordered_at: Timestamp | null;
  status: string | null;
  capture_id: number | null;
}

export type ImportKind = 'telegram' | 'dump' | 'csv' | 'pages' | 'warc';

export interface ImportCheckpointsTable {
  id: Generated<number>;
  kind: ImportKind;
  file_sha256: string;
  target: ColumnType<string, string | undefined, string>;
  capture_id: number | null;
  position: ColumnType<number, number | undefined, number>;
  rows: ColumnType<number, number | undefined, number>;
  state: ColumnType<'running' | 'done' | 'failed', 'running' | 'done' | 'failed' | undefined, 'running' | 'done' | 'failed'>;
  error: string | null;
  updated_at: DefaultedTimestamp;
  /** What the import was run with (its mapping), to re-derive it from the preserved file. */
  options: ColumnType<Record<string, unknown>, string | undefined, string>;
}

/** One row of an input file that was not imported, with its exact position and why. */
export interface ImportRejectsTable {
  id: Generated<number>;
  checkpoint_id: number;
  line: number;
  byte_offset: number | null;
  reason: string;
  raw: ColumnType<string, string | undefined, string>;
}

export interface Database {
  import_rejects: ImportRejectsTable;
  evidence_log: EvidenceLogTable;
  case_evidence: CaseEvidenceTable;
  crawl_markets: CrawlMarketsTable;
  crawl_accounts: CrawlAccountsTable;
  crawl_jobs: CrawlJobsTable;
  crawl_frontier: CrawlFrontierTable;
  crawl_captchas: CrawlCaptchasTable;
  vault_keys: VaultKeysTable;
  undercover_accounts: UndercoverAccountsTable;
  undercover_claims: UndercoverClaimsTable;
  market_signing_keys: MarketSigningKeysTable;
  mirror_lists: MirrorListsTable;
  messages: MessagesTable;
  orders: OrdersTable;
  import_checkpoints: ImportCheckpointsTable;
}
// --- end collect / evidence ----------------------------------------------------------------------------------

// --- jobs (migration 0150) -------------------------------------------------------------------------------------
export type JobStateColumn = 'queued' | 'running' | 'retrying' | 'paused' | 'completed' | 'failed' | 'cancelled';

export interface JobsTable {
  id: string;
  kind: string;
  agency_id: number | null;
  requested_by: string;
  payload: ColumnType<Record<string, unknown>, string, string>;
  state: ColumnType<JobStateColumn, JobStateColumn | undefined, JobStateColumn>;
  progress: ColumnType<Record<string, unknown>, string | undefined, string>;
  checkpoint: ColumnType<Record<string, unknown>, string | undefined, string>;
  result: ColumnType<unknown, string | null | undefined, string | null>;
  error: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  retry_limit: ColumnType<number, number | undefined, number>;
  boss_id: string | null;
  worker_id: string | null;
  control: 'pause' | 'cancel' | null;
  created_at: DefaultedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: DefaultedTimestamp;
}

export interface JobWorkersTable {
  id: string;
  host: string;
  pid: number;
  queues: string[];
  started_at: DefaultedTimestamp;
  heartbeat_at: DefaultedTimestamp;
  stopped_at: Timestamp | null;
  stop_reason: string | null;
}

export interface Database {
  jobs: JobsTable;
  job_workers: JobWorkersTable;
}
// --- end jobs -------------------------------------------------------------------------------------------------

// --- extract (migration 0200) ---------------------------------------------------------------------------------
export interface FxRatesTable {
  day: ColumnType<string, string, string>;
  currency: string;
  usd: number;
}

export interface CaptureParsesTable {
  capture_id: number;
  adapter: string;
  page_type: string;
  ok: boolean;
  errors: ColumnType<unknown, string | undefined, string>;
  parsed_at: DefaultedTimestamp;
}

export interface Database {
  fx_rates: FxRatesTable;
  capture_parses: CaptureParsesTable;
}
// --- end extract ----------------------------------------------------------------------------------------------
