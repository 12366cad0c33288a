/**
 * The typed model of DarkPatrol's simulated dark-web ecosystem.
 *
 * This file is the contract between three parties:
 *  - the world generator (`generateWorld`), which fills it deterministically from a seed;
 *  - the market servers and exporters, which render it (HTML, Telegram JSON, a seized SQL dump);
 *  - the evaluators, which score extraction, linking and revenue estimation against `GroundTruth`.
 *
 * Conventions:
 *  - Time is counted in whole simulated days (`SimDay`) from `SIM_EPOCH_UNIX` (day 0 = 2025-01-01 UTC).
 *    Finer times (messages, orders) are unix seconds.
 *  - Money is always stored in USD (cents avoided: plain numbers with 2 decimals). Display currencies are
 *    derived through the deterministic daily rate table in `rates.ts`.
 *  - Countries are ISO 3166-1 alpha-2 codes; 'WW' in `shipsTo` means worldwide.
 *  - Every id is a stable string: the same seed gives the same ids.
 */

/** Whole days since the simulation epoch (day 0 = 2025-01-01 UTC). */
export type SimDay = number;

/** 2025-01-01T00:00:00Z: day 0 of every simulated world. */
export const SIM_EPOCH_UNIX = 1_735_689_600;

/**
 * Sales are simulated from this many days before day 0, so that markets already show feedback histories on
 * day 0 (sales, feedback and revenue may therefore have negative days).
 */
export const SALES_HISTORY_DAYS = 60;

// ---------------------------------------------------------------------------------------------------------------
// Markets

/** The five HTML designs the market servers implement (different structure, not different CSS). */
export const MARKET_DESIGNS = ['table', 'cards', 'list', 'forum', 'shop'] as const;
export type MarketDesign = (typeof MARKET_DESIGNS)[number];

export const DISPLAY_CURRENCIES = ['BTC', 'USD', 'XMR'] as const;
export type DisplayCurrency = (typeof DISPLAY_CURRENCIES)[number];

/** How a market's life ends in the simulation ('alive' = still up on the last simulated day). */
export const MARKET_FATES = ['alive', 'seized', 'exit_scam'] as const;
export type MarketFate = (typeof MARKET_FATES)[number];

/** Login credentials of an undercover (buyer) account that crawlers and trainees use. */
export interface SimCredential {
  username: string;
  password: string;
  /** Undercover accounts are buyers; they never appear as vendors. */
  role: 'buyer';
}

/** How often the onion service misbehaves; the servers draw from these with their own seeded PRNG. */
export interface SimReliability {
  /** Probability that a response is delayed (by up to `maxDelayMs`). */
  slowRate: number;
  maxDelayMs: number;
  /** Probability of a 502/503 answer. */
  errorRate: number;
  /** Probability that the connection is dropped mid-response. */
  dropRate: number;
}

