// Adapter for the sim's 'forum' design (phpBB-like): boards are categories (/viewforum.php?f=<class>, topic rows
// `li.row`), a topic /viewtopic.php?t=<id> is a listing whose first post (`div.post.offer`) is the offer and whose
// replies (`div.post.reply`) are buyer feedback, profiles /memberlist.php?mode=viewprofile&un=<handle> with the
// PGP key in the signature (<br/> breaks, entities), feedback lists /feedback.php?u=<handle>; "start" pagination.
import type { AnyNode, Element } from 'domhandler';
import type { Adapter, FieldSpec, RecordSpec, FeedbackField, ListingField } from '../adapter/types.ts';
import { validateAdapter } from '../adapter/validate.ts';
import { textOf } from '../html/text.ts';
import { fromUrl, hrefId, hrefUrl, price, simDetectPageType, simTransforms } from './sim-common.ts';

const USER_LINK = 'a.username[href*="un="]';
const TOPIC_ID = '[?&]t=([^&#]+)';
const HANDLE = '[?&](?:un|u|author)=([^&#]+)';

const topics: RecordSpec<ListingField> = {
  scope: 'ul.topiclist > li.row',
  fields: {
    externalId: hrefId('a.topictitle[href*="t="]', TOPIC_ID),
    url: hrefUrl('a.topictitle[href*="t="]'),
    title: { selector: 'a.topictitle', required: true },
    ...price('dd.price'),
    vendorHandle: hrefId(USER_LINK, HANDLE),
    vendorUrl: hrefUrl(USER_LINK),
  },
};

/** On /feedback.php the topic a reply is about follows the post as `<p class="on-topic">in: title</p>`. */
function onTopic(node: AnyNode): string | null {
  let next = (node as Element).nextSibling;
  while (next && next.type === 'text') next = next.nextSibling;
  if (!next || next.type !== 'tag') return null;
  const el = next as Element;
  if (el.name !== 'p' || !(el.attribs.class ?? '').split(/\s+/).includes('on-topic')) return null;
  const m = /^\s*in:\s*([\s\S]+?)\s*$/.exec(textOf(el));
  return m ? m[1]! : null;
}

const replies: RecordSpec<FeedbackField> = {
  scope: 'div.post.reply',
  fields: {
    rating: { selector: '.content', pattern: 'Rating:\\s*\\[.\\]\\s*(\\d+(?:\\.\\d+)?\\s*/\\s*\\d+)' },
    text: { selector: '.content', from: 'lines', pattern: '^Rating:[^\\n]*\\n([\\s\\S]*)$', transform: 'text' },
    buyer: { selector: '.postprofile strong' },
    postedAtText: { selector: 'p.author', pattern: '»\\s*(.+?)\\s*$' },
    postedAt: { selector: 'p.author', pattern: '»\\s*(.+?)\\s*$', transform: 'date' },
    listingTitle: { hook: 'onTopic' },
    listingExternalId: fromUrl(`^/viewtopic\\.php\\?(?:.*&)?t=([^&#]+)`),
    vendorHandle: fromUrl(`^/feedback\\.php\\?(?:.*&)?u=([^&#]+)`),
  },
};

const pagination: FieldSpec = { selector: 'div.pagination a[href]', from: 'attr', attr: 'href', transform: 'url', all: true };
const nextPage: FieldSpec = { selector: 'div.pagination a[href]:contains("Next")', from: 'attr', attr: 'href', transform: 'url' };

export const simForumAdapter: Adapter = validateAdapter({
  id: 'sim-forum',
  version: '1.0.0',
  market: 'sim:forum',
  pageTypes: [
    // Page 2+ of a topic holds replies only: feedback about the topic's listing.
    { type: 'listing', url: '^/viewtopic\\.php\\?', selector: 'div.post.offer' },
    { type: 'feedback', url: '^/viewtopic\\.php\\?' },
    { type: 'feedback', url: '^/feedback\\.php\\?' },
    { type: 'vendor_profile', url: '^/memberlist\\.php\\?(?:.*&)?mode=viewprofile' },
    { type: 'category', url: '^/(viewforum|search)\\.php\\?', selector: 'ul.topiclist' },
    { type: 'listing_index', selector: 'table.forabg' },
  ],
  pages: {
    listing: {
      listings: {
        scope: 'div.post.offer',
        fields: {
          externalId: fromUrl(`^/viewtopic\\.php\\?(?:.*&)?t=([^&#]+)`),
          url: { from: 'url', pattern: `^(/viewtopic\\.php\\?(?:.*&)?t=[^&#]+)`, transform: 'url' },
          title: { selector: 'h3', required: true },
          ...price('.content', 'Price:\\s*(.+?)\\s+for\\s'),
          vendorHandle: hrefId(`.postprofile ${USER_LINK}`, HANDLE),
          vendorUrl: hrefUrl(`.postprofile ${USER_LINK}`),
          shipsFrom: { selector: '.content', from: 'lines', pattern: 'Shipping:\\s*(.+?)\\s*→' },
          shipsTo: { selector: '.content', from: 'lines', pattern: 'Shipping:[^\\n]*?→\\s*([^\\n]+)', transform: 'list' },
          stock: { selector: '.content', from: 'lines', pattern: 'Stock:\\s*(\\d+)', transform: 'integer' },
          // The offer text follows the three fact lines and a blank line.
          description: { selector: '.content', from: 'lines', pattern: '^Price:[^\\n]*\\n+Shipping:[^\\n]*\\n+Stock:[^\\n]*\\n+([\\s\\S]+)$', transform: 'lines' },
        },
      },
      vendors: {
        scope: 'div.post.offer',
        fields: {
          handle: hrefId(`.postprofile ${USER_LINK}`, HANDLE),
          url: hrefUrl(`.postprofile ${USER_LINK}`),
          level: { selector: '.postprofile', pattern: 'rank (\\d+)' },
          pgpBlocks: { selector: '.signature', from: 'lines', all: true },
        },
      },
      feedback: replies,
      breadcrumbs: { selector: 'p.crumbs a', all: true },
      pagination,
      nextPage,
    },
    feedback: { feedback: replies, pagination, nextPage },
    category: { listings: topics, pagination, nextPage, breadcrumbs: { selector: 'h2.forum-title' } },
    listing_index: {
      // The board index lists the boards (categories): they are the pages to visit.
      pagination: { selector: 'td.forumtitle a[href]', from: 'attr', attr: 'href', transform: 'url', all: true },
    },
    vendor_profile: {
      vendors: {
        scope: '#page-body',
        fields: {
          handle: [{ selector: 'h2', pattern: 'Viewing profile - (.+?)\\s*$' }, fromUrl(HANDLE)],
          url: { from: 'url', pattern: '^(/memberlist\\.php\\?.*)$', transform: 'url' },
          level: { selector: 'dl.details', pattern: 'Vendor \\((\\d+)\\)' },
          profileText: { selector: 'div.about', from: 'lines' },
          pgpBlocks: { selector: 'div.signature', from: 'lines', all: true },
        },
      },
    },
  },
  hooks: { detectPageType: simDetectPageType, fields: { onTopic }, transforms: simTransforms },
});
