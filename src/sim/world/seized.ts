import type { GenContext, IdentityPlan } from './context.ts';
import { cryptoAddress, randomBtcKind } from './crypto.ts';
import type { Rng } from './rng.ts';
import { dayToUnix } from './rates.ts';
import { styledText } from './style.ts';
import type { SeizedDatabase, SeizedMessage, SeizedUser, SeizedWallet, SimAccount, SimCryptoAddress } from './types.ts';

const HOSTILE = [
  "'; DROP TABLE users; -- just kidding, where is my order?",
  'my path is C:\\Users\\me\\order.txt and it said "\\n" literally',
  'windows line\r\nendings\r\nhere',
  'binary junk \u0000 with a NUL and a Ctrl-Z \u001a inside',
  'tab\tseparated\tand emoji 💊🔥 and <script>alert(1)</script>',
];

const BUYER_OPENERS = ['hi, just placed an order, address is encrypted', 'hello, when will you ship?',
  'hey can you do a bulk deal?', 'ordered yesterday, any update?', "hi it's my second order, can I get a discount?",
  'hello, do you ship to {c}?', 'package arrived, thanks!'];
const VENDOR_REPLIES = ['thanks for your order', 'shipped today', 'will ship tomorrow morning', 'yes we ship there',
  'bulk is possible, tell me the amount', 'tracking is not available sorry', 'your order is on the way'];

/**
 * The database police find on the seized market's server: the market's tables come from the world (accounts,
 * listings, sales, buyers); this adds what only the server knows — private messages and wallet addresses,
 * including vendors' cash-out addresses and contact handles slipped into private messages.
 */
const BCRYPT_CHARS = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function bcryptLike(rng: Rng): string {
  let s = '$2y$10$';
  const bytes = rng.bytes(53);
  for (const b of bytes) s += BCRYPT_CHARS[b & 63];
  return s;
}

/** Users of the seized market: vendors first (as the market's founders recruited them), then buyers. */
function seizedUsers(ctx: GenContext, rng: Rng, slug: string): SeizedUser[] {
  const seizure = dayToUnix(ctx.timeline.seizureDay);
  const market = ctx.markets.find((m) => m.slug === slug);
  const firstDay = market?.openDay ?? -365;
  const users: SeizedUser[] = [];
  const lastOrder = new Map<string, number>();
  for (const s of ctx.sales) if (s.market === slug) lastOrder.set(s.buyerId, s.at);
  for (const a of ctx.accounts) {
    if (a.market !== slug) continue;
    const createdAt = dayToUnix(a.openDay) + rng.int(0, 86_399);
    users.push({ userId: users.length + 1, worldId: a.id, username: a.handle, role: 'vendor', createdAt,
      lastLogin: Math.max(createdAt, seizure - rng.int(60, 3 * 86_400)), passwordHash: bcryptLike(rng) });
  }
  for (const b of ctx.buyers) {
    if (!b.markets.includes(slug)) continue;
    const createdAt = dayToUnix(rng.int(Math.max(firstDay, -400), Math.max(firstDay, ctx.timeline.seizureDay - 1))) + rng.int(0, 86_399);
    const last = lastOrder.get(b.id);
    const lastLogin = Math.min(seizure, Math.max(createdAt, last ?? createdAt) + rng.int(0, 5 * 86_400));
    users.push({ userId: users.length + 1, worldId: b.id, username: b.handle, role: 'buyer', createdAt, lastLogin,
      passwordHash: bcryptLike(rng) });
  }
  return users;
}

export function makeSeized(ctx: GenContext): SeizedDatabase {
  const slug = ctx.timeline.seizedMarket;
  const rng = ctx.rng.fork(`seized/${slug}`);
  const plans = new Map<string, IdentityPlan>(ctx.plans.map((p) => [p.identity.id, p]));
  const accounts = new Map<string, SimAccount>(ctx.accounts.map((a) => [a.id, a]));
  const messages: SeizedMessage[] = [];
  const sales = ctx.sales.filter((s) => s.market === slug);
  const limit = 50_000;
  for (const s of sales) {
    if (messages.length >= limit || !rng.chance(0.2)) continue;
    const acc = accounts.get(s.accountId) as SimAccount;
    const plan = plans.get(acc.identityId) as IdentityPlan;
    messages.push({ id: messages.length + 1, fromBuyerId: s.buyerId, toAccountId: acc.id, at: s.at + rng.int(60, 7200),
      subject: `Order #${s.id.slice(1)}`, body: rng.pick(BUYER_OPENERS).replace('{c}', s.buyerCountry) });
    const sentences = [rng.pick(VENDOR_REPLIES)];
    const leak = rng.next();
    const contact = plan.identity.contacts[0];
    if (leak < 0.08 && contact) sentences.push(`for next time add me on ${contact.platform}: ${contact.handle}`);
    else if (leak < 0.12) sentences.push(`for direct deals send to ${plan.cashout.address}`);
    messages.push({ id: messages.length + 1, fromAccountId: acc.id, toBuyerId: s.buyerId, at: s.at + rng.int(7200, 86_400),
      subject: `Re: Order #${s.id.slice(1)}`, body: styledText(plan.identity.style, rng, sentences) });
  }
  const wallets: SeizedWallet[] = [];
  const balance = (r: Rng) => Math.round(r.logNormal(40, 1.2) * 100) / 100;
  for (const b of ctx.buyers) {
    if (!b.markets.includes(slug)) continue;
    wallets.push({ ownerId: b.id, purpose: 'deposit', ...cryptoAddress(rng, randomBtcKind(rng)), balanceUsd: balance(rng) });
  }
  for (const acc of ctx.accounts) {
    if (acc.market !== slug) continue;
    const plan = plans.get(acc.identityId) as IdentityPlan;
    const own = (ctx.accountAddrs.get(acc.id) ?? [])[0] as SimCryptoAddress | undefined;
    if (own) wallets.push({ ownerId: acc.id, purpose: 'deposit', ...own, balanceUsd: balance(rng) * 10 });
    wallets.push({ ownerId: acc.id, purpose: 'withdrawal', ...plan.cashout, balanceUsd: 0 });
  }
  // Pasted junk that every importer must survive: quotes, backslashes, NUL, Ctrl-Z, CR LF, an injection attempt.
  const buyersHere = ctx.buyers.filter((b) => b.markets.includes(slug));
  const vendorsHere = ctx.accounts.filter((a) => a.market === slug);
  const seizure = dayToUnix(ctx.timeline.seizureDay);
  HOSTILE.forEach((body, i) => {
    const b = buyersHere[i % Math.max(1, buyersHere.length)];
    const v = vendorsHere[i % Math.max(1, vendorsHere.length)];
    if (b && v) messages.push({ id: 0, fromBuyerId: b.id, toAccountId: v.id, at: seizure - 3600 * (i + 1), subject: `re: "problem" it's ${i}`, body });
  });
  messages.sort((a, b) => a.at - b.at);
  messages.forEach((m, i) => { m.id = i + 1; });
  const users = seizedUsers(ctx, rng, slug);
  return { market: slug, day: ctx.timeline.seizureDay, users, messages, wallets };
}