export interface SimMarket {
  /** Short stable key, used in ids, file names and URLs (`'velvet'`). */
  slug: string;
  /** Display name (`'Velvet Market'`). */
  name: string;
  /** A valid v3 onion address including the `.onion` suffix (56 base32 chars + '.onion'). */
  onion: string;
  design: MarketDesign;
  /** The currency prices are shown in on this market. */
  currency: DisplayCurrency;
  /** Day the market opened (may be negative: it already existed when the simulation starts). */
  openDay: SimDay;
  /** Last day the market was reachable (seizure or exit scam); absent while alive. */
  closeDay?: SimDay;
  fate: MarketFate;
  /** Commission the market takes from each sale (fraction, e.g. 0.04). */
  commission: number;
  /** Undercover buyer accounts (at least three per market). */
  credentials: SimCredential[];
  reliability: SimReliability;
  /** Listings per page in this market's paginated views. */
  pageSize: number;
  /** Seed for the server's own randomness (CAPTCHAs, CSRF, failures), derived from the world seed. */
  serverSeed: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Substances and listings

/** Substance classes, as the EMCDDA / UNODC group them for market monitoring. */
export const SUBSTANCE_CLASSES = [
  'opioid',
  'stimulant',
  'cannabis',
  'psychedelic',
  'benzodiazepine',
  'dissociative',
  'nps',
  'prescription',
] as const;
export type SubstanceClass = (typeof SUBSTANCE_CLASSES)[number];

/** Units a listing's quantity is counted in. Mass units are normalised by `unitToGrams`. */
export const QUANTITY_UNITS = ['g', 'kg', 'mg', 'ml', 'pills', 'tabs', 'blotters', 'patches'] as const;
export type QuantityUnit = (typeof QUANTITY_UNITS)[number];

/** Strength of one dosage unit (one pill, one blotter, one patch), when the product has one. */
export interface SimDose {
  amount: number;
  unit: 'mg' | 'ug';
}

/** A price change: from `day` on (until the next point) the listing costs `usd`. Sorted by day. */
export interface PricePoint {
  day: SimDay;
  usd: number;
}

/** A stock change: from `day` on the listing shows `stock` units available (0 = sold out). Sorted by day. */
export interface StockPoint {
  day: SimDay;
  stock: number;
}

export interface SimListing {
  /** World-wide stable id (`'L000123'`). */
  id: string;
  accountId: string;
  /** Market slug. */
  market: string;
  /** The id shown in the market's URLs (`/listing/<externalId>`); format differs per market design. */
  externalId: string;
  title: string;
  description: string;
  substanceClass: SubstanceClass;
  /** Canonical substance name in lower case (`'heroin'`, `'fentanyl'`, `'protonitazene'`, `'mdma'`). */
  substance: string;
  /** Per-unit strength for countable products (pills, blotters, patches), otherwise absent. */
  dose?: SimDose;
  /** Purity claimed in the listing (percent), when the vendor claims one. */
  purityPct?: number;
  quantity: number;
  unit: QuantityUnit;
  /** Price of one listing (the whole quantity) in USD over time. */
  priceHistory: PricePoint[];
  stockHistory: StockPoint[];
  /** ISO country code the vendor ships from. */
  shipsFrom: string;
  /** ISO country codes, or ['WW'] for worldwide. */
  shipsTo: string[];
  openDay: SimDay;
  /** Last day the listing was shown; absent while still listed at the end of the simulation. */
  closeDay?: SimDay;
}

// ---------------------------------------------------------------------------------------------------------------
// Sales and feedback

export interface SimFeedback {
  /** 1..5 stars (markets that show positive/neutral/negative map 4-5/3/1-2). */
  rating: number;
  text: string;
  /** Day the feedback was left (some days after the sale). */
  day: SimDay;
  /** The market hides it from listing pages (e.g. removed after a dispute); it still exists in the truth. */
  hidden: boolean;
  /** The market shows this feedback twice (a real-world scraping hazard); counting it twice over-estimates. */
  duplicated: boolean;
}

export type SaleStatus = 'finalized' | 'refunded' | 'lost_in_exit_scam';

export interface SimSale {
  /** World-wide stable id (`'S0000001'`). */
  id: string;
  listingId: string;
  accountId: string;
  market: string;
  buyerId: string;
  day: SimDay;
  /** Unix time of the order. */
  at: number;
  /** Units of the listing bought (usually 1). */
  units: number;
  /** What the buyer paid, in USD (price of the day × units). */
  priceUsd: number;
  buyerCountry: string;
  status: SaleStatus;
  /** Absent when the buyer left no feedback (the true feedback rate is below 1). */
  feedback?: SimFeedback;
}

export interface SimBuyer {
  id: string;
  handle: string;
  country: string;
  /** Markets the buyer has an account on (after a takedown buyers move). */
  markets: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Identities and their accounts (aliases)

/**
 * How an account relates to the other accounts of the same identity — the ground truth for linking.
 *  - 'unique': the identity has no other account.
 *  - 'anchor': the identity's first account; every other account of the identity is described relative to it.
 *  - 'same-name-same-key': same handle and same PGP key as the anchor.
 *  - 'other-name-same-key': different handle, same PGP key.
 *  - 'same-name-other-key': same handle, different PGP key (no shared crypto address).
 *  - 'shared-crypto': different handle and key, but a shared bitcoin or Monero address.
 *  - 'style-only': different handle, key and addresses; only writing style (and product/shipping profile) links it.
 */
export const ALIAS_KINDS = [
  'unique',
  'anchor',
  'same-name-same-key',
  'other-name-same-key',
  'same-name-other-key',
  'shared-crypto',
  'style-only',
] as const;
export type AliasKind = (typeof ALIAS_KINDS)[number];

/** Writing habits that make an identity's texts recognisable (and noisy: each is applied with a probability). */
export interface WritingStyle {
  capitalisation: 'normal' | 'lower' | 'shouty' | 'title';
  greeting: string;
  signOff: string;
  /** Phrases this person keeps using. */
  phrases: string[];
  /** How they describe shipping ("stealth ships next day", "tracked & signed, always vacuum sealed"). */
  shippingPhrase: string;
  emojis: string[];
  /** Probability that a sentence gets an emoji. */
  emojiRate: number;
  /** Typical end punctuation ('!!', '...', '.', ' :)'). */
  punctuation: string;
  /** Misspellings this person makes: [correct, misspelt]. */
  typos: Array<[string, string]>;
  /** Probability of applying each typo when the word appears. */
  typoRate: number;
  /** Bullet marker for lists ('-', '*', '•', '>>'). */
  bullet: string;
  /** Which of the title layouts this vendor uses for listings (0..5, see `style.ts`). */
  titleFormat: number;
}

/** A PGP key an identity uses; the armored block is built lazily by `src/sim/pgp` (see `armoredKey`). */
export interface SimPgpKey {
  /** Uppercase hex v4 fingerprint (40 chars), equal to GnuPG's. */
  fingerprint: string;
  /** Last 16 hex chars of the fingerprint. */
  keyId: string;
  /** Unix creation time written into the key. */
  created: number;
  /** User ID packet text ("name" or "name <e-mail>"). */
  userId: string;
  /** The e-mail inside the user ID, if any (an identifiability clue). */
  email?: string;
  hasEncryptionSubkey: boolean;
  /** Hex seed the key material is derived from (private: lets any process rebuild the same key). */
  seed: string;
  /** First day the identity uses this key. */
  fromDay: SimDay;
  /** Last day it uses it (key rotation); absent while in use. */
  toDay?: SimDay;
}

export type CryptoKind = 'btc-p2pkh' | 'btc-p2sh' | 'btc-p2wpkh' | 'btc-p2tr' | 'xmr';

export interface SimCryptoAddress {
  kind: CryptoKind;
  address: string;
}

export const MESSENGER_PLATFORMS = ['telegram', 'wickr', 'session', 'signal', 'threema', 'jabber'] as const;
export type MessengerPlatform = (typeof MESSENGER_PLATFORMS)[number];

export interface SimContactHandle {
  platform: MessengerPlatform;
  /** As the vendor writes it: '@name' (Telegram), a Session id (66 hex), 'user@host' (Jabber), a Threema id. */
  handle: string;
}

export interface HarmProfile {
  /** 0..1: weighted by the most harmful classes sold (nitazenes and fentanyl highest). */
  score: number;
  sellsFentanyl: boolean;
  sellsNitazenes: boolean;
}

/** A real person behind one or more accounts. Never shown by the markets: this is ground truth. */
export interface SimIdentity {
  /** `'I0001'` */
  id: string;
  /** Fictional legal name (for trainee exercises only). */
  realName: string;
  country: string;
  /** Substance classes and substances this person sells. */
  classes: SubstanceClass[];
  substances: string[];
  harm: HarmProfile;
  style: WritingStyle;
  /** PGP keys in the order used; more than one means key rotation (or deliberate separation of aliases). */
  pgpKeys: SimPgpKey[];
  crypto: SimCryptoAddress[];
  contacts: SimContactHandle[];
  /** Activity level: relative weight of this vendor's sales (heavy-tailed). */
  volume: number;
}

/** A PGP key an account shows, for a span of days (key rotation switches it mid-simulation). */
export interface ShownKey {
  fingerprint: string;
  fromDay: SimDay;
  toDay?: SimDay;
}

/** One identity's presence on one market or messenger channel. */
export interface SimAccount {
  /** `'A00001'` */
  id: string;
  identityId: string;
  /** Market slug when the account is a market vendor account, else null. */
  market: string | null;
  /** Channel id when the account posts in a messenger channel, else null. */
  channel: string | null;
  handle: string;
  /** Keys shown in the profile over time (empty: this account shows no key). */
  pgpKeys: ShownKey[];
  /** Vendor profile text ("about me", terms, shipping), in the identity's style. */
  profileText: string;
  /** Crypto addresses the account shows publicly (profile, messages) — a linking clue. */
  shownCrypto: string[];
  /** Contact handles the account advertises. */
  shownContacts: SimContactHandle[];
  openDay: SimDay;
  closeDay?: SimDay;
  aliasKind: AliasKind;
  /** Vendor level / trust shown by the market (design-specific rendering). */
  level: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Messenger channels

export interface SimChannel {
  /** `'ch-...'` stable slug. */
  id: string;
  /** Telegram's numeric id (as in `result.json`). */
  numericId: number;
  name: string;
  /** 'public_channel': only the owner posts; 'public_supergroup': several vendors post. */
  type: 'public_channel' | 'public_supergroup';
  platform: 'telegram';
  /** The owning account for channels, absent for groups. */
  ownerAccountId?: string;
}

/** A piece of message text with Telegram's entity type ('plain' for ordinary text). */
export interface SimTextPart {
  type: 'plain' | 'bold' | 'italic' | 'link' | 'mention' | 'hashtag' | 'code' | 'phone' | 'email' | 'text_link';
  text: string;
  /** For 'text_link'. */
  href?: string;
}

export interface SimMessage {
  /** Per-channel sequential id, as Telegram numbers them. */
  id: number;
  channelId: string;
  /** Author account; a supergroup may also have buyers (`buyerId`) talking. */
  accountId?: string;
  buyerId?: string;
  /** Unix time. */
  at: number;
  parts: SimTextPart[];
}

// ---------------------------------------------------------------------------------------------------------------
// Events

export type SimEventKind = 'market_launch' | 'takedown' | 'exit_scam' | 'vendor_migration' | 'key_rotation';

export interface SimEvent {
  id: string;
  kind: SimEventKind;
  day: SimDay;
  market?: string;
  /** For vendor_migration: where the vendor (re)appeared. */
  toMarket?: string;
  identityId?: string;
  /** For vendor_migration: old and new account; for key_rotation: the account that switched. */
  fromAccountId?: string;
  toAccountId?: string;
  /** For key_rotation: the old and new key fingerprints. */
  fromKey?: string;
  toKey?: string;
  description: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The seized market's database (rendered as a MySQL dump by the exporter)

export interface SeizedMessage {
  id: number;
  fromAccountId?: string;
  fromBuyerId?: string;
  toAccountId?: string;
  toBuyerId?: string;
  at: number;
  subject: string;
  body: string;
}

export interface SeizedWallet {
  /** Buyer or account id owning the wallet. */
  ownerId: string;
  /** 'deposit': the market's receiving address for the user; 'withdrawal': where the user cashes out to. */
  purpose: 'deposit' | 'withdrawal';
  address: string;
  kind: CryptoKind;
  balanceUsd: number;
}

/** A row of the seized market's `users` table and the world entity behind it. */
export interface SeizedUser {
  /** The integer primary key in the dump. */
  userId: number;
  /** The world account (vendor) or buyer id. */
  worldId: string;
  username: string;
  role: 'vendor' | 'buyer';
  /** Unix time of registration. */
  createdAt: number;
  /** Unix time of the last login before the seizure. */
  lastLogin: number;
  /** A bcrypt-format hash string (random: no password is recoverable from it). */
  passwordHash: string;
}

export interface SeizedDatabase {
  market: string;
  /** Day of the seizure (the snapshot date). */
  day: SimDay;
  users: SeizedUser[];
  messages: SeizedMessage[];
  wallets: SeizedWallet[];
  /** Buyer shipping addresses are not kept by markets; the order row keeps the buyer's country. */
}

// ---------------------------------------------------------------------------------------------------------------
// The world

export type ScalePreset = 'tiny' | 'demo' | 'medium' | 'large' | 'alphabay';

export interface ScaleParams {
  markets: number;
  /** Vendor identities (real people). */
  identities: number;
  /** Target number of market vendor accounts (aliases add accounts beyond one per identity). */
  accounts: number;
  listings: number;
  buyers: number;
  days: number;
  channels: number;
  /** Average sales per listing per 30 days (scaled by vendor volume). */
  salesPerListingMonth: number;
}

export interface WorldOptions {
  /** Any string or number; the same seed gives a byte-identical world. */
  seed: string | number;
  /** A preset name (default 'demo') and/or numeric overrides. */
  scale?: ScalePreset | Partial<ScaleParams> | { preset?: ScalePreset; overrides?: Partial<ScaleParams> };
}

/** Key days of the scripted timeline. */
export interface SimTimeline {
  /** The market taken down by police (fate 'seized') and the day it went dark. */
  seizedMarket: string;
  seizureDay: SimDay;
  /** The market whose operators ran off with the escrow (fate 'exit_scam'). */
  exitMarket: string;
  exitDay: SimDay;
  /** The market that opens during the simulation and absorbs displaced vendors. */
  launchMarket: string;
  launchDay: SimDay;
}

export interface World {
  /** Generator version: bumped whenever the same seed would give a different world. */
  version: string;
  seed: string;
  scale: ScaleParams;
  /** Number of simulated days (days 0..days-1). */
  days: number;
  timeline: SimTimeline;
  markets: SimMarket[];
  identities: SimIdentity[];
  accounts: SimAccount[];
  listings: SimListing[];
  sales: SimSale[];
  buyers: SimBuyer[];
  channels: SimChannel[];
  messages: SimMessage[];
  events: SimEvent[];
  /** Where the vendors of the closed markets went (ground truth for displacement analysis). */
  migrations: TruthMigration[];
  seized: SeizedDatabase[];
}

// ---------------------------------------------------------------------------------------------------------------
// Ground truth (written as truth.json)

/** What an extractor should get out of a listing page, in normalised form. */
export interface ExpectedListing {
  listingId: string;
  market: string;
  externalId: string;
  accountId: string;
  identityId: string;
  vendorHandle: string;
  title: string;
  substanceClass: SubstanceClass;
  substance: string;
  dose?: SimDose;
  quantity: number;
  unit: QuantityUnit;
  /** Quantity in grams for mass units, else null. */
  grams: number | null;
  /** Price on the listing's last shown day, in USD and in the market's display currency. */
  priceUsd: number;
  priceDisplay: { currency: DisplayCurrency; amount: number; day: SimDay };
  /** Every price change (USD): the price a crawler saw on day d is the last point at or before d. */
  priceHistory: PricePoint[];
  shipsFrom: string;
  shipsTo: string[];
  openDay: SimDay;
  closeDay: SimDay | null;
}

export interface TruthAccount {
  accountId: string;
  identityId: string;
  market: string | null;
  channel: string | null;
  handle: string;
  aliasKind: AliasKind;
  pgpFingerprints: string[];
}

export interface TruthAliasLink {
  /** The identity's anchor account. */
  anchorAccountId: string;
  accountId: string;
  identityId: string;
  kind: Exclude<AliasKind, 'unique' | 'anchor'>;
}

export interface RevenueRow {
  sales: number;
  /** Sales that left visible feedback (what a feedback-based estimator can see). */
  visibleFeedback: number;
  revenueUsd: number;
}

export interface TruthMigration {
  identityId: string;
  cause: 'takedown' | 'exit_scam';
  fromMarket: string;
  fromAccountId: string;
  /** null: the vendor never reappeared on a market within the simulation. */
  toMarket: string | null;
  toAccountId: string | null;
  /** Day the vendor reappeared, or null. */
  day: SimDay | null;
}

export interface GroundTruth {
  version: string;
  seed: string;
  scale: ScaleParams;
  epochUnix: number;
  days: number;
  markets: Array<Pick<SimMarket, 'slug' | 'name' | 'onion' | 'design' | 'currency' | 'openDay' | 'fate'> & {
    closeDay: SimDay | null;
  }>;
  identities: Array<{
    identityId: string;
    country: string;
    classes: SubstanceClass[];
    harmScore: number;
    pgpFingerprints: string[];
    cryptoAddresses: string[];
    contacts: SimContactHandle[];
    accountIds: string[];
  }>;
  accounts: TruthAccount[];
  aliasLinks: TruthAliasLink[];
  listings: ExpectedListing[];
  /** True revenue (finalized sales only) per account, per identity, and per identity and month ('YYYY-MM'). */
  revenue: {
    byAccount: Record<string, RevenueRow>;
    byIdentity: Record<string, RevenueRow>;
    byIdentityMonth: Record<string, Record<string, RevenueRow>>;
    byMarketMonth: Record<string, Record<string, RevenueRow>>;
  };
  /** Per seized market: the dump's `users.id` → world account or buyer id. */
  seizedUsers: Record<string, Record<string, string>>;
  /** Share of sales that got feedback (visible or not), world-wide: what revenue-from-feedback must correct for. */
  feedbackRate: number;
  timeline: SimTimeline;
  events: SimEvent[];
  migrations: TruthMigration[];
}
