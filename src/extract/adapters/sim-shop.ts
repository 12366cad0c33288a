// Adapter for the sim's 'shop' design (a vendor storefront): `section.product` blocks with schema.org microdata
// on the storefront (/?page=N, /?cat=<class>, newer/older links), products /product/<id>, sellers on /about
// (every seller) and /about?vendor=<handle> (`article.vendor`, clean PGP <pre>), reviews /reviews with
// "Rating: 4.0 — b***r, <RFC 1123 date> — <product>" footers.
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField } from '../adapter/types.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { fromUrl, hrefId, hrefUrl, price, setRatingMax, simDetectPageType, simTransforms } from './sim-common.ts';

const PRODUCT_LINK = 'a[href^="/product/"]';
const SELLER_LINK = 'a[href^="/about?vendor="]';
const PRODUCT_ID = '^/product/([^/?#]+)';
const HANDLE = '[?&]vendor=([^&#]+)';
const RFC1123 = '\\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT';

const products: RecordSpec<ListingField> = {
  scope: 'section.product',
  fields: {
    externalId: hrefId(PRODUCT_LINK, PRODUCT_ID),
    url: hrefUrl(PRODUCT_LINK),
    title: { selector: `[itemprop="name"] ${PRODUCT_LINK}`, required: true },
    ...price('[itemprop="offers"] [itemprop="price"]'),
    shipsFrom: { selector: 'p.qty', pattern: 'ships from (.+?)\\s*$' },
  },
};

const reviews: RecordSpec<FeedbackField> = {
  scope: 'blockquote.review',
  fields: {
    rating: { selector: 'footer', pattern: '^\\s*Rating:\\s*(\\d+(?:\\.\\d+)?)', transform: 'number' },
    text: { selector: 'p' },
    buyer: { selector: 'footer', pattern: ' — (\\S+), ' + RFC1123 },
    postedAtText: { selector: 'footer', pattern: `(${RFC1123})` },
    postedAt: { selector: 'footer', pattern: `(${RFC1123})`, transform: 'date' },
    listingTitle: { selector: 'footer', pattern: `${RFC1123} — ([\\s\\S]+?)\\s*$` },
    listingExternalId: fromUrl(PRODUCT_ID),
  },
};

const pagination: FieldSpec = { selector: 'div.more a[href]', from: 'attr', attr: 'href', transform: 'url', all: true };
const nextPage: FieldSpec = { selector: 'div.more a[href]:contains("older")', from: 'attr', attr: 'href', transform: 'url' };

export const simShopAdapter: Adapter = validateAdapter({
  id: 'sim-shop',
  version: '1.0.0',
  market: 'sim:shop',
  pageTypes: [
    { type: 'listing', url: '^/product/[^/]+$', selector: 'main.product-page' },
    { type: 'vendor_profile', url: '^/about(\\?|$)', selector: 'article.vendor' },
    { type: 'feedback', url: '^/reviews(\\?|$)' },
    { type: 'category', url: '^/\\?(?:.*&)?cat=', selector: 'main.catalogue' },
    { type: 'listing_index', selector: 'main.catalogue' },
  ],
  pages: {
    listing: {
      listings: {
        scope: 'main.product-page',
        fields: {
          externalId: fromUrl(PRODUCT_ID),
          url: { from: 'url', pattern: `(${PRODUCT_ID.slice(1)})`, transform: 'url' },
          title: { selector: 'h2[itemprop="name"]', required: true },
          ...price('[itemprop="offers"] [itemprop="price"]'),
          vendorHandle: hrefId(`p.seller ${SELLER_LINK}`, HANDLE),
          vendorUrl: hrefUrl(`p.seller ${SELLER_LINK}`),
          shipsFrom: { selector: 'p:contains("Ships from") > b:first-of-type' },
          shipsTo: { selector: 'p:contains("Ships from") > b:nth-of-type(2)', transform: 'list' },
          stock: [
            { selector: 'p.stock', pattern: '(\\d+)\\s+left', transform: 'integer' },
            { selector: 'p.stock', pattern: '^\\s*(currently unavailable)\\s*$', transform: 'hook:zero' },
          ],
          category: { selector: 'p:contains("Category:") > a[href*="cat="]' },
          description: { selector: '[itemprop="description"]', from: 'lines' },
        },
      },
      vendors: {
        scope: 'p.seller',
        fields: { handle: hrefId(SELLER_LINK, HANDLE), url: hrefUrl(SELLER_LINK) },
      },
      feedback: reviews,
    },
    listing_index: { listings: products, pagination, nextPage },
    // The storefront of one category names it only in the page title ("Stimulants — Shop name").
    category: { listings: products, pagination, nextPage, breadcrumbs: { selector: 'title', pattern: '^\\s*(.+?)\\s+—\\s' } },
    vendor_profile: {
      vendors: {
        scope: 'article.vendor',
        fields: {
          handle: [{ selector: 'h2', pattern: '^\\s*About\\s+(.+?)\\s*$' }, { from: 'attr', attr: 'id' }],
          url: { from: 'attr', attr: 'id', transform: ['hook:aboutUrl', 'url'] },
          level: { selector: 'p.since', pattern: 'level (\\d+)' },
          profileText: { selector: 'div.bio', from: 'lines' },
          pgpBlocks: { selector: 'pre.pgp', from: 'lines', all: true },
        },
      },
    },
    feedback: { feedback: reviews, pagination, nextPage },
  },
  hooks: {
    detectPageType: simDetectPageType,
    transforms: { ...simTransforms, aboutUrl: (handle: string) => `/about?vendor=${encodeURIComponent(handle)}` },
    // Ratings are printed as "Rating: 4.0" on a five-point scale.
    postProcess: (result) => setRatingMax(result, 5),
  },
});
