// One listing's page or one vendor's page of a market never seen, read from structure: the main content apart
// from the chrome, label/value pairs, the document title, the selected entry of a category tree, the vendor's own
// rating next to labels or in a rating-classed element. Every field carries a confidence and where it came from;
// fields below MIN_CONFIDENCE are reported as uncertain and left out of the record.
import type { AnyNode, Element } from 'domhandler';
import { parseDestinations } from '../shipping/destinations.ts';
import { findPrices, resolveUrl, splitList } from '../adapter/transforms.ts';
import type { LoadedPage } from '../adapter/run.ts';
import { collapseWhitespace, textOf } from '../html/text.ts';
import type { PageType } from '../types.ts';
import { isElement } from './blocks.ts';
import { anchorOf, handleFromText, isChrome, LABELS, pairFor, type LabelPair, type PageStructure } from './structure.ts';

/** Below this a field is reported (GenericResult.uncertain) but not written into the record. */
export const MIN_CONFIDENCE = 0.5;

/** One field as found: its value, how sure, and from what structure. */
export interface FieldFinding {
  /** Record path, e.g. 'listings[0].title', 'vendors[0].rating'. */
  path: string;
  value: unknown;
  confidence: number;
  /** What it was read from: 'label:ships to', 'title', 'user-link', 'category-tree', 'url'… */
  source: string;
}

