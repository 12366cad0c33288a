// Adapter for the sim's 'cards' design: a grid of `div.card` (cursor pagination ?after=<id> / ?before=<id>,
// rel=next/prev links), categories /c/<class>, items /item/<id> with a `dl.facts` of dt/dd pairs, users /u/<handle>
// (bio, PGP block in a <pre> with entities inside words), star-rated reviews with relative dates.
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField } from '../adapter/types.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { fromUrl, hrefId, hrefUrl, price, simDetectPageType, simTransforms } from './sim-common.ts';

const ITEM_LINK = 'a[href^="/item/"]';
const USER_LINK = 'a[href^="/u/"]';
const ITEM_ID = '^/item/([^/?#]+)';
const USER_HANDLE = '^/u/([^/?#]+)';

/** The `dd` that follows the `dt` named `label`. */
const fact = (label: string): string => `dl.facts dt:contains("${label}") + dd`;

const cards: RecordSpec<ListingField> = {
  scope: 'div.card',
  fields: {
    externalId: [{ from: 'attr', attr: 'data-id' }, hrefId(ITEM_LINK, ITEM_ID)],
    url: hrefUrl(ITEM_LINK),
    title: { selector: 'a.card-title', required: true },
    ...price('.card-price'),
    vendorHandle: hrefId(`.card-vendor ${USER_LINK}`, USER_HANDLE),
    vendorUrl: hrefUrl(`.card-vendor ${USER_LINK}`),
    shipsFrom: { selector: '.card-origin', pattern: '^\\s*(.+?)\\s*→' },
    shipsTo: { selector: '.card-origin', pattern: '→\\s*(.+?)\\s*$', transform: 'list' },
  },
};

const reviews: RecordSpec<FeedbackField> = {
  scope: 'div.review',
  fields: {
    rating: { selector: '.stars', from: 'attr', attr: 'title', pattern: '^\\s*(\\d+(?:\\.\\d+)?)\\s+of', transform: 'number' },
    ratingMax: { selector: '.stars', from: 'attr', attr: 'title', pattern: 'of\\s+(\\d+)', transform: 'number' },
    text: { selector: 'p' },
    buyer: { selector: '.who' },
    postedAtText: { selector: '.when' },
    postedAt: { selector: '.when', transform: 'hook:exactDay' },
    listingTitle: { selector: '.review-item' },
    listingExternalId: fromUrl(ITEM_ID),
    vendorHandle: fromUrl(USER_HANDLE),
  },
};

const pagination: FieldSpec = { selector: '.cursor-nav a[href]', from: 'attr', attr: 'href', transform: 'url', all: true };
const nextPage: FieldSpec = { selector: '.cursor-nav a[rel="next"]', from: 'attr', attr: 'href', transform: 'url' };

export const simCardsAdapter: Adapter = validateAdapter({
  id: 'sim-cards',
  version: '1.0.1',
  market: 'sim:cards',
  pageTypes: [
    { type: 'feedback', url: '^/(item|u)/[^/]+/reviews(\\?|$)' },
    { type: 'listing', url: '^/item/[^/]+$', selector: 'article.item' },
    { type: 'vendor_profile', url: '^/u/[^/]+$', selector: 'section.profile-head' },
    { type: 'category', url: '^/c/[^/]+', selector: 'div.grid' },
    { type: 'listing_index', selector: 'div.grid' },
  ],
  pages: {
    listing: {
      listings: {
        scope: 'article.item',
        fields: {
          externalId: fromUrl(ITEM_ID),
          url: { from: 'url', pattern: `(${ITEM_ID.slice(1)})`, transform: 'url' },
          title: { selector: 'h1', required: true },
          ...price(fact('Price')),
          vendorHandle: hrefId(`${fact('Sold by')} ${USER_LINK}`, USER_HANDLE),
          vendorUrl: hrefUrl(`${fact('Sold by')} ${USER_LINK}`),
          shipsFrom: { selector: fact('Origin') },
          shipsTo: { selector: fact('Destinations'), transform: 'list' },
          stock: [
            { selector: fact('Available'), pattern: '(\\d+)\\s+left', transform: 'integer' },
            { selector: fact('Available'), pattern: '^\\s*(sold out)\\s*$', transform: 'hook:zero' },
          ],
          category: { selector: fact('Category') },
          description: { selector: 'section.about-item', from: 'lines' },
        },
      },
      vendors: {
        scope: fact('Sold by'),
        fields: {
          handle: hrefId(USER_LINK, USER_HANDLE),
          url: hrefUrl(USER_LINK),
          level: { selector: '.lvl', pattern: 'Lv\\.(\\d+)' },
        },
      },
      feedback: reviews,
    },
    listing_index: { listings: cards, pagination, nextPage },
    category: { listings: cards, pagination, nextPage, breadcrumbs: { selector: 'main > h1' } },
    vendor_profile: {
      vendors: {
        scope: 'main',
        fields: {
          handle: [{ selector: 'section.profile-head h1' }, fromUrl(USER_HANDLE)],
          url: { from: 'url', pattern: `(${USER_HANDLE.slice(1)})`, transform: 'url' },
          level: { selector: '.badges .lvl', pattern: 'Level (\\d+)' },
          rating: { selector: '.badges .stars', pattern: '^([★☆]{5})$', transform: 'hook:stars' },
          ratingMax: { selector: '.badges .stars', pattern: '^([★☆]{5})$', transform: 'hook:five' },
          profileText: { selector: 'section.bio', from: 'lines' },
          pgpBlocks: { selector: 'section.pgp-key pre', from: 'lines', all: true },
        },
      },
      listings: cards,
    },
    feedback: { feedback: reviews, pagination, nextPage },
  },
  hooks: {
    detectPageType: simDetectPageType,
    transforms: {
      ...simTransforms,
      // The profile shows the average as filled stars, rounded to whole stars; no filled star = no reviews yet
      // (every review has at least one star), so no rating.
      stars: (v: string) => [...v].filter((c) => c === '★').length || undefined,
      five: (v: string) => (v.includes('★') ? 5 : undefined),
    },
  },
});
