// Adapter for the sim's 'list' design: plain `ul.listings > li` rows ("title -- price -- vendor -- from XX"),
// offset pagination ?start=N ("Showing 26–50 of 312", previous/next links), categories /category?name=<class>,
// listings /l/<id> with `ul.facts` "<b>Label:</b> value" items, profiles /profile/<handle> with the PGP key in a
// <textarea> missing the blank line after its armor header, ratings as [positive]/[neutral]/[negative].
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField } from '../adapter/types.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { fromUrl, hrefId, hrefUrl, price, setRatingMax, simDetectPageType, simTransforms } from './sim-common.ts';

const LISTING_LINK = 'a[href^="/l/"]';
const PROFILE_LINK = 'a[href^="/profile/"]';
const LISTING_ID = '^/l/([^/?#]+)';
const HANDLE = '^/profile/([^/?#]+)';

/** The `li` of `ul.facts` whose bold label is `label`. */
const fact = (label: string): string => `ul.facts > li:has(b:contains("${label}"))`;
const afterLabel = '^[^:]*:\\s*([\\s\\S]+?)\\s*$';

const rows: RecordSpec<ListingField> = {
  scope: 'ul.listings > li',
  fields: {
    externalId: hrefId(LISTING_LINK, LISTING_ID),
    url: hrefUrl(LISTING_LINK),
    title: { selector: LISTING_LINK, required: true },
    // "title -- price -- vendor -- from XX": the price is the segment right after the title link.
    ...price(undefined, ' -- (.+?) -- '),
    vendorHandle: hrefId(PROFILE_LINK, HANDLE),
    vendorUrl: hrefUrl(PROFILE_LINK),
    shipsFrom: { pattern: ' -- from (.+?)\\s*$' },
  },
};


const ratings: RecordSpec<FeedbackField> = {
  scope: 'ol.ratings > li',
  fields: {
    rating: { pattern: '^\\s*\\[(\\w+)\\]', transform: 'hook:polarity' },
    text: { pattern: '^\\s*\\[\\w+\\]\\s(?<value>[\\s\\S]*?) -- \\S+, \\d{2}/\\d{2}/\\d{4}(?: \\([\\s\\S]*\\))?\\s*$' },
    buyer: { pattern: ' -- (?<value>\\S+), \\d{2}/\\d{2}/\\d{4}(?: \\([\\s\\S]*\\))?\\s*$' },
    postedAtText: { pattern: ', (?<value>\\d{2}/\\d{2}/\\d{4})(?: \\([\\s\\S]*\\))?\\s*$' },
    postedAt: { pattern: ', (?<value>\\d{2}/\\d{2}/\\d{4})(?: \\([\\s\\S]*\\))?\\s*$', transform: 'date' },
    listingTitle: { pattern: ', \\d{2}/\\d{2}/\\d{4} \\((?<value>[\\s\\S]*)\\)\\s*$' },
    listingExternalId: fromUrl(LISTING_ID),
    vendorHandle: fromUrl(HANDLE),
  },
};

const pagination: FieldSpec = { selector: 'p.offset a[href]', from: 'attr', attr: 'href', transform: 'url', all: true };
const nextPage: FieldSpec = { selector: 'p.offset a[href]:contains("next")', from: 'attr', attr: 'href', transform: 'url' };

export const simListAdapter: Adapter = validateAdapter({
  id: 'sim-list',
  version: '1.0.0',
  market: 'sim:list',
  pageTypes: [
    { type: 'feedback', url: '^/(l|profile)/[^/]+/ratings(\\?|$)' },
    { type: 'listing', url: '^/l/[^/]+$', selector: 'ul.facts' },
    { type: 'vendor_profile', url: '^/profile/[^/]+$' },
    { type: 'category', url: '^/category\\?', selector: 'ul.listings' },
    { type: 'listing_index', selector: 'ul.listings' },
  ],
  pages: {
    listing: {
      listings: {
        scope: 'body',
        fields: {
          externalId: fromUrl(LISTING_ID),
          url: { from: 'url', pattern: `(${LISTING_ID.slice(1)})`, transform: 'url' },
          title: { selector: 'h2', required: true },
          ...price(fact('Price'), afterLabel),
          vendorHandle: hrefId(`${fact('Seller')} ${PROFILE_LINK}`, HANDLE),
          vendorUrl: hrefUrl(`${fact('Seller')} ${PROFILE_LINK}`),
          shipsFrom: { selector: fact('Shipping from'), pattern: afterLabel },
          shipsTo: { selector: fact('Shipping to'), pattern: afterLabel, transform: 'list' },
          stock: { selector: fact('In stock'), pattern: afterLabel, transform: 'integer' },
          category: { selector: fact('Class'), pattern: afterLabel },
          description: { selector: 'p.desc', from: 'lines' },
        },
      },
      vendors: {
        scope: fact('Seller'),
        fields: { handle: hrefId(PROFILE_LINK, HANDLE), url: hrefUrl(PROFILE_LINK) },
      },
    },
    listing_index: { listings: rows, pagination, nextPage },
    category: { listings: rows, pagination, nextPage, breadcrumbs: { selector: 'body > h2' } },
    vendor_profile: {
      vendors: {
        scope: 'body',
        fields: {
          handle: [{ selector: 'h2', pattern: '^\\s*profile:\\s*(.+?)\\s*$' }, fromUrl(HANDLE)],
          url: { from: 'url', pattern: `(${HANDLE.slice(1)})`, transform: 'url' },
          level: { selector: 'p:contains("trust level")', pattern: 'trust level (\\d+)' },
          profileText: { selector: 'p.about', from: 'lines' },
          pgpBlocks: { selector: 'textarea.pgp', from: 'lines', all: true },
        },
      },
      listings: rows,
    },
    feedback: { feedback: ratings, pagination, nextPage },
  },
  hooks: {
    detectPageType: simDetectPageType,
    transforms: simTransforms,
    // Polarity only: +1 positive, 0 neutral, -1 negative on a scale whose top is 1.
    postProcess: (result) => setRatingMax(result, 1),
  },
});
