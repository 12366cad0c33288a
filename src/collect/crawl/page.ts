import { Tokenizer } from 'htmlparser2';
import { isSeizureBanner, loginFormFields, SEIZURE_WORDING_RE, type FormInputSeen } from '../../domain/index.ts';

const MAINTENANCE_RE = /\b(wallet maintenance|down for (scheduled )?maintenance|under maintenance)\b/i;

/** Pages larger than this are not parsed for links (still preserved as evidence). */
export const MAX_PARSE_BYTES = 5 * 1024 * 1024;
/** Element nesting deeper than this is marked on the capture (later stages parse such pages within their limits). */
export const MAX_NESTING = 2000;
const TEXT_CHARS = 20_000;
/** Elements that never have content (no closing tag, no nesting). */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

export interface LoginForm {
  action: string;
  method: string;
  /** Hidden inputs (CSRF token and the like), sent back as they are. */
  hidden: Record<string, string>;
  usernameField: string;
  passwordField: string;
  captchaField?: string;
  captchaImage?: string;
}

export interface PageAnalysis {
  links: string[];
  login?: LoginForm;
  seized: boolean;
  maintenance: boolean;
  /** Deepest element nesting seen (over MAX_NESTING the capture is marked; the analysis itself is not affected). */
  nesting: number;
  /** Why the page was not analysed, when it was not (too large, too slow): its links are not followed. */
  limited?: string;
}

export type LoginFieldNames = Partial<Record<'username' | 'password' | 'captcha' | 'csrf', string>>;

/**
 * UTF-8 decoding that keeps invalid bytes: each byte of an invalid sequence becomes U+DC80+byte (a lone surrogate,
 * which no HTML text or entity can produce), so a link's raw bytes can be percent-encoded exactly as sent.
 */
export function decodeKeepingBytes(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len > 0 && i + len <= bytes.length) {
      const seq = bytes.subarray(i, i + len);
      if (isUtf8(seq)) {
        out += seq.toString('utf8');
        i += len;
        continue;
      }
    }
    out += String.fromCharCode(0xdc00 + b);
    i++;
  }
  return out;
}

function isUtf8(b: Buffer): boolean {
  return (Buffer as unknown as { isUtf8?: (x: Buffer) => boolean }).isUtf8?.(b) ?? !b.toString('utf8').includes('\ufffd');
}

/** A link target as the page wrote it: kept bytes percent-encoded, then resolved; undefined when not a URL. */
export function resolveHref(href: string, base: string): string | undefined {
  const raw = href.trim().replace(/[\udc80-\udcff]/g, (c) => `%${(c.charCodeAt(0) - 0xdc00).toString(16).toUpperCase().padStart(2, '0')}`);
  try {
    const u = new URL(raw, base);
    u.hash = '';
    return u.toString();
  } catch {
    return undefined;
  }
}

interface FormSeen {
  action: string | undefined;
  method: string | undefined;
  inputs: Array<FormInputSeen & { value: string }>;
  images: Array<{ src: string; alt: string }>;
}

/**
 * What the crawler needs from a page — nothing more: links to follow, a login form (with its CSRF token and
 * CAPTCHA), a seizure banner. One streaming pass (htmlparser2's tokenizer, no DOM, no recursion): time linear in
 * the bytes and memory bounded whatever the nesting. Extraction of content is the extract stage's job.
 */
