import type { CheerioAPI } from 'cheerio';
import type { AnyNode } from 'domhandler';
import type { ExtractedFeedback, ExtractedListing, ExtractedVendor, ExtractResult, PageType } from '../types.ts';

/**
 * Built-in value transforms, applied in order to a field's source string:
 * - `text`: whitespace collapsed to one line (the default for string fields)
 * - `lines`: line breaks kept, each line trimmed
 * - `number`: first decimal number ("1,234.5" → 1234.5; "1.234,5" → 1234.5)
 * - `integer`: first integer
 * - `price`: amount with currency ({ amount, currency }); `mBTC` and `µBTC` are converted to BTC
 * - `date`: ISO date from absolute dates or relative ages ("3 days ago") resolved at capture time
 * - `url`: absolute URL resolved against the page URL
 * - `list`: split on commas, semicolons, slashes and " and "
 * - `lower`: lower case
 * - `decodeEntities`: decodes entities left in text by markets that escape twice ("Domino&#39;s")
 * - `hook:<name>`: the adapter's own transform from `hooks.transforms[name]`
 */
export type BuiltinTransform =
  | 'text'
  | 'lines'
  | 'number'
  | 'integer'
  | 'price'
  | 'date'
  | 'url'
  | 'list'
  | 'lower'
  | 'decodeEntities';
export type TransformName = BuiltinTransform | `hook:${string}`;

/** How to obtain one field's value. */
export interface FieldSpec {
  /** CSS selector relative to the record's scope element; omitted means the scope element itself. */
  selector?: string;
  /** What to read: visible text (default), text with line breaks, own text only, inner HTML, an attribute, or the page URL. */
  from?: 'text' | 'lines' | 'ownText' | 'html' | 'attr' | 'url';
  /** Attribute name when `from` is 'attr'. */
  attr?: string;
  /** Regular expression applied to the source; the named group `value`, else group 1, else the whole match. */
  pattern?: string | RegExp;
  transform?: TransformName | TransformName[];
  /** Collect every matching element (and every pattern match) into a list. Without it, the first element that
   * yields a value wins. */
  all?: boolean;
  /** Name of a code hook (`hooks.fields[name]`) that reads the value from the selected element. */
  hook?: string;
  /** Missing required fields are reported in `errors` (the record is still kept). */
  required?: boolean;
  /** A fixed value the page does not print (e.g. a rating scale of 100 for "(99%)"): given when `selector`
   * (if any) matches an element; no source is read. */
  value?: string | number;
}

/** One kind of record on a page: `scope` selects one element per record; no scope means one record from the page. */
export interface RecordSpec<K extends string> {
  scope?: string;
  /** Per field, one spec or a list of alternatives tried in order (first value wins). */
  fields: Partial<Record<K, FieldSpec | FieldSpec[]>>;
}

export type ListingField = keyof ExtractedListing;
export type VendorField = keyof ExtractedVendor | 'ratingText';
export type FeedbackField = keyof ExtractedFeedback;

/** What to extract on one page type. */
export interface PageSpec {
  listings?: RecordSpec<ListingField>;
  vendors?: RecordSpec<VendorField>;
  feedback?: RecordSpec<FeedbackField>;
  /** Category path of the page (applied to listings that have none). */
  breadcrumbs?: FieldSpec;
  /** Links to the other pages of a paginated list. */
  pagination?: FieldSpec;
  nextPage?: FieldSpec;
}

/** A page-type rule: every condition given must hold. Rules are tried in order; the first match wins. */
export interface PageTypeRule {
  type: PageType;
  /** Pattern on the URL path+query (e.g. '^/p/[A-Za-z0-9]+$'). */
  url?: string | RegExp;
  /** A DOM marker that must exist. */
  selector?: string;
  /** A DOM marker that must not exist. */
  notSelector?: string;
  /** Pattern on the visible page text. */
  text?: string | RegExp;
}

export interface HookContext {
  $: CheerioAPI;
  url: URL;
  capturedAt: Date;
  pageType: PageType;
}

/** Code hooks for what selectors and patterns cannot express. Each hook's failure is caught and reported. */
export interface AdapterHooks {
  /** Decides the page type before the rules; return undefined to fall back to the rules. */
  detectPageType?(ctx: Omit<HookContext, 'pageType'>): PageType | undefined;
  /** Named field readers, used in field specs as `hook: '<name>'`: element in, raw value out. */
  fields?: Record<string, (node: AnyNode, ctx: HookContext) => unknown>;
  /** Named transforms, used in field specs as `hook:<name>`. */
  transforms?: Record<string, (value: string, ctx: HookContext) => unknown>;
  /** Last word on the result (fix-ups, derived fields). May mutate and return nothing. */
  postProcess?(result: ExtractResult, ctx: HookContext): ExtractResult | void;
}

/** A declarative, versioned market adapter. */
export interface Adapter {
  /** Stable identifier, e.g. 'agora'. */
  id: string;
  /** Semantic version; bump it whenever output may change so re-parsing can tell facts apart. */
  version: string;
  /** Market name stored with the facts. */
  market: string;
  /** Onion or other hostnames this adapter serves (used to pick an adapter for a capture). */
  hosts?: string[];
  pageTypes: PageTypeRule[];
  pages: Partial<Record<PageType, PageSpec>>;
  hooks?: AdapterHooks;
}
