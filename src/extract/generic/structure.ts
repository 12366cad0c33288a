// Page structure as an analyst reads it: the page chrome (navigation, header, footer, sidebars, the logged-in
// account's menu) apart from the main content, label/value pairs in the main content ("Vendor chikata",
// "Ships to : Europe"), the document title without the market's name. Everything here is bounded: the walk
// visits at most MAX_NODES nodes and keeps at most MAX_TOKENS tokens, whatever the page.
import type { AnyNode, Element } from 'domhandler';
import { collapseWhitespace, rawTextOf, textOf } from '../html/text.ts';
import { isElement } from './blocks.ts';

const MAX_NODES = 200_000;
const MAX_TOKENS = 40_000;
const HIDDEN = new Set(['script', 'style', 'noscript', 'template', 'head', 'iframe', 'object', 'svg', 'math', 'select', 'option', 'textarea', 'button']);
const BLOCK = new Set([
  'address', 'article', 'aside', 'blockquote', 'dd', 'div', 'dl', 'dt', 'fieldset', 'figcaption', 'figure', 'footer', 'form',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'li', 'main', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'tbody',
  'thead', 'tfoot', 'tr', 'ul', 'title', 'center',
]);
const CHROME_TAGS = new Set(['nav', 'header', 'footer', 'aside']);
// Class/id words of page chrome: "navbar-default", "sidebar", "ulNavItems", "dropdown-menu", "footer".
const CHROME_TOKEN_RE =
  /^(?:nav|navbar|navigation|menu|menubar|header|footer|sidebar|side-bar|topbar|top-bar|topnav|dropdown|dropdown-menu|usermenu|user-menu|account-menu|masthead|site-header|site-footer)$|^(?:nav|navbar|menu|sidebar|topbar|footer)[-_]|[-_](?:nav|navbar|menu|sidebar|footer|navigation)$|[a-z]Nav(?:[A-Z]|bar|igation|$)/;
const INLINE_IN_LABEL = new Set(['b', 'strong', 'i', 'em', 'span', 'font', 'small', 'big', 'label', 'u']);
const LABEL_CLASS_RE = /(?:^|[-_\s])(?:label|key|caption|field-?name)(?:$|[-_\s])/i;
const HANDLE_TOKEN_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,39}$/;
const ACCOUNT_HREF_RE = /(?:^|[/.])(?:profile|account|settings|usercp|my-?account|dashboard|me)(?:\.php|\.html?|\.aspx?)?\/?$/i;
const ACCOUNT_TEXT_RE = /\b(?:logged in as|signed in as|welcome(?: back)?,?|hello,|hi,)\s+([A-Za-z0-9][A-Za-z0-9_.-]{1,39})/i;

/** Words that are never a handle (menu entries, labels, common words). */
export const NOT_A_HANDLE = new Set([
  'page', 'on', 'with', 'the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'is', 'for', 'by', 'us', 'me', 'our', 'your', 'this', 'that',
  'here', 'there', 'profile', 'info', 'information', 'rating', 'ratings', 'level', 'feedback', 'unknown', 'none', 'n/a', 'na', 'anonymous',
  'from', 'since', 'shop', 'store', 'home', 'login', 'logout', 'register', 'messages', 'inbox', 'orders', 'cart', 'settings', 'account',
  'vendor', 'seller', 'user', 'buyer', 'contact', 'message', 'send', 'report', 'view', 'more', 'listings', 'items', 'products', 'yes', 'no',
  'verified', 'trusted', 'member', 'online', 'offline', 'escrow', 'fe', 'pgp', 'search', 'help', 'faq', 'forum', 'support',
  'quantity', 'price', 'stock', 'sold', 'views', 'sales', 'shipping', 'origin', 'destination', 'category', 'payment',
]);

export type Tok =
  | { t: 'text'; text: string; node: AnyNode }
  | { t: 'label'; text: string; el: Element }
  | { t: 'break' }
  | { t: 'cell' };

/** A label and its value as shown ("Ships to" → "United States, Worldwide"), with the elements it spans. */
export interface LabelPair {
  /** Normalised label: lower case, no colon, single spaces. */
  label: string;
  value: string;
  /** Text nodes of the value (to find links in it). */
  nodes: AnyNode[];
  el: Element;
  /** Token index of the label (document order). */
  at: number;
  /** Read from a plain-text line ("Seller: bob"), not from a label element. */
  fromLine?: boolean;
}

