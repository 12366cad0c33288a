import type { AnyNode, Element } from 'domhandler';
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField, VendorField } from '../adapter/types.ts';
import { normaliseLines, rawTextOf } from '../html/text.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { MAX_TRANSFORM_INPUT } from '../adapter/fields.ts';

/**
 * Agora (2014–2015). Built from the structure of its templates, not from any page's values:
 * - listing  `/p/<id>`: `#single-product` holds h1 title, a `.product-page-price`, the description as bare text
 *   and `<br>`s, "Brought to you by:" + `a.gen-user-link` (vendor) + `.gen-user-ratings`, `.product-page-ships`
 *   ("From: … / To: …"), a buy button "Buy (N left)…" and `.embedded-feedback-list` rows;
 * - category `/cat/<id>` and vendor pages: `table.products-list tr.products-list-item` rows;
 * - front page: `#product-index .product-index-floater` tiles (captions are HTML-escaped twice);
 * - vendor `/vendor/<handle>`: `i.fa-user + strong` handle, `.vendorbio-description` with `.pgptoken` PGP blocks.
 */

const LISTING_ID = '/p/([A-Za-z0-9]+)';
const VENDOR_HANDLE = '/vendor/([^/?#]+)';
const PRICE_IN_CELL = '(\\d[\\d.,]*\\s*(?:BTC|USD|EUR|mBTC|฿|\\$|€))';

const vendorLink = 'a.gen-user-link[href*="/vendor/"]';

const feedback: RecordSpec<FeedbackField> = {
  scope: '.embedded-feedback-list tr:has(td)',
  fields: {
    rating: [{ selector: 'td strong', pattern: '(\\d+(?:\\.\\d+)?\\s*/\\s*\\d+)' }, { pattern: '(\\d+(?:\\.\\d+)?\\s*/\\s*5)\\b' }],
    // The comment is the first cell that is neither the rating, a listing link, a date nor the buyer. One `:has`
    // with a list (one walk of the cell), the same cells as `:not(:has(strong)):not(:has(a)):not(:has(.gen-user-link))`.
    text: { selector: 'td:not(:has(strong, a, .gen-user-link))', pattern: '^(?!\\s*\\d+\\s+\\w+\\s+ago\\s*$)([\\s\\S]+)$', transform: 'text' },
    listingExternalId: { selector: 'a[href*="/p/"]', from: 'attr', attr: 'href', pattern: LISTING_ID },
    listingTitle: { selector: 'a[href*="/p/"]' },
    postedAtText: { selector: 'td', pattern: '^\\s*(\\d+\\s+(?:second|minute|hour|day|week|month|year)s?\\s+ago|\\d{4}-\\d{2}-\\d{2})\\s*$' },
    postedAt: {
      selector: 'td',
      pattern: '^\\s*(\\d+\\s+(?:second|minute|hour|day|week|month|year)s?\\s+ago|\\d{4}-\\d{2}-\\d{2})\\s*$',
      transform: 'date',
    },
    buyer: { selector: '.gen-user-link' },
  },
};

const listRowListings: RecordSpec<ListingField> = {
  scope: 'tr.products-list-item',
  fields: {
    externalId: { selector: 'a[href*="/p/"]', from: 'attr', attr: 'href', pattern: LISTING_ID },
    url: { selector: 'a[href*="/p/"]', from: 'attr', attr: 'href', transform: 'url' },
    title: [{ selector: 'td.column-name > a[href*="/p/"]' }, { selector: 'a[href*="/p/"]' }],
    priceText: { selector: 'td:not(.column-name)', pattern: PRICE_IN_CELL },
    price: { selector: 'td:not(.column-name)', pattern: PRICE_IN_CELL, transform: 'price' },
    vendorHandle: { selector: vendorLink, from: 'attr', attr: 'href', pattern: VENDOR_HANDLE, transform: 'hook:urlDecode' },
    vendorUrl: { selector: vendorLink, from: 'attr', attr: 'href', transform: 'url' },
    shipsFrom: { selector: 'td:not(.column-name)', pattern: 'From:[ \\t]*([^\\n]+)' },
    shipsTo: { selector: 'td:not(.column-name)', pattern: 'To:[ \\t]*([^\\n]+)', transform: 'list' },
    imageUrls: { selector: 'img[src*="/liabilities/"]', from: 'attr', attr: 'src', transform: 'url', all: true },
  },
};

