import { addAlias, pickAliasKind, type AccountFactory } from './accounts.ts';
import type { GenContext, IdentityPlan } from './context.ts';
import { pad } from './context.ts';
import { randomContacts } from './identities.ts';
import { dayToUnix } from './rates.ts';
import type { Rng } from './rng.ts';
import { styledText } from './style.ts';
import type { SimAccount, SimBuyer, SimChannel, SimMarket, SimMessage, SimTextPart } from './types.ts';

const GROUP_NAMES = ['EU Plug Network', 'Dark Deals UK', 'Vendors Lounge', 'Green Corner', 'Pharma Exchange',
  'Night Shift Connect', 'Dutch Direct', 'Aussie Drops', 'Candy Shop Group', 'Underground Bazaar'];
const SAME_NAME = new Set(['same-name-same-key', 'same-name-other-key']);
const SAME_KEY = new Set(['same-name-same-key', 'other-name-same-key']);

interface ChannelPlan {
  channel: SimChannel;
  members: Array<{ plan: IdentityPlan; account: SimAccount }>;
  buyers: SimBuyer[];
}

function channelOpenDay(rng: Rng, plan: IdentityPlan, days: number): number {
  const anchor = plan.accounts[0] as SimAccount;
  return Math.min(days - 20, Math.max(anchor.openDay, -60) + rng.int(0, Math.floor(days / 3)));
}

/** A channel account for the identity; gives it fresh contacts when its alias kind must not share the anchor's. */
function channelAccount(ctx: GenContext, f: AccountFactory, plan: IdentityPlan, channelId: string, rng: Rng):
  SimAccount | undefined {
  const kind = pickAliasKind(rng, [35, 10, 5, 25, 25]);
  const acc = addAlias(ctx, f, plan, kind, { channel: channelId, openDay: channelOpenDay(rng, plan, ctx.days) }, rng)
    ?? addAlias(ctx, f, plan, 'style-only', { channel: channelId, openDay: channelOpenDay(rng, plan, ctx.days) }, rng);
  if (!acc) return undefined;
  if (acc.shownContacts.length === 0) {
    if (SAME_NAME.has(kind) || SAME_KEY.has(kind)) acc.shownContacts = plan.identity.contacts.slice();
    if (acc.shownContacts.length === 0) {
      const fresh = randomContacts(rng, acc.handle, rng.int(1, 2));
      plan.identity.contacts.push(...fresh);
      acc.shownContacts = fresh;
    }
  }
  return acc;
}

/** Telegram channels (one vendor) and groups (several vendors and buyers), each vendor present as an alias account. */
export function makeChannels(ctx: GenContext, f: AccountFactory): ChannelPlan[] {
  const rng = ctx.rng.fork('channels');
  const owners = Math.max(1, Math.round((ctx.p.channels * 2) / 3));
  const groups = Math.max(1, ctx.p.channels - owners);
  const byVolume = ctx.plans.slice().sort((a, b) => b.identity.volume - a.identity.volume || (a.identity.id < b.identity.id ? -1 : 1));
  const top = byVolume.slice(0, Math.max(owners * 3, 10));
  const ownerPlans = rng.sample(top, owners);
  const out: ChannelPlan[] = [];
  let n = 0;
  const usedIds = new Set<number>();
  const numericId = () => {
    let id = rng.int(1_000_000_000, 2_000_000_000);
    while (usedIds.has(id)) id = rng.int(1_000_000_000, 2_000_000_000);
    usedIds.add(id);
    return id;
  };
  for (const plan of ownerPlans) {
    const id = `tg-${pad(++n, 3)}`;
    const acc = channelAccount(ctx, f, plan, id, rng.fork(id));
    if (!acc) continue;
    const name = SAME_NAME.has(acc.aliasKind) ? `${acc.handle} ${rng.pick(['Official', 'Shop', 'Menu', 'Updates'])}` : acc.handle;
    const channel: SimChannel = { id, numericId: numericId(), name, type: 'public_channel', platform: 'telegram', ownerAccountId: acc.id };
    ctx.channels.push(channel);
    out.push({ channel, members: [{ plan, account: acc }], buyers: [] });
  }
  for (let g = 0; g < groups; g++) {
    const id = `tg-${pad(++n, 3)}`;
    const gr = rng.fork(id);
    const channel: SimChannel = { id, numericId: numericId(), name: `${GROUP_NAMES[g % GROUP_NAMES.length]}${g >= GROUP_NAMES.length ? ` ${g}` : ''}`,
      type: 'public_supergroup', platform: 'telegram' };
    const members: ChannelPlan['members'] = [];
    for (const plan of gr.sample(ctx.plans, Math.min(ctx.plans.length, gr.int(3, 7)))) {
      const acc = channelAccount(ctx, f, plan, id, gr);
      if (acc) members.push({ plan, account: acc });
    }
    ctx.channels.push(channel);
    out.push({ channel, members, buyers: [] });
  }
  return out;
}

