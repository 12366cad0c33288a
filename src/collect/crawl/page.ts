import * as cheerio from 'cheerio';

/** Seizure splash pages (FBI/Europol/BKA/Politie style) in several languages. */
const SEIZED_RE =
  /(this (hidden )?(site|service|domain|marketplace|website) has been seized|has been seized by|seized (as part of|by the|pursuant)|beschlagnahmt|in beslag genomen)/i;
const MAINTENANCE_RE = /\b(wallet maintenance|down for (scheduled )?maintenance|under maintenance)\b/i;

/** Pages larger than this are not parsed for links (still preserved as evidence). */
const MAX_PARSE_BYTES = 5 * 1024 * 1024;

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
}

/**
 * What the crawler needs from a page — nothing more: links to follow, a login form (with its CSRF token and
 * CAPTCHA), a seizure banner. Extraction of content is the extract stage's job.
 */
export function analysePage(html: string, baseUrl: string, fields?: Partial<Record<'username' | 'password' | 'captcha' | 'csrf', string>>): PageAnalysis {
  if (html.length > MAX_PARSE_BYTES) return { links: [], seized: SEIZED_RE.test(html.slice(0, 20_000)), maintenance: false };
  const $ = cheerio.load(html);
  const text = $('body').text().slice(0, 20_000);
  const links = new Set<string>();
  $('a[href]').each((_, el) => {
    const href = $(el).attr('href');
    if (!href) return;
    try {
      const u = new URL(href, baseUrl);
      u.hash = '';
      links.add(u.toString());
    } catch {
      /* malformed href: ignore */
    }
  });
  let login: LoginForm | undefined;
  const pw = $('form input[type="password" i]').first();
  if (pw.length) {
    const form = pw.closest('form');
    const hidden: Record<string, string> = {};
    form.find('input[type="hidden" i]').each((_, el) => {
      const name = $(el).attr('name');
      if (name) hidden[name] = $(el).attr('value') ?? '';
    });
    const texts = form
      .find('input')
      .toArray()
      .filter((el) => ['text', 'email', ''].includes(($(el).attr('type') ?? '').toLowerCase()))
      .map((el) => $(el).attr('name') ?? '')
      .filter(Boolean);
    const captchaField = fields?.captcha ?? texts.find((n) => /captcha|confirm|code|human|verif/i.test(n));
    const usernameField = fields?.username ?? texts.find((n) => n !== captchaField) ?? 'username';
    const img = form.find('img').filter((_, el) => /captcha|confirm/i.test(`${$(el).attr('src') ?? ''} ${$(el).attr('alt') ?? ''}`)).first();
    login = {
      action: new URL(form.attr('action') ?? baseUrl, baseUrl).toString(),
      method: (form.attr('method') ?? 'post').toLowerCase(),
      hidden,
      usernameField,
      passwordField: fields?.password ?? pw.attr('name') ?? 'password',
      captchaField,
      captchaImage: img.length ? new URL(img.attr('src') ?? '', baseUrl).toString() : undefined,
    };
  }
  return { links: [...links], login, seized: SEIZED_RE.test(text), maintenance: MAINTENANCE_RE.test(text) };
}
