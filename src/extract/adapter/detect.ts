import type { CheerioAPI } from 'cheerio';
import type { PageType } from '../types.ts';
import { pageIndex } from '../html/page-index.ts';
import { existsInPage } from '../html/select.ts';
import { compilePattern } from './fields.ts';
import { isSeizureBanner, loginFormFields, type FormInputSeen, type SeizureSignals } from '../../domain/index.ts';
import { isTag, type AnyNode, type Element } from 'domhandler';
import { textContent } from 'domutils';
import type { Adapter, PageTypeRule } from './types.ts';

const CAPTCHA_TEXT_RE = /\b(enter|solve|type) (the )?(captcha|characters (you see|shown)|code (you see|shown|in the image))|\bi am not a robot\b|\bcaptcha\b.{0,40}\b(required|verify|invalid)/i;

/** The document node of a cheerio API or a parsed page (detection reads the DOM only; no cheerio needed). */
export type PageRoot = CheerioAPI | AnyNode;

function rootOf(page: PageRoot): AnyNode {
  return typeof page === 'function' ? page.root()[0]! : page;
}

export function matchesRule(rule: PageTypeRule, page: PageRoot, url: URL, pageText: () => string): boolean {
  if (rule.url !== undefined && !compilePattern(rule.url).test(url.pathname + url.search)) return false;
  if (rule.selector !== undefined && !existsInPage(rootOf(page), rule.selector)) return false;
  if (rule.notSelector !== undefined && existsInPage(rootOf(page), rule.notSelector)) return false;
  if (rule.text !== undefined && !compilePattern(rule.text).test(pageText())) return false;
  return true;
}

/**
 * What the blocking-page checks read from the markup, gathered in one walk of the page instead of one selector
 * pass each. Each field is what the selector in its comment selected (same elements, same document order).
 */
interface MarkupSignals {
  /** `img[alt], img[title]`, first 50: "alt title". */
  imageAlts: string[];
  /** first `title`. */
  title: Element | null;
  /** `h1, h2, h3`, first 20. */
  headings: Element[];
  /** count of `a[href]`. */
  links: number;
  /** any of `img[src*="captcha" i], img[alt*="captcha" i], input[name*="captcha" i], [class*="captcha" i], [id*="captcha" i]`. */
  captcha: boolean;
  /** any `input[type="password" i]`. */
  password: boolean;
  /** any `meta[http-equiv="refresh" i]`. */
  refresh: boolean;
}

/** Kept on the page's root node, as the page index is (html/page-index.ts says why not in a WeakMap). */
const SIGNALS = Symbol('markupSignals');
const CAPTCHA_RE = /captcha/i;

function has(attribs: Record<string, string>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(attribs, name) && attribs[name] != null;
}

/** `[name*="captcha" i]` as css-select evaluates it. */
function captchaIn(attribs: Record<string, string>, name: string): boolean {
  return captchaInValue(attribs[name]);
}

function captchaInValue(v: string | null | undefined): boolean {
  return v != null && v.length >= 7 && CAPTCHA_RE.test(v);
}

/** `[name="value" i]` (value lower case) as css-select evaluates it. */
function equalsIgnoreCase(attribs: Record<string, string>, name: string, value: string): boolean {
  const v = attribs[name];
  return v != null && v.length === value.length && v.toLowerCase() === value;
}

function markupSignals(root: AnyNode): MarkupSignals {
  const holder = root as AnyNode & { [SIGNALS]?: MarkupSignals };
  const cached = holder[SIGNALS];
  if (cached) return cached;
  const s: MarkupSignals = { imageAlts: [], title: null, headings: [], links: 0, captcha: false, password: false, refresh: false };
  // Descendants of root in document order, as css-select's selectAll walks them (the page index's one walk), with
  // the class and id it read: the attributes themselves only for the few tags whose other attributes count.
  const { elements, classes, ids } = pageIndex(root);
  for (let i = 0; i < elements.length; i++) {
    const node = elements[i]!;
    const a = node.attribs ?? {};
    switch (node.name) {
      case 'img':
        if (s.imageAlts.length < 50 && (has(a, 'alt') || has(a, 'title'))) s.imageAlts.push(`${a.alt ?? ''} ${a.title ?? ''}`);
        if (!s.captcha && (captchaIn(a, 'src') || captchaIn(a, 'alt'))) s.captcha = true;
        break;
      case 'title':
        s.title ??= node;
        break;
      case 'h1':
      case 'h2':
      case 'h3':
        if (s.headings.length < 20) s.headings.push(node);
        break;
      case 'a':
        if (has(a, 'href')) s.links++;
        break;
      case 'input':
        if (!s.captcha && captchaIn(a, 'name')) s.captcha = true;
        if (!s.password && equalsIgnoreCase(a, 'type', 'password')) s.password = true;
        break;
      case 'meta':
        if (!s.refresh && equalsIgnoreCase(a, 'http-equiv', 'refresh')) s.refresh = true;
        break;
    }
    if (!s.captcha && (captchaInValue(classes[i]) || captchaInValue(ids[i]))) s.captcha = true;
  }
  holder[SIGNALS] = s;
  return s;
}

/** `text.replace(/\s+/g, ' ').trim().length` without building the string. */
function collapsedLength(text: string): number {
  let n = 0;
  let pendingSpace = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Most characters are printable ASCII (33–127): one comparison pair decides them.
    if (
      c <= 32
        ? c === 32 || (c >= 9 && c <= 13)
        : c >= 0xa0 &&
          (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff)
    ) {
      if (n > 0) pendingSpace = true;
      continue;
    }
    if (pendingSpace) {
      n++;
      pendingSpace = false;
    }
    n++;
  }
  return n;
}