export function analysePage(body: Buffer, baseUrl: string, fields?: LoginFieldNames): PageAnalysis {
  if (body.length > MAX_PARSE_BYTES) {
    const head = decodeKeepingBytes(body.subarray(0, 20_000));
    // Too large to parse: a seizure splash is never this large, so only a title announcing it counts.
    const title = /<title[^>]*>([^<]{0,1000})/i.exec(head)?.[1] ?? '';
    return { links: [], seized: SEIZURE_WORDING_RE.test(title) && /<h[1-3][^>]*>[^<]{0,200}seized/i.test(head), maintenance: false, nesting: 0, limited: `page of ${body.length} bytes is over ${MAX_PARSE_BYTES}: links not followed` };
  }
  const links = new Set<string>();
  const forms: FormSeen[] = [];
  let form: FormSeen | undefined;
  let depth = 0;
  let deepest = 0;
  let quiet = 0; // inside head/script/style/template: text is not page text
  let text = '';
  let textLength = 0;
  // Where a seizure banner would be: the title, headings, image alt text (domain/seizure.ts).
  let title = '';
  let inTitle = 0;
  let headings = '';
  let inHeading = 0;
  let imageAlts = '';
  let anchorCount = 0;
  const html = decodeKeepingBytes(body);
  // htmlparser2's Tokenizer, not its Parser: the Parser keeps open elements in an array it unshifts and searches
  // from the front, which is quadratic in the nesting (100,000 nested divs: minutes). Here nesting is a counter.
  let tag = '';
  let attribs: Record<string, string> = {};
  let attrName = '';
  let attrValue = '';
  const open = () => {
    const a = attribs;
    if (tag === 'head' || tag === 'script' || tag === 'style' || tag === 'template') quiet++;
    if (tag === 'title') inTitle++;
    if (tag === 'h1' || tag === 'h2' || tag === 'h3') {
      inHeading++;
      if (headings.length < 4000) headings += ' \n ';
    }
    if (tag === 'img' && imageAlts.length < 4000) imageAlts += ` ${a.alt ?? ''} ${a.title ?? ''}`;
    if (tag === 'a' && a.href !== undefined) anchorCount++;
    if (tag === 'a' && a.href !== undefined) {
      const u = resolveHref(a.href, baseUrl);
      if (u) links.add(u);
    } else if (tag === 'form') {
      form = { action: a.action, method: a.method, inputs: [], images: [] };
      forms.push(form);
    } else if (tag === 'input' && form) {
      form.inputs.push({ name: a.name ?? '', type: (a.type ?? '').toLowerCase(), value: a.value ?? '', id: a.id, placeholder: a.placeholder, title: a.title, style: a.style });
    } else if (tag === 'img' && form) {
      form.images.push({ src: a.src ?? '', alt: a.alt ?? '' });
    }
  };
  const close = (name: string) => {
    if (VOID.has(name)) return;
    depth = Math.max(0, depth - 1);
    if (name === 'head' || name === 'script' || name === 'style' || name === 'template') quiet = Math.max(0, quiet - 1);
    if (name === 'form') form = undefined;
    if (name === 'title') inTitle = Math.max(0, inTitle - 1);
    if (name === 'h1' || name === 'h2' || name === 'h3') inHeading = Math.max(0, inHeading - 1);
  };
  const addText = (t: string) => {
    if (inTitle > 0 && title.length < 1000) title += t;
    if (quiet !== 0) return;
    if (inHeading > 0 && headings.length < 4000) headings += t;
    if (textLength <= 100_000) textLength += t.replace(/\s+/g, ' ').trim().length;
    if (text.length < TEXT_CHARS) text += t;
  };
  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname(start, end) {
        tag = html.slice(start, end).toLowerCase();
        attribs = {};
      },
      onattribname(start, end) {
        attrName = html.slice(start, end).toLowerCase();
        attrValue = '';
      },
      onattribdata(start, end) {
        attrValue += html.slice(start, end);
      },
      onattribentity(cp) {
        attrValue += String.fromCodePoint(cp);
      },
      onattribend() {
        if (!Object.hasOwn(attribs, attrName)) attribs[attrName] = attrValue;
      },
      onopentagend() {
        open();
        if (!VOID.has(tag)) {
          depth++;
          if (depth > deepest) deepest = depth;
        }
      },
      onselfclosingtag() {
        open();
        if (tag === 'head' || tag === 'script' || tag === 'style' || tag === 'template') quiet = Math.max(0, quiet - 1);
        if (tag === 'form') form = undefined;
      },
      onclosetag(start, end) {
        close(html.slice(start, end).toLowerCase());
      },
      ontext(start, end) {
        addText(html.slice(start, end));
      },
      ontextentity(cp) {
        addText(String.fromCodePoint(cp));
      },
      oncdata() {},
      oncomment() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {},
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  text = text.slice(0, TEXT_CHARS);
  const login = loginForm(forms, baseUrl, fields);
  return {
    links: [...links],
    login,
    seized: isSeizureBanner({ title, headings, imageAlts, text, textLength, links: anchorCount }),
    maintenance: MAINTENANCE_RE.test(text),
    nesting: deepest,
  };
}

/** The first login form (the domain rule, src/domain/login-form.ts), read the way a person would fill it in. */
function loginForm(forms: FormSeen[], baseUrl: string, fields?: LoginFieldNames): LoginForm | undefined {
  for (const f of forms) {
    const found = loginFormFields(f.inputs, { username: fields?.username, password: fields?.password, captcha: fields?.captcha });
    if (!found) continue;
    const hidden: Record<string, string> = {};
    for (const i of f.inputs) if (i.type === 'hidden' && i.name) hidden[i.name] = i.value;
    const img = f.images.find((i) => /captcha|confirm/i.test(`${i.src} ${i.alt}`));
    return {
      action: resolveHref(f.action ?? baseUrl, baseUrl) ?? baseUrl,
      method: (f.method ?? 'post').toLowerCase(),
      hidden,
      usernameField: found.username,
      passwordField: found.password,
      captchaField: found.captcha,
      captchaImage: img ? resolveHref(img.src, baseUrl) : undefined,
    };
  }
  return undefined;
}
