// The pages markets defend themselves with, recognised from their structure (not from one market's wording):
// an anti-DDoS queue (a page that refreshes itself and offers no form), an anti-DDoS CAPTCHA (a form with a
// challenge image and no password field, before anything else), a PGP two-factor prompt (an armored PGP MESSAGE
// and a form to type the code back), a signed mirror list (a cleartext-signed PGP message listing onions), and a
// phishing warning (a warning a market hides with CSS only on its own address: visible, the page is a clone).
import { Tokenizer } from 'htmlparser2';
import { resolveHref } from '../page.ts';

/** Defence pages are small; larger pages are never one (and are not scanned here). */
export const MAX_DEFENCE_PAGE_BYTES = 512 * 1024;

export interface DefenceForm {
  action: string;
  hidden: Record<string, string>;
  /** Names of the visible text inputs, in order. */
  texts: string[];
  hasPassword: boolean;
  images: string[];
}

export type DefencePage =
  | { kind: 'queue'; refreshSeconds: number; refreshUrl: string }
  | { kind: 'anti-ddos-captcha'; form: DefenceForm; captchaField: string; captchaImage: string }
  | { kind: 'two-factor'; form: DefenceForm; codeField: string; challenge: string }
  | { kind: 'mirror-list'; signed: string; publicKey?: string };

export interface DefenceScan {
  page?: DefencePage;
  /** A phishing warning the page shows (hidden on the market's own address): the page comes from a clone. */
  phishingWarning?: string;
}

interface Seen {
  refresh?: string;
  forms: Array<DefenceForm & { textareas: string[] }>;
  text: string;
  styles: string;
  hosts: Array<{ cls: string; host: string; text: string }>;
}

const PGP_MESSAGE = /-----BEGIN PGP MESSAGE-----[\s\S]+?-----END PGP MESSAGE-----/;
const PGP_SIGNED = /-----BEGIN PGP SIGNED MESSAGE-----[\s\S]+?-----END PGP SIGNATURE-----/;
const PGP_KEY = /-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]+?-----END PGP PUBLIC KEY BLOCK-----/;

function scan(html: string, baseUrl: string): Seen {
  const seen: Seen = { forms: [], text: '', styles: '', hosts: [] };
  let tag = '';
  let attribs: Record<string, string> = {};
  let attrName = '';
  let attrValue = '';
  let form: Seen['forms'][number] | undefined;
  let inStyle = false;
  let textarea: string | undefined;
  let hostEl: Seen['hosts'][number] | undefined;
  const open = () => {
    const a = attribs;
    if (tag === 'meta' && (a['http-equiv'] ?? '').toLowerCase() === 'refresh' && a.content) seen.refresh ??= a.content;
    else if (tag === 'form') {
      form = { action: resolveHref(a.action ?? baseUrl, baseUrl) ?? baseUrl, hidden: {}, texts: [], hasPassword: false, images: [], textareas: [] };
      seen.forms.push(form);
    } else if (tag === 'input' && form) {
      const type = (a.type ?? 'text').toLowerCase();
      if (type === 'hidden' && a.name) form.hidden[a.name] = a.value ?? '';
      else if (type === 'password') form.hasPassword = true;
      else if ((type === 'text' || type === '') && a.name) form.texts.push(a.name);
    } else if (tag === 'img' && form && a.src) {
      const src = resolveHref(a.src, baseUrl);
      if (src) form.images.push(src);
    } else if (tag === 'textarea') textarea = '';
    else if (tag === 'style') inStyle = true;
    if (a['data-host'] !== undefined) {
      hostEl = { cls: a.class ?? '', host: a['data-host'], text: '' };
      seen.hosts.push(hostEl);
    }
  };
  const addText = (t: string) => {
    if (inStyle) seen.styles += t;
    else {
      if (seen.text.length < 200_000) seen.text += t;
      if (textarea !== undefined) textarea += t;
      if (hostEl && hostEl.text.length < 500) hostEl.text += t;
    }
  };
  const tokenizer = new Tokenizer({ decodeEntities: true }, {
    onopentagname(s, e) { tag = html.slice(s, e).toLowerCase(); attribs = {}; },
    onattribname(s, e) { attrName = html.slice(s, e).toLowerCase(); attrValue = ''; },
    onattribdata(s, e) { attrValue += html.slice(s, e); },
    onattribentity(cp) { attrValue += String.fromCodePoint(cp); },
    onattribend() { if (!Object.hasOwn(attribs, attrName)) attribs[attrName] = attrValue; },
    onopentagend() { open(); },
    onselfclosingtag() { open(); if (tag === 'form') form = undefined; },
    onclosetag(s, e) {
      const name = html.slice(s, e).toLowerCase();
      if (name === 'form') form = undefined;
      else if (name === 'style') inStyle = false;
      else if (name === 'textarea' && textarea !== undefined) {
        form?.textareas.push(textarea);
        textarea = undefined;
      } else if (name === 'div' || name === 'p' || name === 'span') hostEl = undefined;
    },
    ontext(s, e) { addText(html.slice(s, e)); },
    ontextentity(cp) { addText(String.fromCodePoint(cp)); },
    oncdata() {}, oncomment() {}, ondeclaration() {}, onprocessinginstruction() {}, onend() {},
  });
  tokenizer.write(html);
  tokenizer.end();
  return seen;
}