function fingerprintGroups(fp: string): string {
  return fp.match(/.{4}/g)?.join(' ') ?? fp;
}

function plain(text: string): SimTextPart {
  return { type: 'plain', text };
}

/** Splits '@handles' and onion links out of plain text as Telegram's entity parser would. */
function entities(text: string): SimTextPart[] {
  const parts: SimTextPart[] = [];
  const re = /(@[A-Za-z0-9_]{4,32})|(https?:\/\/[a-z2-7]{56}\.onion\/?\S*)|(#[a-z]{3,20})/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push(plain(text.slice(last, m.index)));
    parts.push({ type: m[1] ? 'mention' : m[2] ? 'link' : 'hashtag', text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(plain(text.slice(last)));
  return parts;
}

function vendorPost(rng: Rng, plan: IdentityPlan, acc: SimAccount, markets: SimMarket[]): SimTextPart[] {
  const style = plan.identity.style;
  const kinds = ['menu', 'contact', 'payment', 'chatter'];
  const w = [30, 20, 15, 20];
  if (acc.pgpKeys.length > 0 && (SAME_KEY.has(acc.aliasKind) || acc.aliasKind === 'same-name-other-key')) { kinds.push('pgp'); w.push(10); }
  if (SAME_NAME.has(acc.aliasKind)) { kinds.push('market'); w.push(8); }
  const kind = rng.weighted(kinds, w);
  const parts: SimTextPart[] = [];
  switch (kind) {
    case 'menu': {
      parts.push({ type: 'bold', text: rng.pick(['MENU', 'PRICE LIST', 'Todays menu', 'IN STOCK']) }, plain('\n'));
      for (const spec of rng.sample(plan.specs, Math.min(plan.specs.length, rng.int(2, 5)))) {
        const q = rng.pick(spec.quantities);
        const unit = rng.float(spec.unitPrice[0], spec.unitPrice[1]) * plan.priceLevel;
        const price = Math.round(unit * q * (q / (spec.quantities[0] as number)) ** -0.12);
        parts.push(plain(`${style.bullet} ${rng.pick(spec.names)} ${q}${spec.unit === 'g' || spec.unit === 'mg' ? spec.unit : ' ' + spec.unit} - $${price}\n`));
      }
      parts.push(...entities(styledText(style, rng, ['dm to order'], { greeting: false })));
      if (rng.chance(0.4)) parts.push(plain(' '), { type: 'hashtag', text: '#menu' });
      break;
    }
    case 'contact': {
      parts.push(...entities(styledText(style, rng, [rng.pick(['contact me here', 'new contacts below', 'reach me on'])], { signOff: false })), plain('\n'));
      for (const c of acc.shownContacts) {
        parts.push(plain(`${c.platform === 'telegram' ? 'Telegram' : c.platform.charAt(0).toUpperCase() + c.platform.slice(1)}: `));
        parts.push(c.platform === 'telegram' ? { type: 'mention', text: c.handle } : plain(c.handle), plain('\n'));
      }
      break;
    }
    case 'payment': {
      parts.push(...entities(styledText(style, rng, [rng.pick(['payment for direct orders', 'send payment to', 'we accept crypto only'])], { greeting: false, signOff: false })), plain('\n'));
      for (const a of acc.shownCrypto) {
        parts.push(plain(a.startsWith('4') && a.length === 95 ? 'XMR: ' : 'BTC: '), rng.chance(0.5) ? { type: 'code', text: a } : plain(a), plain('\n'));
      }
      break;
    }
    case 'pgp': {
      const k = acc.pgpKeys[acc.pgpKeys.length - 1];
      parts.push({ type: 'bold', text: 'PGP' }, plain(` fingerprint: ${fingerprintGroups(k?.fingerprint ?? '')}\n`));
      parts.push(...entities(styledText(style, rng, ['always verify my key'], { greeting: false })));
      break;
    }
    case 'market': {
      const anchor = plan.accounts[0] as SimAccount;
      const m = markets.find((x) => x.slug === anchor.market) ?? rng.pick(markets);
      parts.push(...entities(styledText(style, rng, [`also find me on ${m.name} as ${anchor.handle}`], { signOff: false })), plain('\n'));
      parts.push({ type: 'link', text: `http://${m.onion}/` });
      break;
    }
    default:
      parts.push(...entities(styledText(style, rng, [rng.pick(['restocked everything', 'shipping delayed one day, sorry',
        'new batch landed today', 'holiday break next week, order now', 'thanks for all the orders this week',
        'prices dropped on bulk'])])));
  }
  return parts;
}

const BUYER_LINES = ['anyone got {s} shipping to {c}?', 'is {h} legit?', 'ordered from {h}, waiting', 'vouch for {h}, great stuff',
  'who has the best {s} right now', 'looking for {s} in {c}', 'scammed by someone here, careful'];

/** Messages over the simulation: vendors post menus, contacts, payment addresses; buyers ask in groups. */
export function makeMessages(ctx: GenContext, plans: ChannelPlan[]): void {
  const cap = Math.max(200, Math.min(2000, Math.round(ctx.days * 2)));
  for (const cp of plans) {
    const rng = ctx.rng.fork(`messages/${cp.channel.id}`);
    const msgs: SimMessage[] = [];
    for (const { plan, account } of cp.members) {
      const end = Math.min(account.closeDay ?? ctx.days - 1, ctx.days - 1);
      const every = cp.channel.type === 'public_channel' ? [1, 4] : [3, 9];
      for (let d = Math.max(account.openDay, 0); d <= end && msgs.length < cap; d += rng.int(every[0] as number, every[1] as number)) {
        msgs.push({ id: 0, channelId: cp.channel.id, accountId: account.id, at: dayToUnix(d) + rng.int(8 * 3600, 23 * 3600),
          parts: vendorPost(rng, plan, account, ctx.markets) });
      }
    }
    if (cp.channel.type === 'public_supergroup' && cp.members.length > 0) {
      const buyers = rng.sample(ctx.buyers, 30);
      const count = Math.min(cap, Math.floor(ctx.days * 1.5));
      for (let i = 0; i < count && buyers.length > 0; i++) {
        const b = rng.pick(buyers);
        const member = rng.pick(cp.members);
        const tg = member.account.shownContacts.find((c) => c.platform === 'telegram');
        const line = rng.pick(BUYER_LINES).replace('{s}', rng.pick(member.plan.identity.substances))
          .replace('{c}', b.country).replace('{h}', tg ? tg.handle : member.account.handle);
        msgs.push({ id: 0, channelId: cp.channel.id, buyerId: b.id, at: dayToUnix(rng.int(0, ctx.days - 1)) + rng.int(0, 86_399),
          parts: entities(line) });
      }
    }
    msgs.sort((a, b) => a.at - b.at);
    msgs.forEach((m, i) => { m.id = i + 1; });
    ctx.messages.push(...msgs);
  }
}
