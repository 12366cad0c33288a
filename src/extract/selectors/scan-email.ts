/**
 * E-mail addresses (plain and obfuscated: `name [at] domain [dot] com`, `name(at)proton.me`) and
 * Jabber/XMPP ids, which look the same: an address is a JID when the nearest label before it says
 * jabber/xmpp, when it is written as an `xmpp:` URI, or when its server is a known XMPP-only server.
 */
import type { ScanContext } from './scan-context.ts';
import { normalizeSelector } from '../../domain/index.ts';

const AT = String.raw`(?:@|＠|[^\S\n]{0,2}[\[({<][^\S\n]{0,2}(?:at|AT|At|@)[^\S\n]{0,2}[\])}>][^\S\n]{0,2})`;
const DOT = String.raw`(?:\.|[^\S\n]{0,2}[\[({<][^\S\n]{0,2}(?:dot|DOT|Dot|\.)[^\S\n]{0,2}[\])}>][^\S\n]{0,2})`;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const EMAIL_CANDIDATE = new RegExp(
  String.raw`(?<![A-Za-z0-9._%+\-/])(xmpp:)?([A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?)${AT}(${LABEL}(?:${DOT}${LABEL}){1,6})(?![A-Za-z0-9_\-]|\.[A-Za-z0-9])`,
  'g',
);

// File extensions that follow "@2x" image names and similar non-addresses.
const NOT_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'bmp', 'ico', 'css', 'js', 'html', 'htm', 'php', 'asp', 'aspx', 'json', 'xml', 'txt', 'pdf', 'zip', 'exe', 'mp4', 'mp3']);

/** Servers that offer XMPP accounts and no mailboxes, plus any host whose first label is jabber/xmpp. */
const XMPP_SERVERS = new Set([
  'jabber.ccc.de', 'jabber.org', 'jabber.de', 'jabber.ru', 'jabber.at', 'jabber.cz', 'jabber.fr', 'jabber.sk',
  'jabber.calyxinstitute.org', 'jabber.systemausfall.org', 'jabber.hot-chilli.net', 'jabber.otr.im',
  'xmpp.jp', 'xmpp.is', 'xmpp.zone', 'xmpp.ru', 'xmpp.earth', 'exploit.im', '404.city', 'conversations.im',
  'jabb.im', 'creep.im', 'blah.im', 'jabbim.com', 'jabbim.cz', 'jabbim.sk', 'dukgo.com', 'draugr.de',
  'xabber.org', 'yax.im', 'trashserver.net', 'jabberes.org', 'jabber.cat', 'jabber.hot-chilli.eu',
  'wiuwiu.de', 'im.koderoot.net', 'thesecure.biz', 'sure.im', 'jabber.lqdn.fr', 'chatterboxtown.us',
  'jabber.se', 'xmpp.se', 'jabbers.one', 'jabber.fr', 'macaw.me', 'movim.eu', 'tchncs.de', 'magicbroccoli.de',
]);

const JABBER_LABEL = /\b(jabber|xmpp|jid|omemo|otr)\b/g;
const EMAIL_LABEL = /\b(e-?mail|mail|mailto|contact)\b/g;

export interface EmailParts {
  local: string;
  domain: string;
}

export function validateEmailParts(local: string, domain: string): boolean {
  if (local.length > 64 || domain.length > 253) return false;
  if (local.startsWith('.') || local.endsWith('.') || local.includes('..')) return false;
  if (!/[A-Za-z0-9]/.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  const tld = (labels[labels.length - 1] as string).toLowerCase();
  if (!/^[a-z]{2,24}$/.test(tld) && !/^xn--[a-z0-9-]{2,20}$/.test(tld)) return false;
  if (NOT_TLDS.has(tld)) return false;
  return true;
}

export function isXmppServer(domain: string): boolean {
  const d = domain.toLowerCase();
  return XMPP_SERVERS.has(d) || /^(?:jabber|xmpp)\./.test(d);
}

function lastIndexOfRe(re: RegExp, s: string): number {
  re.lastIndex = 0;
  let last = -1;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) last = m.index;
  return last;
}

export function scanEmails(ctx: ScanContext): void {
  if (!ctx.wants('email') && !ctx.wants('jabber')) return;
  ctx.each(EMAIL_CANDIDATE, (m) => {
    const uri = m[1] !== undefined;
    const local = m[2] as string;
    const rawDomain = m[3] as string;
    const domain = rawDomain.replace(new RegExp(DOT, 'g'), '.');
    if (!validateEmailParts(local, domain)) return;
    const obfuscated = !/[^\s[({<]@[^\s\])}>]/.test(m[0]) || domain !== rawDomain;
    const address = `${local}@${domain}`;
    const start = m.index;
    const end = m.index + m[0].length;

    const before = ctx.before(start, 40);
    const jabberAt = lastIndexOfRe(JABBER_LABEL, before);
    const emailAt = lastIndexOfRe(EMAIL_LABEL, before);
    const labelledJabber = jabberAt >= 0 && jabberAt > emailAt;
    if (uri || labelledJabber || isXmppServer(domain)) {
      const via = uri ? 'uri' : labelledJabber ? 'label' : 'server';
      ctx.emit({ kind: 'jabber', start, end, value: normalizeSelector('jabber', address), meta: { via } });
      return;
    }
    ctx.emit({ kind: 'email', start, end, value: normalizeSelector('email', address), meta: obfuscated ? { obfuscated: true, source: 'text' } : { source: 'text' } });
  });
}
