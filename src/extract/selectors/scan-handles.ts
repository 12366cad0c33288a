/**
 * Messenger handles. Only Session ids have a self-identifying format; every other handle needs a link
 * (t.me/…, threema.id/…) or a label (`telegram:`, `wickr me -`, `signal:`), and words that are
 * labels' usual filler ("contact", "soon", "only") are never taken as handles.
 */
import type { ScanContext } from './scan-context.ts';

// Filler allowed between a label and its handle: "telegram id: @x", "wickr me - x", "telegram (username) x".
const FILL = String.raw`(?:[^\S\n]{0,3}(?:(?:id|user(?:name)?|handle|contact|account|name|me|at|is|on|via)\b|[:=\-–—>|(\[\]),]))*?[^\S\n]{0,3}`;
const boundedFill = (re: string): string => re.replace('*?', '{0,5}');

const TELEGRAM_LINK = /(?<![\w.])(?:https?:\/\/)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)\/(?:s\/)?@?([A-Za-z][A-Za-z0-9_]{3,31})(?![A-Za-z0-9_])/gi;
const TELEGRAM_LABEL = new RegExp(
  String.raw`\b(telegram|telegramm|telega|tg)\b${boundedFill(FILL)}(@?)([A-Za-z][A-Za-z0-9_]{4,31})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])`,
  'gi',
);
const BARE_AT = /(?<![\w.@])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@]|\.[A-Za-z0-9])/g;
const TELEGRAM_AT_THEN_LABEL = /(?<![\w.@])@([A-Za-z][A-Za-z0-9_]{4,31})(?![\w@]|\.[A-Za-z0-9])[^\S\n]{0,3}(?:[([:–-]|on\b|via\b|at\b)?[^\S\n]{0,3}(?:telegram|tg)\b/gi;
const WICKR_LABEL = new RegExp(
  String.raw`\bwickr(?:[ _-]?me)?\b${boundedFill(FILL)}@?([A-Za-z0-9][A-Za-z0-9._-]{1,30}[A-Za-z0-9])(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])`,
  'gi',
);
const SESSION_ID = /(?<![0-9A-Za-z])05[0-9A-Fa-f]{64}(?![0-9A-Za-z])/g;
const SIGNAL_USERNAME = new RegExp(
  String.raw`\bsignal\b${boundedFill(FILL)}@?([A-Za-z_][A-Za-z0-9_]{2,31}\.\d{2,9})(?![A-Za-z0-9_.])`,
  'gi',
);
const THREEMA_LINK = /(?<![\w.])(?:https?:\/\/)?threema\.id\/([A-Za-z0-9*][A-Za-z0-9]{7})(?![A-Za-z0-9])/gi;
const THREEMA_LABEL = new RegExp(String.raw`\bthreema\b${boundedFill(FILL)}([A-Za-z0-9*][A-Za-z0-9]{7})(?![A-Za-z0-9_@]|\.[A-Za-z0-9])`, 'gi');

const TELEGRAM_RESERVED = new Set([
  'joinchat', 'addstickers', 'addemoji', 'addtheme', 'share', 'proxy', 'socks', 'iv', 'login', 'contact', 'setlanguage',
  'confirmphone', 'bg', 'invoice', 'boost', 'addlist', 'giftcode',
]);

/** Words that follow a messenger label without being a handle. */
const STOPWORDS = new Set([
  'only', 'soon', 'coming', 'contact', 'contacts', 'channel', 'channels', 'group', 'groups', 'please', 'message',
  'messages', 'available', 'unavailable', 'private', 'public', 'username', 'handle', 'account', 'support', 'orders',
  'order', 'later', 'request', 'below', 'above', 'profile', 'there', 'where', 'which', 'their', 'these', 'those',
  'about', 'after', 'before', 'never', 'always', 'update', 'updates', 'offline', 'online', 'down', 'closed', 'banned',
  'deleted', 'changed', 'direct', 'details', 'number', 'contactme', 'messenger', 'encrypted', 'secure', 'signal',
  'telegram', 'wickr', 'threema', 'session', 'jabber', 'email', 'phone', 'anytime', 'instead', 'required', 'using',
  'mention', 'shop', 'store', 'vendor', 'market', 'buyer', 'buyers', 'customers', 'welcome', 'official', 'beware',
  'scammers', 'scam', 'fake', 'impostor', 'clones', 'sorry', 'thanks', 'none', 'same', 'with', 'from', 'also',
  'link', 'links', 'bot', 'app', 'desktop', 'android', 'iphone', 'chat', 'chats', 'hello', 'dear', 'notice', 'sales',
  'reship', 'refund', 'tracking', 'shipping', 'stealth', 'escrow', 'finalize', 'dispute', 'feedback', 'listing',
  'here', 'this', 'that', 'have', 'will', 'does', 'unknown', 'moved', 'restock', 'https', 'http', 'www', 'use',
  'ask', 'instead', 'account', 'accounts', 'contacted', 'username', 'usernames', 'address', 'later', 'being', 'currently',
]);

function isStopword(h: string): boolean {
  return STOPWORDS.has(h.toLowerCase());
}

export function isTelegramUsername(h: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(h) && !h.endsWith('_') && !h.includes('__');
}

export function scanHandles(ctx: ScanContext): void {
  if (ctx.wants('telegram')) {
    ctx.each(TELEGRAM_LINK, (m) => {
      const h = m[1] as string;
      if (!isTelegramUsername(h) || TELEGRAM_RESERVED.has(h.toLowerCase())) return;
      ctx.emit({ kind: 'telegram', start: m.index, end: m.index + m[0].length, value: h.toLowerCase(), meta: { via: 'link' } });
    });
    const ok = (h: string): boolean =>
      h.length >= 5 && isTelegramUsername(h) && !isStopword(h) && !TELEGRAM_RESERVED.has(h.toLowerCase());
    ctx.each(TELEGRAM_LABEL, (m) => {
      const h = m[3] as string;
      const at = m[2] === '@';
      // "tg" is too short a label to trust without the @.
      if (!ok(h) || ((m[1] as string).toLowerCase() === 'tg' && !at)) return;
      const end = m.index + m[0].length;
      ctx.emit({ kind: 'telegram', start: end - h.length - (at ? 1 : 0), end, value: h.toLowerCase(), meta: { via: 'label' } });
    });
    if (ctx.opts.atHandlesAre === 'telegram') {
      ctx.each(BARE_AT, (m) => {
        const h = m[1] as string;
        if (!isTelegramUsername(h) || TELEGRAM_RESERVED.has(h.toLowerCase())) return;
        ctx.emit({ kind: 'telegram', start: m.index, end: m.index + m[0].length, value: h.toLowerCase(), meta: { via: 'source' } });
      });
    }
    ctx.each(TELEGRAM_AT_THEN_LABEL, (m) => {
      const h = m[1] as string;
      if (!ok(h)) return;
      ctx.emit({ kind: 'telegram', start: m.index, end: m.index + 1 + h.length, value: h.toLowerCase(), meta: { via: 'label' } });
    });
  }
  if (ctx.wants('wickr')) {
    ctx.each(WICKR_LABEL, (m) => {
      const h = m[1] as string;
      if (!/[A-Za-z]/.test(h) || isStopword(h) || h.length < 5) return;
      const at = m.index + m[0].length - h.length;
      ctx.emit({ kind: 'wickr', start: at, end: at + h.length, value: h.toLowerCase(), meta: { via: 'label' } });
    });
  }
  if (ctx.wants('session')) {
    ctx.each(SESSION_ID, (m) => {
      ctx.emit({ kind: 'session', start: m.index, end: m.index + m[0].length, value: m[0].toLowerCase(), meta: { via: 'format' } });
    });
  }
  if (ctx.wants('signal')) {
    ctx.each(SIGNAL_USERNAME, (m) => {
      const h = m[1] as string;
      if (isStopword(h.split('.')[0] as string)) return;
      const at = m.index + m[0].length - h.length;
      ctx.emit({ kind: 'signal', start: at, end: at + h.length, value: h.toLowerCase(), meta: { via: 'label', form: 'username' } });
    });
  }
  if (ctx.wants('threema')) {
    const emitThreema = (m: RegExpExecArray, via: 'link' | 'label'): void => {
      const id = m[1] as string;
      // Threema ids are uppercase A-Z/0-9; a lowercase word after the label needs a digit to count.
      if (id !== id.toUpperCase() && !(/\d/.test(id) && /[A-Za-z]/.test(id))) return;
      if (isStopword(id) || /^\d+$/.test(id)) return;
      const at = via === 'link' ? m.index : m.index + m[0].length - id.length;
      ctx.emit({ kind: 'threema', start: at, end: via === 'link' ? m.index + m[0].length : at + id.length, value: id.toUpperCase(), meta: { via } });
    };
    ctx.each(THREEMA_LINK, (m) => emitThreema(m, 'link'));
    ctx.each(THREEMA_LABEL, (m) => emitThreema(m, 'label'));
  }
}