/**
 * What the seizure rule reads, the page text only on first read of `text` or `textLength`. A class with prototype
 * getters, not a literal with getter closures: those are kept by the literal's hidden class in V8's old space, and
 * with them the page (docs/benchmarks.md, "Extraction, eleventh pass").
 */
class PageSeizureSignals implements SeizureSignals {
  readonly title: string;
  readonly headings: string;
  readonly imageAlts: string;
  readonly links: number;
  private length: number | undefined;

  constructor(
    s: MarkupSignals,
    private readonly pageText: () => string,
  ) {
    this.title = (s.title ? textContent(s.title) : '').slice(0, 1000);
    this.headings = s.headings.map((e) => textContent(e).slice(0, 500)).join(' \n ');
    this.imageAlts = s.imageAlts.join(' ');
    this.links = s.links;
  }

  get text(): string {
    return this.pageText().slice(0, 20_000);
  }

  get textLength(): number {
    return (this.length ??= collapsedLength(this.pageText()));
  }
}

/** A seizure banner by its place and the page it dominates, never by a sentence in user content (domain/seizure.ts).
 * The page text is read only if the rule asks for it (few links, or the wording in a banner place). */
function seizureBanner(s: MarkupSignals, pageText: () => string): boolean {
  return isSeizureBanner(new PageSeizureSignals(s, pageText));
}

/** Blocking pages every market shares the shape of: a seizure splash and a captcha wall. */
export function detectBlockingPage(page: PageRoot, pageText: () => string): PageType | undefined {
  const s = markupSignals(rootOf(page));
  if (seizureBanner(s, pageText)) return 'seized';
  // A captcha field in a page with lots of content is a login/search form, not a wall: require little else (tested
  // first, so a market page with its many links never builds its text for the captcha wording).
  if (s.links < 40 && (s.captcha || CAPTCHA_TEXT_RE.test(pageText().slice(0, 20_000)))) return 'captcha';
  return undefined;
}

// An anti-DDoS front without a captcha: a queue or a browser check that sends the visitor on after a wait.
const INTERSTITIAL_TEXT_RE =
  /\b(?:checking your browser|ddos protection|anti-?ddos|you are (?:now )?in (?:the |a )?queue|your (?:position|place) in (?:the )?queue|please (?:stand by|wait)[^.\n]{0,60}\b(?:redirect|seconds?|queue|check)|(?:you will be |being )?redirected (?:automatically |shortly |in \d+))/i;

/** A small page that holds the visitor back before the site (no captcha: that one is a `captcha` page). */
export function detectInterstitial(page: PageRoot, pageText: () => string): boolean {
  const s = markupSignals(rootOf(page));
  const text = pageText();
  const length = collapsedLength(text);
  const short = length < 2500 && s.links < 15;
  if (!short || s.password) return false;
  return INTERSTITIAL_TEXT_RE.test(text.slice(0, 20_000)) || (s.refresh && length < 600);
}

/** A login form by the one rule the crawler also uses (src/domain/login-form.ts): a password field with a
 * user-name field in the same form (a PIN box on a purchase form is not). */
export function hasLoginForm(root: AnyNode): boolean {
  const stack: AnyNode[] = [root];
  let n = 0;
  while (stack.length > 0 && n++ < 200_000) {
    const node = stack.pop()!;
    if (isTag(node) && node.name === 'form') {
      const inputs: FormInputSeen[] = [];
      const st: AnyNode[] = [node];
      let m = 0;
      while (st.length > 0 && m++ < 5000) {
        const x = st.pop()!;
        if (isTag(x) && x.name === 'input') {
          const a = x.attribs;
          inputs.push({ name: a.name ?? '', type: (a.type ?? '').toLowerCase(), id: a.id, placeholder: a.placeholder, title: a.title, style: a.style });
        }
        if ('children' in x) for (const c of x.children as AnyNode[]) st.push(c);
      }
      if (loginFormFields(inputs)) return true;
      continue;
    }
    if ('children' in node) for (const c of node.children as AnyNode[]) stack.push(c);
  }
  return false;
}

/** A login wall: a login form (the domain rule) on a page with few links. */
export function detectLoginPage(page: PageRoot): boolean {
  const root = rootOf(page);
  return hasLoginForm(root) && markupSignals(root).links < 60;
}

/** Page type: the adapter's hook, then blocking pages, then the adapter's rules in order, then a login wall. */
export function detectPageType(
  adapter: Pick<Adapter, 'pageTypes' | 'hooks'> | null,
  page: { root: AnyNode; readonly $: CheerioAPI },
  url: URL,
  pageText: () => string,
  capturedAt: Date,
): PageType {
  // Only a hook reads cheerio: `page.$` may be built on first use.
  const fromHook = adapter?.hooks?.detectPageType?.({ $: page.$, url, capturedAt });
  if (fromHook) return fromHook;
  const blocking = detectBlockingPage(page.root, pageText);
  if (blocking) return blocking;
  for (const rule of adapter?.pageTypes ?? []) {
    if (matchesRule(rule, page.root, url, pageText)) return rule.type;
  }
  if (detectLoginPage(page.root)) return 'login';
  return 'unknown';
}