const listRowVendors: RecordSpec<VendorField> = {
  scope: 'tr.products-list-item:has(a.gen-user-link[href*="/vendor/"])',
  fields: {
    handle: { selector: vendorLink, from: 'attr', attr: 'href', pattern: VENDOR_HANDLE, transform: 'hook:urlDecode' },
    url: { selector: vendorLink, from: 'attr', attr: 'href', transform: 'url' },
    ratingText: { selector: '.gen-user-ratings' },
  },
};

const pagination: FieldSpec = {
  selector: 'a[href]',
  from: 'attr',
  attr: 'href',
  pattern: '^((?:https?://[^/]+)?/(?:cat|vendor|search)[^#]*?(?:/\\d+|[?&]page=\\d+)[^#]*)$',
  transform: 'url',
  all: true,
};
const nextPage: FieldSpec = {
  selector: 'a[rel="next"], a:contains("Next"), a:contains("»"), a:contains("next")',
  from: 'attr',
  attr: 'href',
  transform: 'url',
};
const breadcrumbs: FieldSpec = { selector: '#top-navigation .topnav-element a', all: true };

/** Elements inside #single-product that are not part of the free-text description. */
const NOT_DESCRIPTION = new Set(['h1', 'h2', 'h3', 'h4', 'div', 'img', 'table', 'form', 'script', 'style', 'span']);

/**
 * The description is bare text between the price block and "Brought to you by:", with `<br>` line breaks and
 * occasional inline markup. Read it from the node sequence, so no value of any page is assumed.
 */
function agoraDescription(node: AnyNode): string | null {
  const el = node as Element;
  if (!el.children) return null;
  const parts: string[] = [];
  for (const child of el.children) {
    if (child.type === 'text') {
      const data = (child as unknown as { data: string }).data;
      const cut = data.indexOf('Brought to you by:');
      if (cut >= 0) {
        parts.push(data.slice(0, cut));
        break;
      }
      parts.push(data);
      continue;
    }
    if (child.type !== 'tag') continue;
    const name = (child as Element).name;
    if (name === 'br') parts.push('\n');
    else if (name === 'a' && (child as Element).attribs.class?.includes('gen-user-link')) break;
    else if (!NOT_DESCRIPTION.has(name)) parts.push(rawTextOf(child));
  }
  // The field's 'lines' transform normalises the text (once: normalising it here too cost 2 % of extraction). A text
  // the transform would cut is normalised first, as it always was, so the cut falls where it did.
  const text = parts.join('');
  return text.length > MAX_TRANSFORM_INPUT ? normaliseLines(text) : text;
}

function urlDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export const agoraAdapter: Adapter = validateAdapter({
  id: 'agora',
  version: '1.0.0',
  market: 'Agora',
  hosts: ['agorahooawayyfoe.onion'],
  pageTypes: [
    { type: 'listing', selector: '#single-product' },
    { type: 'vendor_profile', selector: '.vendorbio-description, .vendorbio-stats-online' },
    { type: 'vendor_profile', url: '^/vendor/[^/]+/?$', selector: '#middlestuff i.fa-user' },
    { type: 'listing_index', selector: '#product-index .product-index-floater' },
    { type: 'listing_index', selector: '#product-index' },
    { type: 'category', selector: '#product-list' },
    { type: 'category', url: '^/cat/' },
  ],
  pages: {
    listing: {
      listings: {
        scope: '#single-product',
        fields: {
          externalId: [
            { from: 'url', pattern: `^${LISTING_ID}` },
            { selector: 'a[href*="/buy"]', from: 'attr', attr: 'href', pattern: LISTING_ID },
          ],
          url: [
            { from: 'url', pattern: `^(${LISTING_ID})`, transform: 'url' },
            { selector: 'a[href*="/buy"]', from: 'attr', attr: 'href', pattern: `(${LISTING_ID})`, transform: 'url' },
          ],
          title: [{ selector: 'h1', required: true }],
          priceText: [
            { selector: '.product-page-price', pattern: PRICE_IN_CELL },
            { selector: 'div', pattern: `^\\s*${PRICE_IN_CELL}\\s*$` },
          ],
          vendorHandle: [
            { selector: vendorLink, from: 'attr', attr: 'href', pattern: VENDOR_HANDLE, transform: 'hook:urlDecode' },
            { selector: 'a.gen-user-link' },
          ],
          vendorUrl: { selector: vendorLink, from: 'attr', attr: 'href', transform: 'url' },
          shipsFrom: { selector: '.product-page-ships', pattern: 'From:[ \\t]*([^\\n]+)' },
          shipsTo: { selector: '.product-page-ships', pattern: 'To:[ \\t]*([^\\n]+)', transform: 'list' },
          description: { hook: 'description', transform: 'lines' },
          stock: { selector: 'a[href*="/buy"]', pattern: '\\((\\d+)\\s+left\\)', transform: 'integer' },
          imageUrls: { selector: 'img:not(.flag-img)', from: 'attr', attr: 'src', transform: 'url', all: true },
        },
      },
      vendors: {
        scope: '#single-product:has(a.gen-user-link[href*="/vendor/"])',
        fields: {
          handle: { selector: vendorLink, from: 'attr', attr: 'href', pattern: VENDOR_HANDLE, transform: 'hook:urlDecode' },
          url: { selector: vendorLink, from: 'attr', attr: 'href', transform: 'url' },
          ratingText: { selector: `${vendorLink} ~ .gen-user-ratings` },
        },
      },
      feedback,
      breadcrumbs,
    },
    category: { listings: listRowListings, vendors: listRowVendors, breadcrumbs, pagination, nextPage },
    listing_index: {
      listings: {
        scope: '.product-index-floater',
        fields: {
          externalId: { selector: 'a[href*="/p/"]', from: 'attr', attr: 'href', pattern: LISTING_ID },
          url: { selector: 'a[href*="/p/"]', from: 'attr', attr: 'href', transform: 'url' },
          title: [
            { selector: '.product-index-floater-caption', transform: ['text', 'decodeEntities'] },
            { selector: 'img[alt]', from: 'attr', attr: 'alt', transform: ['text', 'decodeEntities'] },
          ],
          priceText: { selector: '.product-index-floater-price', pattern: PRICE_IN_CELL },
          imageUrls: { selector: 'img[src]', from: 'attr', attr: 'src', transform: 'url', all: true },
        },
      },
      pagination,
      nextPage,
    },
    vendor_profile: {
      vendors: {
        scope: '#middlestuff',
        fields: {
          handle: [
            { selector: 'i.fa-user + strong' },
            { from: 'url', pattern: `^${VENDOR_HANDLE}`, transform: 'hook:urlDecode' },
            { selector: '.send-message-tab input[name="touser"]', from: 'attr', attr: 'value' },
          ],
          url: { from: 'url', pattern: `^(/vendor/[^/?#]+)`, transform: 'url' },
          ratingText: { selector: 'i.fa-user ~ .gen-user-ratings' },
          level: { selector: '.user-class-hint strong' },
          profileText: { selector: '.vendorbio-description', from: 'lines' },
          pgpBlocks: { selector: '.vendorbio-description .pgptoken', from: 'lines', all: true },
          lastSeenText: { selector: '.vendorbio-stats-online', pattern: 'Last seen\\s+(.+?)\\.?\\s*$' },
        },
      },
      listings: listRowListings,
      feedback,
      pagination,
      nextPage,
    },
  },
  hooks: {
    fields: { description: agoraDescription },
    transforms: { urlDecode },
  },
});