export interface PageStructure {
  tokens: Tok[];
  pairs: LabelPair[];
  /** Lower-case names of the logged-in account shown in the page chrome (never a vendor). */
  account: Set<string>;
  /** The <title> text. */
  docTitle: string;
  /** True when chrome was told apart from the main content. */
  chromeFound: boolean;
  /** Visible main-content text (chrome left out), one line per block. */
  mainText: string;
}

function classTokens(el: Element): string[] {
  return `${el.attribs.class ?? ''} ${el.attribs.id ?? ''}`.split(/\s+/).filter(Boolean);
}

export function isChrome(el: Element): boolean {
  if (CHROME_TAGS.has(el.name)) return true;
  if (el.attribs.role === 'navigation' || el.attribs.role === 'banner' || el.attribs.role === 'contentinfo') return true;
  return classTokens(el).some((t) => CHROME_TOKEN_RE.test(t) || CHROME_TOKEN_RE.test(t.toLowerCase()));
}

/** Whether the element only holds inline formatting (a label like <label><b>Origin :</b></label>). */
function inlineOnly(el: Element): boolean {
  const stack: AnyNode[] = [...el.children];
  let n = 0;
  while (stack.length > 0 && n++ < 50) {
    const c = stack.pop()!;
    if (!isElement(c)) continue;
    if (!INLINE_IN_LABEL.has(c.name)) return false;
    stack.push(...c.children);
  }
  return n < 50;
}

