import { parseDestinations } from '../shipping/destinations.ts';
import type { AnyNode, Element } from 'domhandler';
import { findPgpBlocks, parseRatingText } from '../adapter/fields.ts';
import { detectBlockingPage, detectInterstitial } from '../adapter/detect.ts';
import { emptyResult, isLoadedPage, loadPage, type ExtractOptions, type LoadedPage } from '../adapter/run.ts';
import { decodeEntities, findPrices, parseDate, resolveUrl, splitList } from '../adapter/transforms.ts';
import { collapseWhitespace, linesOf, rawTextOf, textOf } from '../html/text.ts';
import type { ExtractedFeedback, ExtractedListing, ExtractedVendor, ExtractResult, PageInput, PageType } from '../types.ts';
import { detailPageType, hasLoginForm, listingDetail, MIN_CONFIDENCE, ownRating, signals, userLinkHandle, vendorDetail, type FieldFinding } from './detail.ts';
import { analyseStructure, NOT_A_HANDLE as COMMON_WORDS } from './structure.ts';
import { bestFeedbackGroup, bestListingGroup, findRepeatedGroups, isElement, RATING_RE, type RepeatedGroup } from './blocks.ts';

export const GENERIC_VERSION = '1.1.0';
export const GENERIC_REF = `generic@${GENERIC_VERSION}`;

/** How sure the generic extractor is, per field (0..1, averaged over records) and for the page. */
export interface Confidence {
  page: number;
  fields: Record<string, number>;
}

export interface GenericResult extends ExtractResult {
  confidence: Confidence;
  /** Every field read from the page structure, with its confidence and source (listing and vendor pages). */
  findings: FieldFinding[];
  /** Fields found with a confidence below MIN_CONFIDENCE: reported here, never written into the record. */
  uncertain: FieldFinding[];
}