/** A meta refresh's delay and target ("5" or "5; url=/next"). */
function parseRefresh(content: string, baseUrl: string): { seconds: number; url: string } | undefined {
  const m = /^\s*(\d{1,6})(?:\.\d*)?\s*(?:[;,]\s*(?:url\s*=\s*)?['"]?([^'"]*)['"]?)?\s*$/i.exec(content);
  if (!m) return undefined;
  return { seconds: Number(m[1]), url: (m[2] ? resolveHref(m[2], baseUrl) : undefined) ?? baseUrl };
}

/**
 * A CSS rule that hides an element only when its data-host attribute contains a fragment of the market's real
 * address: on a clone (which rewrites the address) the fragment no longer matches and the warning is shown.
 */
function visiblePhishingWarning(seen: Seen): string | undefined {
  for (const el of seen.hosts) {
    if (!/phish/i.test(`${el.cls} ${el.text}`)) continue;
    const classes = el.cls.split(/\s+/).filter(Boolean);
    for (const cls of classes) {
      const re = new RegExp(`\\.${cls.replace(/[^\w-]/g, '')}\\[data-host\\*=["']([^"']+)["']\\]\\s*\\{[^}]*display\\s*:\\s*none`, 'i');
      const fragment = re.exec(seen.styles)?.[1];
      if (fragment !== undefined && !el.host.includes(fragment)) return el.text.trim().slice(0, 200) || 'phishing warning shown';
    }
  }
  return undefined;
}

/** Recognises a defence page; undefined fields: an ordinary page. */
export function scanDefences(body: Buffer, baseUrl: string): DefenceScan {
  if (body.length > MAX_DEFENCE_PAGE_BYTES) return {};
  const html = body.toString('utf8');
  if (!/refresh|captcha|PGP|data-host|<img/i.test(html)) return {};
  const seen = scan(html, baseUrl);
  const out: DefenceScan = {};
  const warning = visiblePhishingWarning(seen);
  if (warning) out.phishingWarning = warning;
  const signed = PGP_SIGNED.exec(seen.text)?.[0];
  if (signed && /[a-z2-7]{56}\.onion/.test(signed)) {
    out.page = { kind: 'mirror-list', signed, publicKey: PGP_KEY.exec(seen.text)?.[0] };
    return out;
  }
  const pwdForms = seen.forms.filter((f) => f.hasPassword);
  const message = PGP_MESSAGE.exec(seen.text)?.[0];
  const tfForm = seen.forms.find((f) => !f.hasPassword && f.texts.length > 0 && (f.textareas.some((t) => PGP_MESSAGE.test(t)) || message !== undefined));
  if (message && tfForm && pwdForms.length === 0) {
    out.page = { kind: 'two-factor', form: tfForm, codeField: tfForm.texts[0] as string, challenge: tfForm.textareas.map((t) => PGP_MESSAGE.exec(t)?.[0]).find(Boolean) ?? message };
    return out;
  }
  if (pwdForms.length === 0) {
    const cf = seen.forms.find((f) => f.images.length > 0 && f.texts.length > 0 && (f.images.some((s) => /captcha|challenge/i.test(s)) || f.texts.some((n) => /captcha/i.test(n))));
    if (cf) {
      const captchaField = cf.texts.find((n) => /captcha|code|answer|result|human|verif/i.test(n)) ?? (cf.texts[0] as string);
      const captchaImage = cf.images.find((s) => /captcha|challenge|verify/i.test(s)) ?? (cf.images[0] as string);
      out.page = { kind: 'anti-ddos-captcha', form: cf, captchaField, captchaImage };
      return out;
    }
    const refresh = seen.refresh ? parseRefresh(seen.refresh, baseUrl) : undefined;
    if (refresh && seen.forms.length === 0 && /queue|ddos|wait|protect|checking/i.test(seen.text)) out.page = { kind: 'queue', refreshSeconds: refresh.seconds, refreshUrl: refresh.url };
  }
  return out;
}
