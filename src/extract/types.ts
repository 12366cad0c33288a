import type { Money } from '../domain/money.ts';

/** What a captured page is. Blocking pages (seized banner, login wall, captcha) are recognised so the crawler
 * and the analysts can act on them instead of storing an empty extraction. */
export const PAGE_TYPES = [
  'listing_index',
  'listing',
  'vendor_profile',
  'feedback',
  'category',
  'seized',
  'login',
  'captcha',
  /** An anti-DDoS front with no captcha: a queue, a "checking your browser" wait, a timed redirect. */
  'interstitial',
  /** A page saying what was asked for is not there: 404, "not found", "listing removed". */
  'error',
  'unknown',
] as const;
export type PageType = (typeof PAGE_TYPES)[number];

/** One captured page handed to the extractor. `html` as bytes is decoded by charset (header, BOM, meta, sniff). */
export interface PageInput {
  url: string;
  html: string | Uint8Array;
  capturedAt: string | Date;
  /** Digest of the WARC record the page came from (e.g. 'sha256:…'). */
  captureDigest: string;
  /** HTTP Content-Type header of the response, if known (its charset wins over <meta>). */
  contentType?: string;
}

/** Where every extracted fact came from. */
export interface Provenance {
  captureDigest: string;
  /** `id@version` of the adapter (or `generic@version`). */
  adapter: string;
  url: string;
  capturedAt: string;
}

export interface ExtractedListing {
  /** The market's own listing id (from its URL), the natural key of a listing on its market. */
  externalId: string | null;
  url: string | null;
  title: string | null;
  price: Money | null;
  /** Price as shown, for audit ("0.15862175 BTC"). */
  priceText: string | null;
  vendorHandle: string | null;
  vendorUrl: string | null;
  shipsFrom: string | null;
  /** Destinations as shown ("Worldwide", "USA only"), split on commas; exclusions are not destinations. */
  shipsTo: string[];
  /** Where the listing says it does not ship ("Worldwide except Finland" → ["Finland"]), as shown. */
  shipsToExcluded: string[];
  description: string | null;
  /** Category path from root to leaf. */
  category: string[];
  /** Units left in stock when the market shows it. */
  stock: number | null;
  imageUrls: string[];
}

export interface ExtractedVendor {
  handle: string | null;
  url: string | null;
  /** Average rating as shown, on a scale of `ratingMax`. */
  rating: number | null;
  ratingMax: number | null;
  /** True when the market shows the rating as approximate ("~5/5"). */
  ratingApprox: boolean;
  /** Completed deals (sales) as a range when the market shows a bucket ("55~70 deals"). */
  dealsMin: number | null;
  dealsMax: number | null;
  /** Market-specific level or trust label, when shown. */
  level: string | null;
  profileText: string | null;
  /** ASCII-armoured PGP blocks exactly as recovered from the page (line breaks restored), for the selector extractor. */
  pgpBlocks: string[];
  lastSeenText: string | null;
}

export interface ExtractedFeedback {
  listingExternalId: string | null;
  listingTitle: string | null;
  vendorHandle: string | null;
  rating: number | null;
  ratingMax: number | null;
  text: string | null;
  /** ISO date (YYYY-MM-DD) when absolute, or resolved from a relative age ("3 days ago") against capturedAt. */
  postedAt: string | null;
  postedAtText: string | null;
  buyer: string | null;
}

export interface ExtractedPagination {
  /** URLs (absolute) of other pages of the same list. */
  pages: string[];
  next: string | null;
}

/** Text worth scanning for selectors (PGP keys, addresses, handles), with where it came from. */
export interface TextBlock {
  kind: 'listing_description' | 'vendor_profile' | 'feedback' | 'pgp' | 'page';
  ref: string | null;
  text: string;
}

export type ExtractErrorCode =
  | 'page_too_large'
  | 'empty_page'
  | 'decode_error'
  | 'parse_error'
  | 'depth_limit'
  | 'element_limit'
  | 'missing_required_field'
  | 'bad_field_value'
  | 'bad_selector'
  | 'bad_pattern'
  | 'hook_failed'
  | 'blocked_page'
  | 'no_page_spec';

export interface ExtractError {
  code: ExtractErrorCode;
  message: string;
  /** Field or record the error is about, e.g. 'listings[3].price'. */
  path?: string;
}

export interface ExtractStats {
  bytes: number;
  encoding: string;
  elements: number;
  maxDepth: number;
  droppedElements: number;
  millis: number;
}

export interface ExtractResult {
  /** False when nothing could be extracted because of an error (too large, blocked, unknown page type…). */
  ok: boolean;
  pageType: PageType;
  market: string | null;
  provenance: Provenance;
  listings: ExtractedListing[];
  vendors: ExtractedVendor[];
  feedback: ExtractedFeedback[];
  breadcrumbs: string[];
  pagination: ExtractedPagination;
  texts: TextBlock[];
  errors: ExtractError[];
  warnings: ExtractError[];
  stats: ExtractStats;
}
