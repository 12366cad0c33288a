// Adapter for the sim's 'table' design (Agora-like): listings in `table.listings tr.product`, numbered pages
// (`.pagination`, ?page=N), categories /cat/<class>, listing /p/<id> with a `table.details` of th/td facts,
// vendor /vendor/<handle> (profile text and a PGP block broken by <br/> and entities in one `.profile` div),
// feedback tables on listing, /p/<id>/feedback and /vendor/<handle>/feedback pages.
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField } from '../adapter/types.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { fromUrl, hrefId, hrefUrl, price, simDetectPageType, simTransforms } from './sim-common.ts';

const LISTING_LINK = 'a[href^="/p/"]';
const VENDOR_LINK = 'a[href^="/vendor/"]';
const LISTING_ID = '^/p/([^/?#]+)';
const VENDOR_HANDLE = '^/vendor/([^/?#]+)';

/** The value cell of a `th`/`td` fact row. */
const fact = (label: string): string => `table.details tr:has(th:contains("${label}")) > td`;

const rows: RecordSpec<ListingField> = {
  scope: 'table.listings tr.product',
  fields: {
    externalId: hrefId(LISTING_LINK, LISTING_ID),
    url: hrefUrl(LISTING_LINK),
    title: { selector: LISTING_LINK, required: true },
    ...price('td.price'),
    vendorHandle: hrefId(VENDOR_LINK, VENDOR_HANDLE),
    vendorUrl: hrefUrl(VENDOR_LINK),
    shipsFrom: { selector: 'td:last-child' },
  },
};

const feedback: RecordSpec<FeedbackField> = {
  scope: 'table.feedback tr:has(td)',
  fields: {
    rating: { selector: 'td.rating', pattern: '(\\d+(?:\\.\\d+)?\\s*/\\s*\\d+)' },
    text: { selector: 'td.text' },
    buyer: { selector: 'td.buyer' },
    postedAtText: { selector: 'td.date' },
    postedAt: { selector: 'td.date', transform: 'date' },
    // Vendor feedback pages add an Item column (the only cell without a class).
    listingTitle: { selector: 'td:not([class])' },
    listingExternalId: fromUrl(LISTING_ID),
    vendorHandle: fromUrl(VENDOR_HANDLE),
  },
};

const pagination: FieldSpec = { selector: '.pagination a[href]', from: 'attr', attr: 'href', transform: 'url', all: true };
const nextPage: FieldSpec = { selector: '.pagination b.current + a[href]', from: 'attr', attr: 'href', transform: 'url' };

export const simTableAdapter: Adapter = validateAdapter({
  id: 'sim-table',
  version: '1.0.0',
  market: 'sim:table',
  pageTypes: [
    { type: 'feedback', url: '^/(p|vendor)/[^/]+/feedback(\\?|$)' },
    { type: 'listing', url: '^/p/[^/]+$', selector: 'h1.title' },
    { type: 'vendor_profile', url: '^/vendor/[^/]+$', selector: 'h1.vendor' },
    { type: 'category', url: '^/cat/[^/]+', selector: 'table.listings' },
    { type: 'listing_index', selector: 'table.listings' },
  ],
  pages: {
    listing: {
      listings: {
        scope: '#main',
        fields: {
          externalId: fromUrl(LISTING_ID),
          url: { from: 'url', pattern: `(${LISTING_ID.slice(1)})`, transform: 'url' },
          title: { selector: 'h1.title', required: true },
          ...price(fact('Price')),
          vendorHandle: hrefId(`${fact('Vendor')} ${VENDOR_LINK}`, VENDOR_HANDLE),
          vendorUrl: hrefUrl(`${fact('Vendor')} ${VENDOR_LINK}`),
          shipsFrom: { selector: fact('Ships from') },
          shipsTo: { selector: fact('Ships to'), transform: 'list' },
          stock: [
            { selector: fact('Stock'), pattern: '(\\d+)\\s+in stock', transform: 'integer' },
            { selector: fact('Stock'), pattern: '^\\s*(out of stock)\\s*$', transform: 'hook:zero' },
          ],
          category: { selector: fact('Category') },
          description: { selector: 'div.description', from: 'lines' },
        },
      },
      vendors: {
        scope: `${fact('Vendor')}`,
        fields: {
          handle: hrefId(VENDOR_LINK, VENDOR_HANDLE),
          url: hrefUrl(VENDOR_LINK),
          level: { pattern: '\\(level (\\d+)\\)' },
        },
      },
      feedback,
    },
    listing_index: { listings: rows, pagination, nextPage },
    category: { listings: rows, pagination, nextPage, breadcrumbs: { selector: '#main > h2' } },
    vendor_profile: {
      vendors: {
        scope: '#main',
        fields: {
          handle: [{ selector: 'h1.vendor' }, fromUrl(VENDOR_HANDLE)],
          url: { from: 'url', pattern: `(${VENDOR_HANDLE.slice(1)})`, transform: 'url' },
          level: { selector: 'p.stats', pattern: 'Level (\\d+)' },
          profileText: { selector: 'div.profile', from: 'lines', transform: ['lines', 'hook:beforePgp'] },
          pgpBlocks: { selector: 'div.profile', from: 'lines', pattern: '(-----BEGIN PGP[\\s\\S]*?-----END PGP [A-Z ]+-----)', all: true },
        },
      },
      listings: rows,
    },
    feedback: { feedback, pagination, nextPage },
  },
  hooks: { detectPageType: simDetectPageType, transforms: simTransforms },
});
