import type { CheerioAPI } from 'cheerio';
import type { PageType } from '../types.ts';
import { selectIn } from '../html/select.ts';
import { compilePattern } from './fields.ts';
import { isSeizureBanner, loginFormFields, type FormInputSeen } from '../../domain/index.ts';
import { isTag, type AnyNode } from 'domhandler';
import { textContent } from 'domutils';
import type { Adapter, PageTypeRule } from './types.ts';

const CAPTCHA_TEXT_RE = /\b(enter|solve|type) (the )?(captcha|characters (you see|shown)|code (you see|shown|in the image))|\bi am not a robot\b|\bcaptcha\b.{0,40}\b(required|verify|invalid)/i;

export function matchesRule(rule: PageTypeRule, $: CheerioAPI, url: URL, pageText: () => string): boolean {
  const root = $.root()[0]!;
  if (rule.url !== undefined && !compilePattern(rule.url).test(url.pathname + url.search)) return false;
  if (rule.selector !== undefined && selectIn(root, rule.selector).length === 0) return false;
  if (rule.notSelector !== undefined && selectIn(root, rule.notSelector).length > 0) return false;
  if (rule.text !== undefined && !compilePattern(rule.text).test(pageText())) return false;
  return true;
}

function textOfFirst(elements: AnyNode[]): string {
  return elements.length > 0 ? textContent(elements[0]!) : '';
}

/** A seizure banner by its place and the page it dominates, never by a sentence in user content (domain/seizure.ts). */
function seizureBanner($: CheerioAPI, root: ReturnType<CheerioAPI['root']>[number], text: string): boolean {
  const alts = selectIn(root, 'img[alt], img[title]')
    .slice(0, 50)
    .map((i) => `${i.attribs.alt ?? ''} ${i.attribs.title ?? ''}`)
    .join(' ');
  return isSeizureBanner({
    title: textOfFirst(selectIn(root, 'title')).slice(0, 1000),
    headings: selectIn(root, 'h1, h2, h3')
      .slice(0, 20)
      .map((e) => textContent(e).slice(0, 500))
      .join(' \n '),
    imageAlts: alts,
    text: text.slice(0, 20_000),
    textLength: text.replace(/\s+/g, ' ').trim().length,
    links: selectIn(root, 'a[href]').length,
  });
}

/** Blocking pages every market shares the shape of: a seizure splash and a captcha wall. */
export function detectBlockingPage($: CheerioAPI, pageText: () => string): PageType | undefined {
  const text = pageText();
  const root = $.root()[0]!;
  if (seizureBanner($, root, text)) return 'seized';
  const captchaMarkup =
    selectIn(root, 'img[src*="captcha" i], img[alt*="captcha" i], input[name*="captcha" i], [class*="captcha" i], [id*="captcha" i]').length > 0;
  if (captchaMarkup || CAPTCHA_TEXT_RE.test(text.slice(0, 20_000))) {
    // A captcha field in a page with lots of content is a login/search form, not a wall: require little else.
    if (selectIn(root, 'a[href]').length < 40) return 'captcha';
  }
  return undefined;
}

// An anti-DDoS front without a captcha: a queue or a browser check that sends the visitor on after a wait.
const INTERSTITIAL_TEXT_RE =
  /\b(?:checking your browser|ddos protection|anti-?ddos|you are (?:now )?in (?:the |a )?queue|your (?:position|place) in (?:the )?queue|please (?:stand by|wait)[^.\n]{0,60}\b(?:redirect|seconds?|queue|check)|(?:you will be |being )?redirected (?:automatically |shortly |in \d+))/i;

/** A small page that holds the visitor back before the site (no captcha: that one is a `captcha` page). */
export function detectInterstitial($: CheerioAPI, pageText: () => string): boolean {
  const root = $.root()[0]!;
  const text = pageText();
  const short = text.replace(/\s+/g, ' ').trim().length < 2500 && selectIn(root, 'a[href]').length < 15;
  if (!short || selectIn(root, 'input[type="password" i]').length > 0) return false;
  const refresh = selectIn(root, 'meta[http-equiv="refresh" i]').length > 0;
  return INTERSTITIAL_TEXT_RE.test(text.slice(0, 20_000)) || (refresh && text.replace(/\s+/g, ' ').trim().length < 600);
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
export function detectLoginPage($: CheerioAPI): boolean {
  const root = $.root()[0]!;
  return hasLoginForm(root) && selectIn(root, 'a[href]').length < 60;
}

/** Page type: the adapter's hook, then blocking pages, then the adapter's rules in order, then a login wall. */
export function detectPageType(
  adapter: Pick<Adapter, 'pageTypes' | 'hooks'> | null,
  $: CheerioAPI,
  url: URL,
  pageText: () => string,
  capturedAt: Date,
): PageType {
  const fromHook = adapter?.hooks?.detectPageType?.({ $, url, capturedAt });
  if (fromHook) return fromHook;
  const blocking = detectBlockingPage($, pageText);
  if (blocking) return blocking;
  for (const rule of adapter?.pageTypes ?? []) {
    if (matchesRule(rule, $, url, pageText)) return rule.type;
  }
  if (detectLoginPage($)) return 'login';
  return 'unknown';
}