/** A label element: short text ending in a colon, or a <label>/<dt>/<th>/label-classed element with a short text. */
function labelText(el: Element): string | null {
  if (!['label', 'dt', 'th', 'b', 'strong', 'span', 'td', 'div', 'small', 'em', 'font', 'h3', 'h4', 'h5', 'h6', 'p', 'i', 'u'].includes(el.name)) return null;
  if (!inlineOnly(el)) return null;
  const text = textOf(el, 200);
  if (text.length < 2 || text.length > 40) return null;
  if (/^[^:]{1,38}:$/.test(text)) return text;
  const labelish = el.name === 'label' || el.name === 'dt' || el.name === 'th' || classTokens(el).some((t) => LABEL_CLASS_RE.test(t));
  if (labelish && text.length <= 30 && !/\d/.test(text) && /^[A-Za-z][A-Za-z /&'-]*$/.test(text)) return text;
  return null;
}

export function normLabel(s: string): string {
  return collapseWhitespace(s.replace(/:/g, ' ')).toLowerCase();
}

/** The main content as tokens (chrome left out), in document order. */
function linearize(root: AnyNode, skipChrome: boolean, pageChars = Infinity): { tokens: Tok[]; chromeFound: boolean } {
  const tokens: Tok[] = [];
  let chromeFound = false;
  const stack: (AnyNode | { after: Tok })[] = [root];
  let visited = 0;
  while (stack.length > 0 && visited++ < MAX_NODES && tokens.length < MAX_TOKENS) {
    const item = stack.pop()!;
    if ('after' in item && !('type' in item)) {
      tokens.push(item.after);
      continue;
    }
    const node = item as AnyNode;
    if (node.type === 'text') {
      const text = collapseWhitespace((node as { data: string }).data);
      if (text) tokens.push({ t: 'text', text, node });
      continue;
    }
    if (node.type === 'root') {
      const ch = (node as { children: AnyNode[] }).children;
      for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
      continue;
    }
    if (!isElement(node) || HIDDEN.has(node.name)) continue;
    if (node.name === 'br' || node.name === 'hr') {
      tokens.push({ t: 'break' });
      continue;
    }
    if (node.name === 'input' && node.attribs.type === 'submit') continue;
    // A chrome-named element holding most of the page is a layout wrapper ("main onlyLeftNavLayout"), not chrome.
    if (skipChrome && isChrome(node) && rawTextOf(node, Math.ceil(pageChars / 2) + 1).length <= pageChars / 2) {
      chromeFound = true;
      continue;
    }
    const block = BLOCK.has(node.name);
    const cell = node.name === 'td' || node.name === 'th';
    const label = labelText(node);
    if (label !== null) {
      if (block) tokens.push({ t: 'break' });
      if (cell) tokens.push({ t: 'cell' });
      tokens.push({ t: 'label', text: label, el: node });
      if (block) tokens.push({ t: 'break' });
      if (cell) tokens.push({ t: 'cell' });
      continue;
    }
    if (block) {
      tokens.push({ t: 'break' });
      stack.push({ after: { t: 'break' } });
    } else if (cell) {
      tokens.push({ t: 'cell' });
      stack.push({ after: { t: 'cell' } });
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return { tokens, chromeFound };
}

/** Label/value pairs: the text after a label up to the line's end or the next label; a label alone on its line
 * takes the next line. */
function pairsOf(tokens: Tok[]): LabelPair[] {
  const pairs: LabelPair[] = [];
  for (let i = 0; i < tokens.length && pairs.length < 2000; i++) {
    const tok = tokens[i]!;
    if (tok.t !== 'label') continue;
    const collect = (from: number): { texts: string[]; nodes: AnyNode[]; end: number } => {
      const texts: string[] = [];
      const nodes: AnyNode[] = [];
      let j = from;
      for (; j < tokens.length && j < from + 200; j++) {
        const x = tokens[j]!;
        if (x.t === 'label' || x.t === 'break') break;
        if (x.t === 'text') {
          texts.push(x.text);
          nodes.push(x.node);
        }
      }
      return { texts, nodes, end: j };
    };
    let v = collect(i + 1);
    if (v.texts.length === 0 && tokens[v.end]?.t === 'break') {
      let k = v.end;
      while (k < tokens.length && tokens[k]!.t === 'break') k++;
      if (k < tokens.length && tokens[k]!.t !== 'label') v = collect(k);
    }
    const value = collapseWhitespace(v.texts.join(' ')).replace(/^[:\-–|]\s*/, '');
    pairs.push({ label: normLabel(tok.text), value, nodes: v.nodes, el: tok.el, at: i });
  }
  return pairs;
}

/** Text lines of the main content (tokens joined, a line per block). */
function mainTextOf(tokens: Tok[], max = 400_000): string {
  const out: string[] = [];
  let size = 0;
  for (const t of tokens) {
    if (size > max) break;
    const s = t.t === 'break' ? '\n' : t.t === 'cell' ? ' ' : ` ${t.text} `;
    out.push(s);
    size += s.length;
  }
  return out
    .join('')
    .split('\n')
    .map((l) => collapseWhitespace(l))
    .filter(Boolean)
    .join('\n');
}

/** The handle of an anchor's text ("DutchTopBoy (97%)" → DutchTopBoy), or null when it is not one word. */
export function handleFromText(text: string): string | null {
  const t = collapseWhitespace(text.replace(/\([^)]*\)|\[[^\]]*\]/g, ' '));
  if (!HANDLE_TOKEN_RE.test(t) || NOT_A_HANDLE.has(t.toLowerCase())) return null;
  if (!/[A-Za-z]/.test(t)) return null;
  return t;
}

function accountNames(root: AnyNode, docText: () => string): Set<string> {
  const out = new Set<string>();
  const stack: AnyNode[] = [root];
  let n = 0;
  while (stack.length > 0 && n++ < MAX_NODES) {
    const node = stack.pop()!;
    if (!isElement(node) && node.type !== 'root') continue;
    if (isElement(node) && node.name === 'a' && node.attribs.href) {
      const href = node.attribs.href.split('#')[0]!;
      if (!href.includes('?') && ACCOUNT_HREF_RE.test(href)) {
        const h = handleFromText(textOf(node, 200));
        if (h) out.add(h.toLowerCase());
      }
      continue;
    }
    const ch = (node as { children: AnyNode[] }).children;
    for (let i = ch.length - 1; i >= 0; i--) stack.push(ch[i]!);
  }
  const m = ACCOUNT_TEXT_RE.exec(docText().slice(0, 200_000));
  if (m && !NOT_A_HANDLE.has(m[1]!.toLowerCase())) out.add(m[1]!.toLowerCase());
  return out;
}

export function analyseStructure(root: AnyNode, docTitle: string, docText: () => string): PageStructure {
  const pageChars = docText().length;
  let { tokens, chromeFound } = linearize(root, true, pageChars);
  const mainLen = tokens.reduce((s, t) => s + (t.t === 'text' ? t.text.length : 0), 0);
  // A page wrapped whole in a chrome-named element: read it all rather than nothing.
  if (chromeFound && mainLen < 40) ({ tokens, chromeFound } = { tokens: linearize(root, false).tokens, chromeFound: false });
  const pairs = pairsOf(tokens);
  const mainText = mainTextOf(tokens);
  // Labels written as plain text ("Seller: bob", "Category: Stimulants") in a line of their own: read from the
  // lines, after the element labels, for labels the elements did not give.
  const known = new Set(pairs.map((p) => p.label));
  let lines = 0;
  for (const line of mainText.split('\n')) {
    if (lines++ > 5000) break;
    const m = /^([A-Za-z][A-Za-z /&'-]{1,30}?)\s*:\s*(\S.{0,300})$/.exec(line);
    if (!m) continue;
    const label = normLabel(m[1]!);
    if (known.has(label)) continue;
    known.add(label);
    pairs.push({ label, value: collapseWhitespace(m[2]!), nodes: [], el: root as Element, at: tokens.length, fromLine: true });
  }
  return { tokens, pairs, account: accountNames(root, docText), docTitle: collapseWhitespace(docTitle), chromeFound, mainText };
}

/** The nearest <a> ancestor of a node (within a few levels). */
export function anchorOf(node: AnyNode): Element | null {
  let cur: AnyNode | null = node;
  for (let i = 0; i < 6 && cur; i++) {
    if (isElement(cur) && cur.name === 'a' && cur.attribs.href) return cur;
    cur = cur.parent as AnyNode | null;
  }
  return null;
}

/** Label vocabularies, by field. Labels are read whole ("ships to", "origin country"), never from running text. */
export const LABELS = {
  vendor: /^(?:vendor|seller|sold by|merchant|brought to you by|vendor name|seller name|offered by|listed by|posted by|supplier)$/,
  handle: /^(?:user ?name|user|nick(?:name)?|handle|vendor|seller|vendor name|seller name|member|name|user profile|vendor profile|seller profile|profile of|store of|shop of)$/,
  price: /^(?:price|sale price|our price|unit price|price per (?:unit|item)|cost|listing price|item price|buy price|your price)$/,
  shipsFrom: /^(?:ships? from|shipping from|shipped from|origin|origin country|country of origin|sends? from|sent from|ships? from country|from country|location|product origin)$/,
  /** "Shipping: Germany → Austria, France": origin and destinations in one value. */
  shipping: /^(?:shipping|ships|delivery|shipping route)$/,
  shipsTo: /^(?:ships? to|shipping to|ship(?:ping)? destinations?|destinations?|delivers? to|delivery to|ships? to countries|ships? worldwide to|available (?:in|to)|to countries)$/,
  category: /^(?:category|categories|section|product category|class|drug class|substance class|sub-?category)$/,
  stock: /^(?:stock|in stock|available|availability|quantity available|qty available|items? left|units? left|left|inventory)$/,
  rating: /^(?:rating|average rating|vendor rating|seller rating|positive feedback|positive rating|positive|score|feedback score|reputation)$/,
  userType: /^(?:user type|account type|member type|role|user role|type of account|rank|user rank|member rank|user group|group)$/,
  profile: /^(?:user ?name|member since|join(?:ed)?(?: date)?|registered(?: since| on)?|last (?:seen|active|login|online|activity)|user type|account type|trust level|public pgp key|pgp(?: key)?|feedback ratings?|positive feedback|sales|total sales|orders|disputes|won\/lost disputes|fe|fe enabled|about me|vendor since|seller since|rank|user rank|member rank|user group|feedback received|feedback left|total posts|total topics|posts)$/,
  listing: /^(?:price|sale price|unit price|ships? from|ships? to|ship to|origin country|origin|shipping from|shipping to|destinations?|quantity|stock|in stock|escrow|payment|product class|product type|shipping options?|vendor|seller|sold by|category)$/,
};

export function pairFor(s: PageStructure, re: RegExp): LabelPair | undefined {
  return s.pairs.find((p) => re.test(p.label) && p.value !== '');
}