const LISTING_URL_RE = /\/(?:p|listing|listings|item|items|product|products|offer|offers|view)\/[^/?#]+|[?&](?:id|listing|item|product|pid)=[^&#]+/i;
const VENDOR_URL_RE = /\/(?:vendor|vendors|user|users|profile|seller|sellers|shop|store|u)\/([^/?#]+)|[?&](?:vendor|user|seller|username)=([^&#]+)/i;
// A label and its value ("Vendor: bob", "Sold by\nbob"): a colon or a line break after the label, never running
// text ("our vendor page", "sold by us with care"), and never a common word taken for a handle.
const VENDOR_LABEL_RE = /\b(?:vendor|seller|sold by|brought to you by|merchant)(?:\s*:\s*\n?|[ \t]*\n)[ \t]*([A-Za-z0-9_.-]{2,40})(?=\s|$|[,;)])/i;
const NOT_A_HANDLE = new Set(['page', 'on', 'with', 'the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'is', 'for', 'by', 'us', 'me', 'our', 'your', 'this', 'that', 'here', 'there', 'profile', 'info', 'information', 'rating', 'level', 'feedback', 'unknown', 'none', 'n/a', 'na', 'anonymous', 'from', 'since', 'shop', 'store']);
const FROM_RE = /\b(?:ships?\s+from|shipping\s+from|origin(?:\s+country)?|from)\s*:\s*([^\n]{1,80})/i;
const TO_RE = /\b(?:ships?\s+to|shipping\s+to|destinations?|to)\s*:\s*([^\n]{1,200})/i;
const STOCK_RE = /\(?\b(\d{1,7})\s+(?:left|in stock|available|pcs? left)\b/i;
const DATE_RE = /\b(\d+\s+(?:second|minute|hour|day|week|month|year)s?\s+ago|\d{4}-\d{2}-\d{2}|yesterday|today)\b/i;

// A page saying what was asked for is not there: "404", "Listing not found", "This item has been removed".
const ERROR_RE =
  /^(?:(?:error\s*)?(?:400|403|404|410|500|502|503)\b.{0,60}|error(?:\s*[:!-].{0,60})?|oops\b.{0,60}|.{0,50}\b(?:not found|does not exist|doesn't exist|no longer (?:available|exists)|has been (?:removed|deleted|taken down)|was (?:removed|deleted)|is unavailable|access denied)[.!]?)$/i;
// A headline naming a list of feedback ("Feedback for bob", "Reviews for bob", "ratings: bob", "Feedback").
const FEEDBACK_HEAD_RE = /^(?:(?:buyer |customer |vendor |user |latest |recent )?(?:feedback|reviews?|ratings?|testimonials)(?:\s+(?:for|of|on|about|received by|left for))?\s*[:\-–]?\s*(?:[A-Za-z0-9][A-Za-z0-9_.-]{1,39})?\s*(?:\(\d+\))?|what (?:customers|buyers|people) say(?:\s*\(\d+\))?)$/i;

class Scores {
  private readonly sums = new Map<string, { sum: number; n: number }>();
  add(field: string, conf: number): void {
    const s = this.sums.get(field) ?? { sum: 0, n: 0 };
    s.sum += conf;
    s.n++;
    this.sums.set(field, s);
  }
  result(): Confidence {
    const fields: Record<string, number> = {};
    let total = 0;
    for (const [k, v] of this.sums) {
      fields[k] = Math.round((v.sum / v.n) * 100) / 100;
      total += fields[k];
    }
    const page = this.sums.size === 0 ? 0 : Math.round((total / this.sums.size) * 100) / 100;
    return { page, fields };
  }
}

function anchors(el: AnyNode): Element[] {
  const out: Element[] = [];
  const stack: AnyNode[] = [el];
  while (stack.length > 0 && out.length < 200) {
    const n = stack.pop()!;
    if (!isElement(n)) continue;
    if (n.name === 'a' && n.attribs.href) out.push(n);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
}

function vendorFromAnchors(list: Element[], page: LoadedPage): { handle: string; url: string | null } | null {
  for (const a of list) {
    const m = VENDOR_URL_RE.exec(a.attribs.href!);
    if (!m) continue;
    const raw = m[1] ?? m[2]!;
    let handle = raw;
    try {
      handle = decodeURIComponent(raw);
    } catch {
      /* keep raw */
    }
    return { handle, url: resolveUrl(a.attribs.href!, page.url) };
  }
  return null;
}

function externalIdFromUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    const q = /[?&](?:id|listing|item|product|pid)=([^&#]+)/i.exec(u.search);
    if (q) return q[1]!;
    const last = u.pathname.split('/').filter(Boolean).at(-1) ?? null;
    // A script name ("viewtopic.php?t=t7423", "/?item=…") is not an id: the query value that looks like one is.
    if ((last === null || /\.(?:php\d?|aspx?|jsp|cgi|pl|html?)$/i.test(last)) && u.search) {
      for (const [k, v] of u.searchParams) {
        if (v && /\d/.test(v) && !/^(?:mode|action|do|sort|order|lang|tab|start|offset|page)$/i.test(k)) return v;
      }
    }
    return last;
  } catch {
    return null;
  }
}

function priceElementText(el: AnyNode): string | null {
  const stack: AnyNode[] = [el];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (!isElement(n)) continue;
    if (/price|cost|amount/i.test(`${n.attribs.class ?? ''} ${n.attribs.id ?? ''}`)) {
      const t = textOf(n, 2000);
      if (findPrices(t, 1).length > 0) return t;
    }
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return null;
}

/** The first element whose whole text is little more than a price ("0.176 BTC", "€ 45,00"): a price cell. */
function shortPriceElementText(el: AnyNode): string | null {
  const stack: AnyNode[] = [el];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (!isElement(n) || n.name === 'a') continue;
    const t = textOf(n, 200);
    if (t.length <= 40) {
      const p = findPrices(t, 2);
      if (p.length === 1 && t.length <= p[0]!.text.length + 20) return t;
      continue;
    }
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return null;
}

const LEFTOVER_ENTITY_RE = /&(?:#\d{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,30});/i;

/** Markets that escape twice leave entities in text ("Domino&#39;s"); decode them once more. */
function fixEntities(s: string): string {
  return LEFTOVER_ENTITY_RE.test(s) ? decodeEntities(s) : s;
}

function emptyListing(): ExtractedListing {
  return {
    externalId: null,
    url: null,
    title: null,
    price: null,
    priceText: null,
    vendorHandle: null,
    vendorUrl: null,
    shipsFrom: null,
    shipsTo: [],
    shipsToExcluded: [],
    description: null,
    category: [],
    stock: null,
    imageUrls: [],
  };
}

function shipping(text: string, l: ExtractedListing, scores: Scores): void {
  const from = FROM_RE.exec(text);
  if (from) {
    l.shipsFrom = collapseWhitespace(from[1]!);
    scores.add('shipsFrom', 0.8);
  }
  const to = TO_RE.exec(text);
  if (to) {
    const d = parseDestinations(splitList(to[1]!));
    l.shipsTo = d.to;
    l.shipsToExcluded = d.excluded;
    scores.add('shipsTo', 0.7);
  }
}

/** One listing row/tile: the listing link and its title, the price outside the title, vendor, shipping. */
function listingFromBlock(block: Element, page: LoadedPage, scores: Scores): ExtractedListing {
  const l = emptyListing();
  const links = anchors(block);
  const vendor = vendorFromAnchors(links, page);
  const vendorHrefs = new Set(links.filter((a) => VENDOR_URL_RE.test(a.attribs.href!)).map((a) => a.attribs.href));
  const candidates = links.filter((a) => !vendorHrefs.has(a.attribs.href));
  const byUrl = candidates.filter((a) => LISTING_URL_RE.test(a.attribs.href!));
  const pool = byUrl.length > 0 ? byUrl : candidates;
  let titleAnchor: Element | null = null;
  let best = '';
  for (const a of pool) {
    const t = textOf(a, 1000);
    if (t.length > best.length) {
      best = t;
      titleAnchor = a;
    }
  }
  if (!titleAnchor && pool[0]) titleAnchor = pool[0];
  if (titleAnchor) {
    l.url = resolveUrl(titleAnchor.attribs.href!, page.url);
    l.externalId = externalIdFromUrl(l.url);
    scores.add('url', byUrl.length > 0 ? 0.9 : 0.5);
    if (best) {
      l.title = fixEntities(best);
      scores.add('title', byUrl.length > 0 ? 0.9 : 0.6);
    } else {
      const alt = (titleAnchor.children.find((c) => isElement(c) && c.name === 'img') as Element | undefined)?.attribs.alt;
      if (alt) {
        l.title = collapseWhitespace(alt);
        scores.add('title', 0.5);
      }
    }
  }
  const priceText = priceElementText(block) ?? shortPriceElementText(block);
  let text = rawTextOf(block, 8000);
  if (best) text = text.replace(best, ' ');
  const prices = findPrices(priceText ?? text, 1);
  if (prices[0]) {
    l.price = { amount: prices[0].amount, currency: prices[0].currency };
    l.priceText = prices[0].text;
    scores.add('price', priceText ? 0.95 : 0.75);
  }
  if (vendor) {
    l.vendorHandle = vendor.handle;
    l.vendorUrl = vendor.url;
    scores.add('vendorHandle', 0.85);
  } else {
    const m = VENDOR_LABEL_RE.exec(text);
    // A word that is itself the next label ("Seller :\nQuantity : 5") is no handle.
    const isLabel = m ? /^\s*:/.test(text.slice(m.index + m[0].length)) : false;
    const linked = links.map((a) => userLinkHandle(a, page.url)).find((u) => u !== null);
    if (m && !isLabel && !NOT_A_HANDLE.has(m[1]!.toLowerCase()) && !COMMON_WORDS.has(m[1]!.toLowerCase()) && /[A-Za-z]/.test(m[1]!)) {
      l.vendorHandle = m[1]!;
      scores.add('vendorHandle', 0.5);
    } else if (linked) {
      l.vendorHandle = linked.handle;
      l.vendorUrl = linked.url;
      scores.add('vendorHandle', 0.6);
    }
  }
  shipping(text, l, scores);
  return l;
}

/** The page's main listing: h1 (or <title>), a price element or the first price after the title, vendor link. */
function singleListing(page: LoadedPage, scores: Scores): ExtractedListing | null {
  const $ = page.$;
  const h1 = $('h1').first();
  const title = h1.length ? textOf(h1[0]!, 2000) : collapseWhitespace($('title').first().text());
  if (!title) return null;
  const container = (h1.length ? h1.parent()[0] : page.root) as AnyNode;
  const l = emptyListing();
  l.title = title;
  scores.add('title', h1.length ? 0.8 : 0.5);
  l.url = page.url.toString();
  l.externalId = externalIdFromUrl(l.url);
  const priceText = priceElementText(container) ?? shortPriceElementText(container);
  let text = rawTextOf(container, 200_000);
  text = text.replace(title, ' ');
  const prices = findPrices(priceText ?? text, 1);
  if (prices[0]) {
    l.price = { amount: prices[0].amount, currency: prices[0].currency };
    l.priceText = prices[0].text;
    scores.add('price', priceText ? 0.9 : 0.6);
  }
  const vendor = vendorFromAnchors(anchors(container), page);
  if (vendor) {
    l.vendorHandle = vendor.handle;
    l.vendorUrl = vendor.url;
    scores.add('vendorHandle', 0.8);
  }
  shipping(text, l, scores);
  const stock = STOCK_RE.exec(text);
  if (stock) {
    l.stock = Number(stock[1]);
    scores.add('stock', 0.6);
  }
  const crumbs = $('[class*="breadcrumb" i] a, [id*="breadcrumb" i] a, [class*="topnav" i] a, [id*="navigation" i] a').toArray();
  if (crumbs.length > 0) {
    l.category = crumbs.map((c) => textOf(c, 200)).filter(Boolean);
    scores.add('category', 0.5);
  }
  const desc = longestTextBlock(container);
  if (desc) {
    l.description = desc;
    scores.add('description', 0.4);
  }
  return l;
}

/** The element with the most direct text (text nodes and <br>s), read with its line breaks. */
function longestTextBlock(root: AnyNode): string | null {
  let best: Element | null = null;
  let bestLen = 0;
  const stack: AnyNode[] = [root];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (!isElement(n)) continue;
    if (n.name === 'script' || n.name === 'style') continue;
    let own = 0;
    for (const c of n.children) {
      if (c.type === 'text') own += collapseWhitespace((c as unknown as { data: string }).data).length;
      else if (isElement(c)) stack.push(c);
    }
    if (own > bestLen) {
      bestLen = own;
      best = n;
    }
  }
  if (!best || bestLen < 40) return null;
  const parts: string[] = [];
  for (const c of best.children) {
    if (c.type === 'text') parts.push((c as unknown as { data: string }).data);
    else if (isElement(c) && c.name === 'br') parts.push('\n');
    else if (isElement(c) && !['h1', 'h2', 'div', 'table', 'img', 'script', 'style', 'a', 'span'].includes(c.name)) parts.push(rawTextOf(c, 10_000));
  }
  const lines = linesOf({ type: 'text', data: parts.join('') } as unknown as AnyNode).split('\n');
  // A short trailing line ending in ':' labels what follows the block ("Brought to you by:", "Seller:").
  while (lines.length > 0 && (lines.at(-1)!.trim() === '' || (lines.at(-1)!.length <= 40 && lines.at(-1)!.trim().endsWith(':')))) lines.pop();
  return lines.join('\n').trim() || null;
}

// Column headers of a feedback table, by field.
const FB_HEADERS: [keyof ExtractedFeedback | 'rating', RegExp][] = [
  ['rating', /^(?:rating|score|stars?|grade|mark)$/i],
  ['text', /^(?:feedback|comments?|reviews?|message|text|remarks?)$/i],
  ['listingTitle', /^(?:item|listing|product|offer|title|article|purchased|order)$/i],
  ['buyer', /^(?:buyer|user|customer|from|by|reviewer|author|member)$/i],
  ['postedAt', /^(?:date|when|time|posted|left|age)$/i],
];
// A buyer's name masked by the market ("l***4", "ab**z"), or a short name in a buyer/author-classed element.
const MASKED_RE = /^[A-Za-z0-9]{1,3}\*{2,}[A-Za-z0-9]{0,3}$/;
const BUYER_CLASS_RE = /(?:^|[-_\s])(?:buyer|who|author|reviewer|customer|by)(?:$|[-_\s])/i;
const ITEM_CLASS_RE = /(?:^|[-_\s])(?:item|listing|product|offer|on-?topic)(?:$|[-_\s])/i;

/** The header cells of the table a feedback row belongs to, mapped to feedback fields by their labels. */
function feedbackColumns(row: Element): Map<number, string> | null {
  if (row.name !== 'tr') return null;
  let table: AnyNode | null = row.parent as AnyNode | null;
  for (let i = 0; i < 2 && table && isElement(table) && table.name !== 'table'; i++) table = table.parent as AnyNode | null;
  if (!table || !isElement(table) || table.name !== 'table') return null;
  const head = (function find(n: AnyNode, depth: number): Element | null {
    if (!isElement(n) && n.type !== 'root') return null;
    if (isElement(n) && n.name === 'tr') return n.children.some((c) => isElement(c) && c.name === 'th') ? n : null;
    if (depth > 3) return null;
    for (const c of (n as Element).children) {
      const h = find(c, depth + 1);
      if (h) return h;
    }
    return null;
  })(table, 0);
  if (!head) return null;
  const out = new Map<number, string>();
  head.children.filter(isElement).forEach((c, i) => {
    const label = collapseWhitespace(textOf(c, 100)).replace(/:$/, '');
    const hit = FB_HEADERS.find(([, re]) => re.test(label));
    if (hit) out.set(i, hit[0]);
  });
  return out.size >= 2 ? out : null;
}

/** Buyer and listing of a feedback row that is not a table: a masked name or buyer-classed element, an item-classed element. */
function feedbackParts(row: Element): { buyer: string | null; item: string | null } {
  let buyer: string | null = null;
  let item: string | null = null;
  const stack: AnyNode[] = [...row.children].reverse();
  let n = 0;
  while (stack.length > 0 && n++ < 500) {
    const node = stack.pop()!;
    if (!isElement(node)) continue;
    const text = collapseWhitespace(textOf(node, 300));
    const cls = `${node.attribs.class ?? ''} ${node.attribs.id ?? ''}`;
    if (buyer === null && (MASKED_RE.test(text) || (BUYER_CLASS_RE.test(cls) && /^[A-Za-z0-9_.*-]{2,40}$/.test(text)))) buyer = text;
    else if (item === null && ITEM_CLASS_RE.test(cls) && text.length >= 2 && text.length <= 300) item = text.replace(/^(?:in|on|for|item|re)\s*:\s*/i, '');
    stack.push(...[...node.children].reverse());
  }
  return { buyer, item };
}

function feedbackFromGroup(g: RepeatedGroup, page: LoadedPage, scores: Scores): ExtractedFeedback[] {
  const columns = g.members[0] ? feedbackColumns(g.members[0]) : null;
  // The header row of a feedback table is not feedback.
  const members = g.members.filter((row) => !(row.name === 'tr' && row.children.filter(isElement).every((c) => c.name === 'th')));
  return members.map((row) => {
    if (columns) {
      const cells = row.children.filter(isElement);
      const get = (field: string) => {
        for (const [i, f] of columns) if (f === field && cells[i]) return collapseWhitespace(textOf(cells[i]!, 4000)) || null;
        return null;
      };
      const r = parseRatingText(get('rating') ?? '');
      const dateText = get('postedAt');
      const link = anchors(row).find((a) => LISTING_URL_RE.test(a.attribs.href!));
      scores.add('feedback.rating', 0.85);
      return {
        listingExternalId: link ? externalIdFromUrl(resolveUrl(link.attribs.href!, page.url)) : null,
        listingTitle: get('listingTitle'),
        vendorHandle: null,
        rating: r.rating,
        ratingMax: r.ratingMax,
        text: get('text'),
        postedAt: dateText ? parseDate(dateText, page.capturedAt) : null,
        postedAtText: dateText,
        buyer: get('buyer'),
      };
    }
    const text = rawTextOf(row, 8000);
    const r = parseRatingText(text);
    const date = DATE_RE.exec(text);
    const cells = row.children
      .filter(isElement)
      .filter((c) => anchors(c).length === 0)
      .map((c) => collapseWhitespace(rawTextOf(c, 4000)));
    const comment = cells
      .filter((c) => !RATING_RE.test(` ${c}`) && !DATE_RE.test(c) && !/^anon|^\[\d+ deals\]/i.test(c))
      .sort((a, b) => b.length - a.length)[0];
    const link = anchors(row).find((a) => LISTING_URL_RE.test(a.attribs.href!));
    const parts = feedbackParts(row);
    if (r.rating !== null) scores.add('feedback.rating', 0.8);
    if (comment) scores.add('feedback.text', 0.6);
    if (date) scores.add('feedback.postedAt', 0.8);
    return {
      listingExternalId: link ? externalIdFromUrl(resolveUrl(link.attribs.href!, page.url)) : null,
      listingTitle: link ? textOf(link, 500) || null : parts.item,
      vendorHandle: null,
      rating: r.rating,
      ratingMax: r.ratingMax,
      text: comment ?? null,
      postedAt: date ? parseDate(date[1]!, page.capturedAt) : null,
      postedAtText: date ? date[1]! : null,
      buyer: parts.buyer,
    };
  });
}

/** A rating shown right after the vendor's name ("Seller: bob 4.8/5, 120 sales"). */
function ratingNear(page: LoadedPage, handle: string, v: ExtractedVendor): boolean {
  const text = page.pageText().slice(0, 400_000);
  let from = 0;
  for (let tries = 0; tries < 20; tries++) {
    const idx = text.indexOf(handle, from);
    if (idx < 0) return false;
    const r = parseRatingText(text.slice(idx + handle.length, idx + handle.length + 120));
    if (r.rating !== null || r.dealsMin !== null) {
      Object.assign(v, { rating: r.rating, ratingMax: r.ratingMax, ratingApprox: r.approx, dealsMin: r.dealsMin, dealsMax: r.dealsMax });
      return true;
    }
    from = idx + handle.length;
  }
  return false;
}

/** The first headings of the main content (h1–h3) and the <title>'s segments. */
function headlines(structure: ReturnType<typeof analyseStructure>, max = 3): string[] {
  const out: string[] = [];
  const seen = new Set<AnyNode>();
  for (const t of structure.tokens) {
    if (out.length >= max) break;
    if (t.t !== 'text') continue;
    let el = t.node.parent as AnyNode | null;
    for (let i = 0; i < 3 && el && isElement(el); i++) {
      if (/^h[1-3]$/.test(el.name)) {
        if (!seen.has(el)) {
          seen.add(el);
          out.push(collapseWhitespace(textOf(el, 300)));
        }
        break;
      }
      el = el.parent as AnyNode | null;
    }
  }
  return out;
}

/** An error page: the title, a headline or (on a short page) a line of the main content says the thing is not there. */
function isErrorPage(structure: ReturnType<typeof analyseStructure>): boolean {
  const segs = structure.docTitle.split(/\s+(?:[-|–—»:•·]{1,2}|::)\s+/).map((x) => x.trim());
  if (segs.some((x) => ERROR_RE.test(x)) || ERROR_RE.test(structure.docTitle)) return true;
  if (headlines(structure).some((h) => ERROR_RE.test(h))) return true;
  if (structure.mainText.length < 1500) return structure.mainText.split('\n').some((l) => l.length <= 80 && ERROR_RE.test(l));
  return false;
}

function pageTypeGuess(page: LoadedPage, listingGroup: RepeatedGroup | null): PageType {
  const path = page.url.pathname;
  if (VENDOR_URL_RE.test(path + page.url.search) && !LISTING_URL_RE.test(path)) return 'vendor_profile';
  if (listingGroup && listingGroup.members.length >= 2) return path === '/' && !/[?&](?:q|query|search|s|keywords?|term|cat|category|c|page|p|offset|start)=/i.test(page.url.search) ? 'listing_index' : 'category';
  if (/\/(?:feedback|reviews?)\b/i.test(path)) return 'feedback';
  if (page.$('h1').length > 0 && findPrices(page.pageText().slice(0, 200_000), 1).length > 0) return 'listing';
  return 'unknown';
}

/** Writes findings at or above MIN_CONFIDENCE into the record; the rest go to `uncertain`. */
function applyFindings(findings: FieldFinding[], target: Record<string, unknown>, prefix: string, scores: Scores, uncertain: FieldFinding[]): void {
  for (const f of findings) {
    const field = f.path.slice(prefix.length);
    if (f.confidence < MIN_CONFIDENCE) {
      uncertain.push(f);
      continue;
    }
    target[field] = f.value;
    scores.add(prefix.startsWith('vendors') ? `vendor.${field}` : field, f.confidence);
  }
}

function emptyVendor(handle: string | null, url: string | null): ExtractedVendor {
  return { handle, url, rating: null, ratingMax: null, ratingApprox: false, dealsMin: null, dealsMax: null, level: null, profileText: null, pgpBlocks: [], lastSeenText: null };
}

/** Extracts a page of a market that has no adapter, by structure and patterns, with confidence scores. */
export function extractGeneric(input: PageInput, options: ExtractOptions = {}): GenericResult {
  let loaded: LoadedPage | ExtractResult;
  try {
    loaded = loadPage(mislabelledUtf8(input), GENERIC_REF, options);
  } catch (e) {
    const r = emptyResult({ captureDigest: input.captureDigest, adapter: GENERIC_REF, url: input.url, capturedAt: String(input.capturedAt) }, 'unknown', null);
    r.ok = false;
    r.errors.push({ code: 'parse_error', message: e instanceof Error ? e.message : String(e) });
    return { ...r, confidence: { page: 0, fields: {} }, findings: [], uncertain: [] };
  }
  if (!isLoadedPage(loaded)) return { ...loaded, confidence: { page: 0, fields: {} }, findings: [], uncertain: [] };
  const page = loaded;
  const started = performance.now();
  const result = emptyResult({ ...page.provenance, adapter: GENERIC_REF }, 'unknown', null, page.stats);
  result.warnings.push(...page.warnings);
  const scores = new Scores();
  const findings: FieldFinding[] = [];
  const uncertain: FieldFinding[] = [];
  try {
    const structure = analyseStructure(page.root, page.$('title').first().text().slice(0, 2000), page.pageText);
    const sig = signals(structure, page.root);
    const blocking = detectBlockingPage(page.root, page.pageText);
    // A login form (password and user name) is a login wall even when it carries a captcha; a PIN box on a
    // purchase form is not. A captcha with no login form is an anti-DDoS/captcha interstitial.
    const loginWall = sig.listing < 2 && hasLoginForm(page.root);
    const blockType: PageType | undefined = blocking === 'seized' ? 'seized' : loginWall ? 'login' : blocking;
    if (blockType) {
      result.pageType = blockType;
      result.ok = false;
      result.errors.push({ code: 'blocked_page', message: `page is a ${result.pageType} page` });
      return { ...result, confidence: { page: 0.9, fields: {} }, findings, uncertain };
    }
    const detailType = detailPageType(sig);
    const groups = findRepeatedGroups(page.root, 3);
    const listingGroup = bestListingGroup(groups);
    const feedbackGroup = bestFeedbackGroup(groups, listingGroup);
    const noContent = detailType === null && !(listingGroup && listingGroup.members.length >= 2) && !feedbackGroup;
    if (noContent && (isErrorPage(structure) || detectInterstitial(page.root, page.pageText))) {
      result.pageType = isErrorPage(structure) ? 'error' : 'interstitial';
      result.ok = result.pageType === 'error';
      if (result.pageType === 'interstitial') result.errors.push({ code: 'blocked_page', message: 'page is an anti-DDoS interstitial' });
      result.texts.push({ kind: 'page', ref: null, text: linesOf(page.root, 256 * 1024) });
      return { ...result, confidence: { page: 0.8, fields: {} }, findings, uncertain };
    }
    // A list of feedback: feedback rows under a headline that names feedback (or a feedback URL), not a profile.
    const feedbackHead = headlines(structure).some((h) => FEEDBACK_HEAD_RE.test(h)) || /\/(?:feedbacks?|reviews?|ratings?)\/?$|(?:^|\/)(?:feedbacks?|reviews?|ratings?)\.[a-z]+$/i.test(page.url.pathname);
    const feedbackPage = detailType !== 'listing' && sig.profile < 2 && !(listingGroup && listingGroup.members.length >= 2) && feedbackHead && (feedbackGroup !== null || structure.mainText.length < 3000);
    const urlVendor = VENDOR_URL_RE.exec(page.url.pathname + page.url.search);
    const urlHandle = urlVendor ? decodeURIComponentSafe(urlVendor[1] ?? urlVendor[2]!) : null;
    if (detailType === 'buyer_profile') {
      // A buyer's profile: no vendor and no listings to take from it.
      result.pageType = 'unknown';
      result.warnings.push({ code: 'bad_field_value', message: 'profile of a buyer (user type), not a vendor' });
    } else if (detailType === 'listing') {
      result.pageType = 'listing';
      const l = emptyListing();
      l.url = page.url.toString();
      l.externalId = externalIdFromUrl(l.url);
      const d = listingDetail(page, structure);
      findings.push(...d.findings);
      applyFindings(d.findings, l as unknown as Record<string, unknown>, 'listings[0].', scores, uncertain);
      if (l.vendorHandle) l.vendorUrl = d.vendorUrl;
      // The description: the longest text block under the headline's container (as on list pages), else anywhere.
      const h1 = page.$('h1, h2, h3').toArray().find((h) => l.title !== null && textOf(h, 2000) === l.title);
      const desc = (h1?.parent ? longestTextBlock(h1.parent as AnyNode) : null) ?? longestTextBlock(page.root);
      if (desc) {
        l.description = desc;
        scores.add('description', 0.4);
      }
      const stock = STOCK_RE.exec(structure.mainText);
      if (stock && l.stock === null) l.stock = Number(stock[1]);
      else if (l.stock === null && /^(?:out of stock|sold out|currently unavailable)\b/im.test(structure.mainText)) l.stock = 0;
      result.listings = [l];
    } else if (feedbackPage) {
      result.pageType = 'feedback';
    } else {
      result.pageType = detailType === 'vendor_profile' ? 'vendor_profile' : pageTypeGuess(page, listingGroup);
      if (listingGroup && result.pageType !== 'listing' && result.pageType !== 'unknown') {
        result.listings = listingGroup.members.map((m) => listingFromBlock(m, page, scores));
      } else if (result.pageType === 'listing') {
        const l = singleListing(page, scores);
        if (l) result.listings = [l];
      }
    }
    const fbGroup = feedbackGroup;
    if (fbGroup && result.pageType !== 'unknown') result.feedback = feedbackFromGroup(fbGroup, page, scores);
    const pgp = findPgpBlocks(linesOf(page.root, 2_000_000));
    if (result.pageType === 'vendor_profile') {
      const v = emptyVendor(null, null);
      const d = vendorDetail(page, structure, urlHandle);
      findings.push(...d.findings);
      applyFindings(d.findings, v as unknown as Record<string, unknown>, 'vendors[0].', scores, uncertain);
      if (v.handle && urlHandle && v.handle.toLowerCase() === urlHandle.toLowerCase()) v.url = page.url.toString();
      v.profileText = longestTextBlock(page.root);
      v.pgpBlocks = pgp;
      if (v.handle && v.rating === null && ratingNear(page, v.handle, v)) scores.add('vendor.rating', 0.5);
      if (pgp.length > 0) scores.add('vendor.pgpBlocks', 0.95);
      result.vendors = [v];
      for (const l of result.listings) l.vendorHandle ??= v.handle;
      for (const f of result.feedback) f.vendorHandle ??= v.handle;
    } else {
      const seen = new Set<string>();
      for (const l of result.listings) {
        // The logged-in account is never a vendor.
        if (l.vendorHandle && structure.account.has(l.vendorHandle.toLowerCase())) {
          uncertain.push({ path: 'listings[].vendorHandle', value: l.vendorHandle, confidence: 0, source: 'logged-in account' });
          l.vendorHandle = null;
          l.vendorUrl = null;
        }
        if (l.vendorHandle && !seen.has(l.vendorHandle)) {
          seen.add(l.vendorHandle);
          const v = emptyVendor(l.vendorHandle, l.vendorUrl);
          if (detailType === 'listing') {
            // The market's own rating next to the vendor's label or name (a rating label or rating element).
            const at = structure.tokens.findIndex((t) => t.t === 'text' && t.text.includes(l.vendorHandle!));
            const r = ownRating(structure, Math.max(0, at), 40);
            if (r && r.conf >= MIN_CONFIDENCE) {
              v.rating = r.value.rating;
              v.ratingMax = r.value.ratingMax;
              scores.add('vendor.rating', r.conf);
            }
          } else if (result.pageType === 'listing' && ratingNear(page, l.vendorHandle, v)) scores.add('vendor.rating', 0.5);
          result.vendors.push(v);
        }
      }
      if (pgp.length > 0) result.texts.push(...pgp.map((text) => ({ kind: 'pgp' as const, ref: null, text })));
      if (result.pageType === 'listing' && result.listings[0]) {
        for (const f of result.feedback) f.listingExternalId ??= result.listings[0].externalId;
      }
    }
    for (const l of result.listings) if (l.description) result.texts.push({ kind: 'listing_description', ref: l.externalId, text: l.description });
    for (const v of result.vendors) {
      if (v.profileText) result.texts.push({ kind: 'vendor_profile', ref: v.handle, text: v.profileText });
      for (const b of v.pgpBlocks) result.texts.push({ kind: 'pgp', ref: v.handle, text: b });
    }
    const crumbs = page.$('[class*="breadcrumb" i] a, [id*="breadcrumb" i] a, [class*="topnav" i] a, [id*="navigation" i] a').toArray();
    result.breadcrumbs = crumbs.map((c) => textOf(c, 200)).filter(Boolean);
    if (result.breadcrumbs.length > 0 && result.pageType === 'category') {
      scores.add('breadcrumbs', 0.5);
      for (const l of result.listings) if (l.category.length === 0) l.category = [...result.breadcrumbs];
    }
    if (result.pageType === 'unknown') result.texts.push({ kind: 'page', ref: null, text: linesOf(page.root, 256 * 1024) });
  } catch (e) {
    result.ok = false;
    result.errors.push({ code: 'parse_error', message: e instanceof Error ? e.message : String(e) });
  }
  result.stats.millis = page.stats.millis + (performance.now() - started);
  return { ...result, confidence: scores.result(), findings, uncertain };
}

/** A page whose <meta> declares a single-byte charset (ISO-8859-1, windows-1252) but whose bytes are valid UTF-8
 * with multi-byte sequences was saved or served as UTF-8 ("â™•" for "♕", "à¸¿" for "฿"): read it as UTF-8.
 * Only when no HTTP Content-Type charset was recorded (that one always wins). */
function mislabelledUtf8(input: PageInput): PageInput {
  if (typeof input.html === 'string' || /charset=/i.test(input.contentType ?? '')) return input;
  const bytes = input.html;
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  if (!/<meta[^>]{0,200}?charset\s*=\s*["']?\s*(?:iso-8859-1|latin-?1|windows-1252|cp1252|us-ascii)\b/i.test(head)) return input;
  let multi = false;
  for (let i = 0; i < bytes.length && !multi; i++) if (bytes[i]! >= 0x80) multi = true;
  if (!multi) return input;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return input;
  }
  return { ...input, contentType: 'text/html; charset=utf-8' };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
