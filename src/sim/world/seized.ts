import type { GenContext, IdentityPlan } from './context.ts';
import { cryptoAddress, randomBtcKind } from './crypto.ts';
import type { Rng } from './rng.ts';
import { styledText } from './style.ts';
import type { SeizedDatabase, SeizedMessage, SeizedWallet, SimAccount, SimCryptoAddress } from './types.ts';

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
  messages.sort((a, b) => a.at - b.at);
  messages.forEach((m, i) => { m.id = i + 1; });
  return { market: slug, day: ctx.timeline.seizureDay, messages, wallets };
}