const USER_PATH_RE = /(?:^|[/_.-])(?:users?|members?|memberlist|vendors?|sellers?|profiles?|shops?|stores?|contactmember|u)(?:[/_.?=-]|\.php|$)/i;
const USER_PARAM_RE = /^(?:u|un|u_id|uid|user|user_id|userid|username|member|member_id|vendor|vendor_id|seller|seller_id|profile|name)$/i;
const CATEGORY_HREF_RE = /(?:[?&](?:cat|category|categories|c|cid|cat_id|category_id|subcat|subcategory)=|\/(?:cat|category|categories|c)\/)/i;
const SELECTED_RE = /^(?:selected|active|current|open|chosen|is-active|is-selected|on)$/i;
const DEPTH_RE = /(?:depth|level|lvl|indent|sub)[-_]?(\d)/i;
const PURCHASE_RE = /\b(?:buy(?: now)?|purchase|order now|add to (?:cart|basket)|checkout|place order)\b/i;
const ARROW_RE = /\s*(?:→|->|=>|»|⇒)\s*/;
/** "Ships from Germany to Austria, France" written as a sentence of its own line. */
const SHIPS_INLINE_RE = /^ships? from\s+([A-Za-z][^\n]{1,60}?)\s+to\s+([^\n]{2,300})$/im;
const TITLE_SEP_RE = /\s+(?:[-|–—»:•·]{1,2}|::)\s+/;
/** A headline naming a user's profile ("Viewing profile - bob", "Profile of bob", "bob's profile"). */
const PROFILE_HEADLINE_RE = /^(?:(?:viewing |view |public |user |member |vendor |seller )?profile(?: of| for|\s*[-:–—•|])\s*[A-Za-z0-9][A-Za-z0-9_.-]{1,39}|[A-Za-z0-9][A-Za-z0-9_.-]{1,39}'s (?:profile|shop|store|page))$/i;

export interface UserLink {
  handle: string;
  url: string | null;
  el: Element;
}

/** A link to a user's page (/user/bob, user.php?u_id=bob, ./contactMember?member=bob) and the handle it names. */
export function userLinkHandle(a: Element, base: URL): UserLink | null {
  const href = a.attribs.href;
  if (!href || href.startsWith('#') || /^(?:javascript|mailto):/i.test(href)) return null;
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    return null;
  }
  let param: string | null = null;
  for (const [k, v] of u.searchParams) {
    if (USER_PARAM_RE.test(k) && v) {
      param = v;
      break;
    }
  }
  const pathHit = USER_PATH_RE.test(u.pathname);
  if (!param && !pathHit) return null;
  if (!param && pathHit) {
    const m = /(?:users?|members?|vendors?|sellers?|profiles?|shops?|stores?|u)\/([^/?#]+)\/?$/i.exec(u.pathname);
    if (m) param = decodeURIComponentSafe(m[1]!);
  }
  const fromText = handleFromText(textOf(a, 200));
  if (fromText && (!param || param.toLowerCase() === fromText.toLowerCase() || /^\d+$/.test(param))) return { handle: fromText, url: u.toString(), el: a };
  if (param && !/^\d+$/.test(param)) {
    const h = handleFromText(param);
    // The link text names someone else ("Contact Seller" is fine, another handle is not).
    if (h && (!fromText || fromText.toLowerCase() === h.toLowerCase())) return { handle: h, url: u.toString(), el: a };
  }
  return null;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const norm = (s: string) => collapseWhitespace(s).toLowerCase();

/** The market's name: the <title> segment shared with the chrome (logo, footer "© Apollon Market"), if any. */
function titleSegments(docTitle: string): string[] {
  return docTitle.split(TITLE_SEP_RE).map((s) => s.trim()).filter(Boolean);
}

export interface Signals {
  listing: number;
  profile: number;
  purchase: boolean;
  buyer: boolean;
  labels: string[];
  /** Listing labels repeated down the page (a list of listings). */
  repeated: boolean;
}

/** How much the main content looks like one listing's page (price, shipping, vendor labels, a purchase form) and
 * like a user's profile (member since, last seen, user type, PGP key…). */
export function signals(s: PageStructure, root: AnyNode): Signals {
  // Only labels with a value count (a search form's "Ships from" select is not a listing's), and listing labels
  // repeated down the page ("Sale price" in every row) make a list of listings, not one listing.
  const filled = s.pairs.filter((p) => p.value !== '');
  const labels = [...new Set(filled.map((p) => p.label))];
  const perLabel = new Map<string, number>();
  for (const p of filled) if (!p.fromLine && LABELS.listing.test(p.label)) perLabel.set(p.label, (perLabel.get(p.label) ?? 0) + 1);
  const repeated = [...perLabel.values()].some((n) => n >= 3);
  const has = (re: RegExp) => labels.some((l) => re.test(l));
  let listing = 0;
  if (has(LABELS.price)) listing++;
  if (has(LABELS.shipsFrom) || has(LABELS.shipsTo) || filled.some((p) => LABELS.shipping.test(p.label) && ARROW_RE.test(p.value)) || SHIPS_INLINE_RE.test(s.mainText)) listing++;
  if (has(LABELS.vendor)) listing++;
  const purchase = hasPurchaseForm(root);
  if (purchase) listing++;
  let profile = labels.filter((l) => LABELS.profile.test(l)).length;
  if (profileHeadline(s)) profile++;
  const ut = pairFor(s, LABELS.userType);
  const buyer = !!ut && /\b(?:buyer|customer|member)\b/i.test(ut.value) && !/\b(?:vendor|seller)\b/i.test(ut.value);
  return { listing, profile, purchase, buyer, labels, repeated };
}

/** Whether a headline of the main content, or the document title, names a user's profile. */
function profileHeadline(s: PageStructure): boolean {
  if (titleSegments(s.docTitle).some((seg) => PROFILE_HEADLINE_RE.test(seg)) || PROFILE_HEADLINE_RE.test(s.docTitle)) return true;
  for (const t of s.tokens.slice(0, 400)) {
    if (t.t !== 'text') continue;
    const el = t.node.parent;
    if (el && isElement(el as AnyNode) && /^h[1-4]$/.test((el as Element).name) && PROFILE_HEADLINE_RE.test(textOf(el as Element, 200))) return true;
  }
  return false;
}

function hasPurchaseForm(root: AnyNode): boolean {
  const stack: AnyNode[] = [root];
  let n = 0;
  while (stack.length > 0 && n++ < 200_000) {
    const node = stack.pop()!;
    if (isElement(node)) {
      if (node.name === 'form' && /purchase|buy|cart|order|checkout/i.test(node.attribs.action ?? '')) return true;
      if ((node.name === 'button' || (node.name === 'input' && /submit|button/i.test(node.attribs.type ?? ''))) && PURCHASE_RE.test(`${textOf(node, 100)} ${node.attribs.value ?? ''}`)) return true;
    }
    if ('children' in node) for (const c of node.children as AnyNode[]) stack.push(c);
  }
  return false;
}

export { hasLoginForm } from '../adapter/detect.ts';

/** A link to the market's front page (a logo or the market's name: "/", "/index.php", "/listings"), not a headline. */
function homeLink(el: Element, base: URL): boolean {
  // The element is the link, sits in it, or holds only it (<h1><a href="/">Market</a></h1>).
  const only = el.children.filter((c) => isElement(c) || (c.type === 'text' && collapseWhitespace((c as unknown as { data: string }).data) !== ''));
  const inner = only.length === 1 && isElement(only[0]!) && only[0].name === 'a' ? only[0] : null;
  const a = el.name === 'a' ? el : (inner ?? anchorOf(el));
  if (!a?.attribs.href) return false;
  try {
    const u = new URL(a.attribs.href, base);
    return u.search === '' && u.pathname.split('/').filter(Boolean).length <= 1 && u.pathname !== base.pathname && !/\d/.test(u.pathname);
  } catch {
    return false;
  }
}

/** The page's headline: the main-content element whose text is most of the <title>, else the first heading. */
function findTitle(page: LoadedPage, s: PageStructure): { value: string; conf: number; source: string } | null {
  const doc = norm(s.docTitle);
  let best: { value: string; score: number; tag: string } | null = null;
  const seen = new Set<AnyNode>();
  for (const t of s.tokens) {
    if (t.t !== 'text') continue;
    // The text node's parent element, or the smallest ancestor holding the whole headline (<a>, <h2>, <div class="title">).
    let el = t.node.parent as AnyNode | null;
    for (let i = 0; i < 3 && el && isElement(el); i++) {
      if (seen.has(el)) break;
      seen.add(el);
      const text = textOf(el, 600);
      if (text.length >= 3 && text.length <= 400 && doc.includes(text.toLowerCase()) && !homeLink(el, page.url)) {
        const score = text.length / Math.max(1, doc.length) + (/^h[1-4]$/.test(el.name) || /title|name|heading/i.test(el.attribs.class ?? '') ? 0.05 : 0);
        if (!best || score > best.score) best = { value: text, score, tag: el.name };
      }
      el = el.parent as AnyNode | null;
    }
  }
  if (best && best.score >= 0.35) return { value: best.value, conf: best.score >= 0.55 ? 0.9 : 0.7, source: 'title-match' };
  // A heading in the main content that is not a label ("User Profile :") nor the market's name.
  const segs = titleSegments(s.docTitle).map((x) => x.toLowerCase());
  for (const t of s.tokens) {
    if (t.t !== 'text') continue;
    const h = t.node.parent;
    if (!h || !isElement(h as AnyNode) || !/^h[1-4]$/.test((h as Element).name)) continue;
    const text = textOf(h as Element, 600);
    if (text.length < 3 || text.endsWith(':') || (segs.length > 1 && segs.at(-1) === text.toLowerCase())) continue;
    return { value: text, conf: 0.6, source: `heading:${(h as Element).name}` };
  }
  // The <title> without the market's name: its longest segment, uncertain.
  const parts = titleSegments(s.docTitle);
  if (parts.length >= 1) {
    // The market's name is the segment the footer/logo repeats, or one saying "market"; the page's is the other.
    const footer = collapseWhitespace(page.pageText().slice(-3000)).toLowerCase();
    const named = parts.filter((x) => !/\b(?:market(?:place)?|bazaar|shop|store)\b/i.test(x) && !footer.includes(x.toLowerCase()));
    const pick = named[0] ?? parts[0]!;
    return { value: pick, conf: parts.length > 1 ? 0.45 : 0.4, source: 'document-title' };
  }
  return null;
}

/** First price in a text, preferring the one right at its start ("฿0.01408 (€124.80)" → the BTC one). */
function firstPrice(text: string): { amount: number; currency: string; text: string } | null {
  const p = findPrices(text, 3)[0];
  return p ? { amount: p.amount, currency: p.currency, text: p.text } : null;
}

function priceFromStructure(page: LoadedPage, s: PageStructure): { value: { amount: number; currency: string; text: string }; conf: number; source: string } | null {
  for (const p of s.pairs) {
    if (!LABELS.price.test(p.label) || !p.value) continue;
    const v = firstPrice(p.value);
    if (v) return { value: v, conf: 0.92, source: `label:${p.label}` };
  }
  // A label with the price in its own text ("Sale Price : 49.88 USD / 0.0053 BTC" in one element).
  const m = /\b(?:sale price|price|cost)\s*:\s*([^\n]{1,80})/i.exec(s.mainText);
  if (m) {
    const v = firstPrice(m[1]!);
    if (v) return { value: v, conf: 0.85, source: 'label-inline:price' };
  }
  // A price-classed element in the main content.
  for (const t of s.tokens) {
    if (t.t !== 'text') continue;
    let el = t.node.parent as AnyNode | null;
    for (let i = 0; i < 3 && el && isElement(el); i++) {
      if (/(?:^|[-_\s])price(?:$|[-_\s])/i.test(`${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`)) {
        const v = firstPrice(textOf(el, 300));
        if (v) return { value: v, conf: 0.75, source: 'price-class' };
      }
      el = el.parent as AnyNode | null;
    }
  }
  void page;
  return null;
}

function places(value: string): string[] {
  return parseDestinations(splitList(value.replace(/\s*,\s*/g, ', '))).to;
}

/** The selected entry of a category tree and its parents (by depth class or list nesting), link counts dropped. */
function categoryPath(root: AnyNode): string[] | null {
  const entries: { el: Element; text: string; depth: number; selected: boolean }[] = [];
  const stack: AnyNode[] = [root];
  let n = 0;
  while (stack.length > 0 && n++ < 200_000 && entries.length < 2000) {
    const node = stack.pop()!;
    if (isElement(node) && node.name === 'a' && node.attribs.href && CATEGORY_HREF_RE.test(node.attribs.href)) {
      const own = collapseWhitespace(
        node.children
          .map((c) => (c.type === 'text' ? (c as unknown as { data: string }).data : isElement(c) && !/amount|count|badge|num/i.test(c.attribs.class ?? '') ? textOf(c, 200) : ''))
          .join(' '),
      ).replace(/\s*[([]?\d[\d,.]*[)\]]?$/, '');
      let depth = -1;
      let selected = false;
      let cur: AnyNode | null = node;
      let lists = 0;
      for (let i = 0; i < 12 && cur && isElement(cur); i++) {
        const cls = `${cur.attribs.class ?? ''}`.split(/\s+/);
        if (i <= 2 && (cls.some((c) => SELECTED_RE.test(c)) || cur.attribs['aria-current'])) selected = true;
        const d = DEPTH_RE.exec(cur.attribs.class ?? '');
        if (d && depth < 0 && i <= 2) depth = Number(d[1]);
        if (cur.name === 'ul' || cur.name === 'ol') lists++;
        cur = cur.parent as AnyNode | null;
      }
      if (own) entries.push({ el: node, text: own, depth: depth >= 0 ? depth : Math.max(0, lists - 1), selected });
      continue;
    }
    if ('children' in node) {
      const ch = node.children as AnyNode[];
      for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
    }
  }
  const sel = entries.findIndex((e) => e.selected);
  if (sel < 0) return null;
  const path = [entries[sel]!.text];
  let depth = entries[sel]!.depth;
  for (let i = sel - 1; i >= 0 && depth > 0; i--) {
    if (entries[i]!.depth < depth) {
      path.unshift(entries[i]!.text);
      depth = entries[i]!.depth;
    }
  }
  return path;
}

function breadcrumbPath(page: LoadedPage): string[] | null {
  const crumbs = page
    .$('[class*="crumb" i] a, [id*="crumb" i] a, [class*="breadcrumb" i] li, nav[aria-label*="breadcrumb" i] a')
    .toArray()
    .map((c) => textOf(c, 200))
    .filter(Boolean);
  const out = [...new Set(crumbs)].filter((c) => !/^(?:home|main|index|market|shop|all|categories|start)$/i.test(c));
  return out.length > 0 ? out : null;
}

function vendorFromPair(p: LabelPair, base: URL, account: Set<string>): UserLink | null {
  for (const n of p.nodes) {
    const a = anchorOf(n);
    if (!a) continue;
    const h = handleFromText(textOf(a, 200)) ?? userLinkHandle(a, base)?.handle ?? null;
    if (h && !account.has(h.toLowerCase())) return { handle: h, url: resolveUrl(a.attribs.href!, base), el: a };
  }
  const first = p.value.split(/[\s,;]+/)[0] ?? '';
  const h = handleFromText(first);
  return h && !account.has(h.toLowerCase()) ? { handle: h, url: null, el: p.el } : null;
}

/** User links in the main content, in document order, the logged-in account left out. */
function mainUserLinks(s: PageStructure, base: URL): UserLink[] {
  const out: UserLink[] = [];
  const seen = new Set<Element>();
  for (const t of s.tokens) {
    if (t.t !== 'text') continue;
    const a = anchorOf(t.node);
    if (!a || seen.has(a)) continue;
    seen.add(a);
    const u = userLinkHandle(a, base);
    if (u && !s.account.has(u.handle.toLowerCase())) out.push(u);
    if (out.length >= 50) break;
  }
  return out;
}

export interface ListingDetail {
  findings: FieldFinding[];
  vendorUrl: string | null;
}

/** One listing's fields from the page structure. */
export function listingDetail(page: LoadedPage, s: PageStructure): ListingDetail {
  const f: FieldFinding[] = [];
  const add = (field: string, value: unknown, confidence: number, source: string) => f.push({ path: `listings[0].${field}`, value, confidence, source });
  const title = findTitle(page, s);
  if (title) add('title', title.value, title.conf, title.source);
  const price = priceFromStructure(page, s);
  if (price) {
    add('price', { amount: price.value.amount, currency: price.value.currency }, price.conf, price.source);
    add('priceText', price.value.text, price.conf, price.source);
  }
  let vendorUrl: string | null = null;
  const vp = s.pairs.find((p) => LABELS.vendor.test(p.label) && p.value);
  const fromLabel = vp ? vendorFromPair(vp, page.url, s.account) : null;
  if (fromLabel) {
    add('vendorHandle', fromLabel.handle, 0.92, `label:${vp!.label}`);
    vendorUrl = fromLabel.url;
  } else {
    const links = mainUserLinks(s, page.url);
    if (links[0]) {
      // The same user linked more than once (name, PGP key, store) is surer than a single link.
      const same = links.filter((l) => l.handle.toLowerCase() === links[0]!.handle.toLowerCase()).length;
      add('vendorHandle', links[0].handle, same > 1 ? 0.8 : 0.65, 'user-link');
      vendorUrl = links[0].url;
    }
  }
  let from: { value: string; source: string } | null = null;
  let to: { value: string; source: string } | null = null;
  const fp = pairFor(s, LABELS.shipsFrom);
  if (fp) from = { value: fp.value.split(/\s*,\s*/)[0]!.trim(), source: `label:${fp.label}` };
  const tp = pairFor(s, LABELS.shipsTo);
  if (tp) to = { value: tp.value, source: `label:${tp.label}` };
  const route = s.pairs.find((p) => LABELS.shipping.test(p.label) && ARROW_RE.test(p.value));
  if (route && (!from || !to)) {
    const [a, b] = route.value.split(ARROW_RE, 2);
    from ??= { value: a!.trim(), source: `label:${route.label}` };
    to ??= { value: b ?? '', source: `label:${route.label}` };
  }
  const inline = SHIPS_INLINE_RE.exec(s.mainText);
  if (inline && (!from || !to)) {
    from ??= { value: inline[1]!.trim(), source: 'sentence:ships from … to' };
    to ??= { value: inline[2]!.trim(), source: 'sentence:ships from … to' };
  }
  if (from?.value) add('shipsFrom', from.value, 0.88, from.source);
  if (to?.value) {
    const d = parseDestinations(splitList(to.value.replace(/\s*,\s*/g, ', ')));
    add('shipsTo', d.to, 0.86, to.source);
    if (d.excluded.length > 0) add('shipsToExcluded', d.excluded, 0.8, to.source);
  }
  const stockPair = pairFor(s, LABELS.stock);
  if (stockPair) {
    const v = stockPair.value;
    const n = /^(?:only\s+)?(\d[\d,.']*)\b/i.exec(v);
    if (/\b(?:out of stock|sold out|unavailable|none left|not available)\b/i.test(v) || /^(?:no|none|0)$/i.test(v)) add('stock', 0, 0.85, `label:${stockPair.label}`);
    else if (n) add('stock', Number(n[1]!.replace(/[,.']/g, '')), 0.85, `label:${stockPair.label}`);
  }
  const catLabel = pairFor(s, LABELS.category);
  const tree = categoryPath(page.root);
  const crumbs = breadcrumbPath(page);
  if (crumbs) add('category', crumbs, 0.8, 'breadcrumbs');
  else if (tree) add('category', tree, 0.8, 'category-tree');
  else if (catLabel) add('category', catLabel.value.split(/\s*(?:[>»/›]|->)\s*/).filter(Boolean), 0.75, `label:${catLabel.label}`);
  void places;
  return { findings: f, vendorUrl };
}

export interface VendorDetail {
  findings: FieldFinding[];
  handle: string | null;
}

/** A rating as the market shows it: "96.87%", "(99%)", "4.65", "4.8/5", with a scale from a nearby hint. */
export function parseOwnRating(text: string, hint = ''): { rating: number; ratingMax: number } | null {
  const t = collapseWhitespace(text);
  const frac = /^\(?\s*~?(\d+(?:[.,]\d+)?)\s*\/\s*(\d+(?:[.,]\d+)?)\s*\)?/.exec(t);
  if (frac) {
    const r = Number(frac[1]!.replace(',', '.'));
    const m = Number(frac[2]!.replace(',', '.'));
    return m > 0 && r <= m ? { rating: r, ratingMax: m } : null;
  }
  const pct = /^\(?\s*(\d{1,3}(?:[.,]\d+)?)\s*%\s*\)?/.exec(t);
  if (pct) {
    const r = Number(pct[1]!.replace(',', '.'));
    return r <= 100 ? { rating: r, ratingMax: 100 } : null;
  }
  const num = /^\(?\s*(\d{1,3}(?:[.,]\d+)?)\s*\)?$/.exec(t);
  if (num) {
    const r = Number(num[1]!.replace(',', '.'));
    const scale = /(?:1\s*-\s*|out of |\/\s*)(5|10|100)\b/.exec(hint);
    const max = scale ? Number(scale[1]) : r <= 5 ? 5 : r <= 10 ? 10 : 100;
    return r <= max ? { rating: r, ratingMax: max } : null;
  }
  return null;
}

const RATING_CLASS_RE = /(?:^|[-_\s]|[a-z])(?:rating|score|stars?)(?:$|[-_\s]|[A-Z])/i;

/** The market's own rating of the vendor: a rating label's value, else an element classed/titled as a rating
 * whose whole text is a number. Badges of other markets and buyer comments carry neither. */
export function ownRating(s: PageStructure, handleAt: number, within = Infinity): { value: { rating: number; ratingMax: number }; conf: number; source: string } | null {
  for (const p of s.pairs) {
    if (!LABELS.rating.test(p.label) || Math.abs(p.at - handleAt) > within * 3) continue;
    const r = parseOwnRating(p.value.split(/\s{2,}|[;|]/)[0]!);
    if (r) return { value: r, conf: 0.9, source: `label:${p.label}` };
  }
  let best: { value: { rating: number; ratingMax: number }; dist: number } | null = null;
  s.tokens.forEach((t, i) => {
    if (t.t !== 'text' || !/^\d{1,3}(?:[.,]\d+)?%?$/.test(t.text)) return;
    const el = t.node.parent;
    if (!el || !isElement(el as AnyNode)) return;
    const e = el as Element;
    const marks = `${e.attribs.class ?? ''} ${e.attribs.id ?? ''} ${e.attribs.title ?? ''}`;
    if (!RATING_CLASS_RE.test(marks) || /transactions?|sales|deals|orders|count/i.test(e.attribs.title ?? '')) return;
    const r = parseOwnRating(t.text, e.attribs.title ?? '');
    if (!r) return;
    const dist = Math.abs(i - handleAt);
    if (dist > within) return;
    if (!best || dist < best.dist) best = { value: r, dist };
  });
  const b = best as { value: { rating: number; ratingMax: number }; dist: number } | null;
  return b ? { value: b.value, conf: b.dist < 60 ? 0.85 : 0.6, source: 'rating-element' } : null;
}

/** The profile's handle, by vote: labels ("Username"), the <title>, the page's headline user link, the URL. */
export function vendorDetail(page: LoadedPage, s: PageStructure, urlHandle: string | null): VendorDetail {
  const votes = new Map<string, { handle: string; weight: number; sources: string[]; at: number }>();
  const vote = (h: string | null, w: number, src: string, at: number) => {
    if (!h || s.account.has(h.toLowerCase())) return;
    const k = h.toLowerCase();
    const v = votes.get(k) ?? { handle: h, weight: 0, sources: [], at };
    v.weight += w;
    v.sources.push(src);
    v.at = Math.min(v.at, at);
    votes.set(k, v);
  };
  for (const p of s.pairs) {
    if (!LABELS.handle.test(p.label) || !p.value) continue;
    const u = vendorFromPair(p, page.url, s.account);
    if (u) vote(u.handle, 0.6, `label:${p.label}`, p.at);
  }
  // The <title> names the profile ("bob - User Profile - Market", "Contact bob", "bob's shop").
  for (const seg of titleSegments(s.docTitle)) {
    const all = seg.replace(/'s\b/g, '').split(/\s+/);
    const words = all.filter((w) => !/^(?:contact|profile|user|vendor|seller|member|store|shop|of|page|the|about|info|viewing|view|for)$/i.test(w));
    if (words.length === 1) {
      const h = handleFromText(words[0]!);
      // A segment that says whose profile it is counts more than a bare word (the market's name is one too).
      if (h && s.mainText.includes(h)) vote(h, words.length < all.length ? 0.35 : 0.2, 'document-title', Number.MAX_SAFE_INTEGER);
    }
  }
  // A headline naming the profile ("Profile of bob", "Viewing profile - bob").
  for (const t of s.tokens.slice(0, 400)) {
    if (t.t !== 'text') continue;
    const el = t.node.parent;
    if (!el || !isElement(el as AnyNode) || !/^h[1-4]$/.test((el as Element).name)) continue;
    const text = textOf(el as Element, 200);
    if (!PROFILE_HEADLINE_RE.test(text)) continue;
    const m = /([A-Za-z0-9][A-Za-z0-9_.-]{1,39})'s \w+$|([A-Za-z0-9][A-Za-z0-9_.-]{1,39})$/.exec(text);
    const h = m ? handleFromText(m[1] ?? m[2]!) : null;
    if (h) vote(h, 0.4, 'profile-headline', s.tokens.indexOf(t));
    break;
  }
  const links = mainUserLinks(s, page.url);
  if (links[0]) vote(links[0].handle, 0.3, 'user-link', 0);
  if (urlHandle) vote(handleFromText(urlHandle), 0.3, 'url', Number.MAX_SAFE_INTEGER);
  const ranked = [...votes.values()].sort((a, b) => b.weight - a.weight);
  const f: FieldFinding[] = [];
  const top = ranked[0];
  if (!top) return { findings: f, handle: null };
  f.push({ path: 'vendors[0].handle', value: top.handle, confidence: Math.min(0.98, top.weight + 0.2), source: top.sources.join('+') });
  const at = top.at === Number.MAX_SAFE_INTEGER ? 0 : top.at;
  const r = ownRating(s, at);
  if (r) {
    f.push({ path: 'vendors[0].rating', value: r.value.rating, confidence: r.conf, source: r.source });
    f.push({ path: 'vendors[0].ratingMax', value: r.value.ratingMax, confidence: r.conf, source: r.source });
  }
  return { findings: f, handle: top.handle };
}

/** Page type from structure alone; null when the structure says nothing decisive. */
export function detailPageType(sig: Signals): PageType | 'buyer_profile' | null {
  if (sig.listing >= 2 && !sig.repeated) return 'listing';
  if (sig.profile >= 2) return sig.buyer ? 'buyer_profile' : 'vendor_profile';
  return null;
}

export { isChrome };
