import type { GenContext, IdentityPlan } from './context.ts';
import { pad } from './context.ts';
import { cryptoAddress, randomBtcKind } from './crypto.ts';
import { makeKey, volumePicker } from './identities.ts';
import { marketOpen } from './markets.ts';
import { vendorHandle } from './names.ts';
import type { Rng } from './rng.ts';
import type { AliasKind, ShownKey, SimAccount, SimCryptoAddress, SimMarket } from './types.ts';

export type AliasOnlyKind = Exclude<AliasKind, 'unique' | 'anchor'>;
export const ALIAS_ONLY_KINDS: readonly AliasOnlyKind[] = [
  'same-name-same-key', 'other-name-same-key', 'same-name-other-key', 'shared-crypto', 'style-only',
];

const SAME_NAME = new Set<AliasKind>(['same-name-same-key', 'same-name-other-key']);
const SAME_KEY = new Set<AliasKind>(['same-name-same-key', 'other-name-same-key']);

/** Per-market sets of taken handles (case-insensitive), so one market never shows two vendors with one name. */
class HandleBook {
  private readonly taken = new Map<string, Set<string>>();
  isFree(venue: string, handle: string): boolean {
    return !this.taken.get(venue)?.has(handle.toLowerCase());
  }
  take(venue: string, handle: string): void {
    let s = this.taken.get(venue);
    if (!s) this.taken.set(venue, (s = new Set()));
    s.add(handle.toLowerCase());
  }
}

export interface AccountFactory {
  book: HandleBook;
  next: number;
}

export function newFactory(): AccountFactory {
  return { book: new HandleBook(), next: 1 };
}

/** The main key chain shown by an account during its life (a rotation switches keys mid-way). */
function chainKeys(plan: IdentityPlan, open: number, close: number | undefined): ShownKey[] {
  const out: ShownKey[] = [];
  for (const i of plan.mainKeys) {
    const k = plan.identity.pgpKeys[i];
    if (!k) continue;
    if ((k.toDay ?? Infinity) < open || k.fromDay > (close ?? Infinity)) continue;
    const shown: ShownKey = { fingerprint: k.fingerprint, fromDay: Math.max(k.fromDay, open) };
    if (k.toDay !== undefined && (close === undefined || k.toDay < close)) shown.toDay = k.toDay;
    out.push(shown);
  }
  return out;
}

function ownAddresses(plan: IdentityPlan, rng: Rng, market: SimMarket | undefined): SimCryptoAddress[] {
  const addrs = [cryptoAddress(rng, randomBtcKind(rng))];
  if (market?.currency === 'XMR' || rng.chance(0.4)) addrs.push(cryptoAddress(rng, 'xmr'));
  plan.identity.crypto.push(...addrs);
  return addrs;
}

function freshHandle(f: AccountFactory, plan: IdentityPlan, rng: Rng, venue: string): string {
  const own = new Set(plan.accounts.map((a) => a.handle.toLowerCase()));
  own.add(plan.baseHandle.toLowerCase());
  for (let i = 0; i < 50; i++) {
    const h = vendorHandle(rng);
    if (!own.has(h.toLowerCase()) && f.book.isFree(venue, h)) return h;
  }
  return `${vendorHandle(rng)}${rng.int(1000, 9999)}`;
}

function createAccount(ctx: GenContext, f: AccountFactory, plan: IdentityPlan, a: Omit<SimAccount, 'id' | 'identityId' |
  'profileText' | 'level'>): SimAccount {
  const acc: SimAccount = { id: `A${pad(f.next++, 6)}`, identityId: plan.identity.id, profileText: '',
    level: Math.min(10, 1 + Math.floor(Math.log2(1 + plan.identity.volume * 3))), ...a };
  f.book.take(acc.market ?? `channel:${acc.channel}`, acc.handle);
  ctx.accounts.push(acc);
  plan.accounts.push(acc);
  return acc;
}

/** Every identity's first account, on a market weighted by size. */
export function makeAnchors(ctx: GenContext, f: AccountFactory): void {
  const { markets, days, timeline } = ctx;
  const weights = markets.map((m) => ctx.marketWeight.get(m.slug) ?? 1);
  for (const plan of ctx.plans) {
    const rng = plan.rng.fork('anchor');
    let market = rng.weighted(markets, weights);
    // A vendor whose key rotates must be visibly active across the rotation day, on a market that is up then.
    const rotation = plan.mainKeys.length > 1 ? plan.identity.pgpKeys[plan.mainKeys[1] as number]?.fromDay : undefined;
    if (rotation !== undefined && !(market.openDay < rotation - 20 && (market.closeDay ?? Infinity) > rotation + 20)) {
      market = markets[0] as SimMarket;
    }
    let openDay: number;
    if (market.slug === timeline.launchMarket) openDay = market.openDay + rng.int(0, 25);
    else if (rng.chance(0.15)) openDay = rng.int(5, Math.floor(days * 0.7));
    else openDay = Math.max(market.openDay + 7, -rng.int(0, 500));
    if (market.closeDay !== undefined) openDay = Math.min(openDay, market.closeDay - 20);
    if (rotation !== undefined) openDay = Math.min(openDay, rotation - 20);
    let closeDay = market.closeDay;
    if (closeDay === undefined && rng.chance(0.06)) {
      const q = rng.int(openDay + 30, days + 200);
      if (q < days - 1 && q > 0 && (rotation === undefined || q > rotation + 20)) closeDay = q;
    }
    let handle = plan.baseHandle;
    while (!f.book.isFree(market.slug, handle)) handle = `${plan.baseHandle}${rng.int(1, 99)}`;
    const addrs = ownAddresses(plan, rng, market);
    const acc = createAccount(ctx, f, plan, {
      market: market.slug, channel: null, handle,
      pgpKeys: chainKeys(plan, openDay, closeDay),
      shownCrypto: rng.chance(0.25) ? [(addrs[0] as SimCryptoAddress).address] : [],
      shownContacts: rng.chance(0.6) ? plan.identity.contacts.slice() : [],
      openDay, ...(closeDay !== undefined ? { closeDay } : {}), aliasKind: 'unique',
    });
    ctx.accountAddrs.set(acc.id, addrs);
  }
}

export interface AliasTarget {
  market?: SimMarket;
  channel?: string;
  openDay: number;
}

/**
 * Adds an alias account of `kind` for the identity; returns undefined when the kind cannot be honoured there
 * (e.g. the same handle is taken on that market by another vendor).
 */
export function addAlias(ctx: GenContext, f: AccountFactory, plan: IdentityPlan, kind: AliasOnlyKind,
  target: AliasTarget, rng: Rng): SimAccount | undefined {
  const anchor = plan.accounts[0];
  if (!anchor) throw new Error(`identity ${plan.identity.id} has no anchor account`);
  const venue = target.market?.slug ?? `channel:${target.channel}`;
  let handle: string;
  if (SAME_NAME.has(kind)) {
    handle = anchor.handle;
    if (!f.book.isFree(venue, handle)) return undefined;
  } else handle = freshHandle(f, plan, rng, venue);
  const openDay = target.openDay;
  let closeDay = target.market?.closeDay;
  if (closeDay === undefined && target.market && rng.chance(0.05)) {
    const q = rng.int(openDay + 30, ctx.days + 200);
    if (q < ctx.days - 1 && q > 5) closeDay = q;
  }
  let pgpKeys: ShownKey[];
  if (SAME_KEY.has(kind)) {
    pgpKeys = chainKeys(plan, openDay, closeDay);
    if (pgpKeys.length === 0) return undefined;
  } else {
    const key = makeKey(rng, plan.identity, handle, openDay - rng.int(0, 30), openDay);
    plan.identity.pgpKeys.push(key);
    pgpKeys = [{ fingerprint: key.fingerprint, fromDay: openDay }];
  }
  const addrs = ownAddresses(plan, rng, target.market);
  let shownCrypto: string[] = [];
  if (kind === 'shared-crypto') {
    const anchorAddrs = ctx.accountAddrs.get(anchor.id) ?? [];
    const shared = anchorAddrs[0] as SimCryptoAddress;
    addrs.unshift(shared);
    shownCrypto = [shared.address];
    if (!anchor.shownCrypto.includes(shared.address)) anchor.shownCrypto.push(shared.address);
  } else if (target.channel) {
    shownCrypto = [(addrs[0] as SimCryptoAddress).address];
  }
  const sharesContacts = kind !== 'shared-crypto' && kind !== 'style-only';
  const acc = createAccount(ctx, f, plan, {
    market: target.market?.slug ?? null, channel: target.channel ?? null, handle, pgpKeys, shownCrypto,
    shownContacts: sharesContacts && rng.chance(0.5) ? plan.identity.contacts.slice() : [],
    openDay, ...(closeDay !== undefined ? { closeDay } : {}), aliasKind: kind,
  });
  ctx.accountAddrs.set(acc.id, addrs);
  if (anchor.aliasKind === 'unique') anchor.aliasKind = 'anchor';
  return acc;
}

export function pickAliasKind(rng: Rng, weights: readonly number[]): AliasOnlyKind {
  return rng.weighted(ALIAS_ONLY_KINDS, weights);
}

/** Markets an identity can open a new account on at `openDay` (not already used, open for 20+ days). */
function candidateMarkets(ctx: GenContext, plan: IdentityPlan, openDay: number, exclude?: string): SimMarket[] {
  const used = new Set(plan.accounts.map((a) => a.market));
  return ctx.markets.filter((m) => !used.has(m.slug) && m.slug !== exclude && marketOpen(m, openDay)
    && marketOpen(m, Math.min(openDay + 20, ctx.days - 1)));
}

/** Extra market accounts (aliases) up to the scale's account count; every alias kind appears. */
export function makeAliases(ctx: GenContext, f: AccountFactory): void {
  const rng = ctx.rng.fork('aliases');
  const picker = volumePicker(ctx);
  const wanted = ctx.p.accounts - ctx.p.identities;
  let made = 0;
  for (let attempt = 0; made < wanted && attempt < wanted * 4; attempt++) {
    const plan = picker.pick(rng);
    const anchor = plan.accounts[0] as SimAccount;
    const kind = made < ALIAS_ONLY_KINDS.length ? (ALIAS_ONLY_KINDS[made] as AliasOnlyKind)
      : pickAliasKind(rng, [30, 15, 15, 15, 25]);
    const openDay = Math.min(ctx.days - 30, Math.max(anchor.openDay + rng.int(-120, 90), -400));
    const markets = candidateMarkets(ctx, plan, openDay);
    if (markets.length === 0) continue;
    const market = rng.weighted(markets, markets.map((m) => ctx.marketWeight.get(m.slug) ?? 1));
    if (addAlias(ctx, f, plan, kind, { market, openDay: Math.max(openDay, market.openDay + 3) }, rng)) made++;
  }
}

/**
 * After a market closes (takedown or exit scam) its vendors move: those with accounts elsewhere just carry on,
 * others open new accounts over the following weeks, some never reappear.
 */
export function migrateVendors(ctx: GenContext, f: AccountFactory, slug: string, day: number,
  cause: 'takedown' | 'exit_scam', reappear: number): void {
  const rng = ctx.rng.fork(`migrate/${slug}`);
  const closed: Array<{ plan: IdentityPlan; acc: SimAccount }> = [];
  for (const plan of ctx.plans) {
    for (const acc of plan.accounts) if (acc.market === slug && acc.openDay <= day && acc.closeDay === day) closed.push({ plan, acc });
  }
  const needing = closed.filter(({ plan, acc }) => !plan.accounts.some((a) => a !== acc && a.market !== null
    && a.market !== slug && a.openDay <= day + 30 && (a.closeDay ?? Infinity) > day + 7)).length;
  let decided = 0;
  let reappeared = 0;
  let vanished = 0;
  for (const { plan, acc } of closed) {
    const other = plan.accounts.find((a) => a !== acc && a.market !== null && a.market !== slug && a.openDay <= day + 30
      && (a.closeDay ?? Infinity) > day + 7);
    if (other) {
      ctx.migrations.push({ identityId: plan.identity.id, fromMarket: slug, fromAccountId: acc.id,
        toMarket: other.market, toAccountId: other.id, day: Math.max(day, other.openDay), cause });
      continue;
    }
    // Every closure shows both outcomes: the last undecided vendor goes the way that has not happened yet.
    const last = ++decided === needing;
    const comeBack = last && vanished === 0 && needing > 1 ? false : last && reappeared === 0 ? true : rng.chance(reappear);
    let moved: SimAccount | undefined;
    if (comeBack) {
      const openDay = Math.min(ctx.days - 5, day + rng.int(3, 35));
      const markets = candidateMarkets(ctx, plan, openDay, slug).filter((m) => (m.closeDay ?? Infinity) > openDay + 30);
      for (let tries = 0; tries < 3 && !moved && markets.length > 0; tries++) {
        const market = rng.weighted(markets, markets.map((m) => ctx.marketWeight.get(m.slug) ?? 1));
        const kind = tries === 0 ? pickAliasKind(rng, [45, 15, 20, 10, 10]) : 'other-name-same-key';
        moved = addAlias(ctx, f, plan, kind, { market, openDay }, rng);
      }
    }
    if (moved) reappeared++;
    else vanished++;
    if (moved) {
      ctx.migratedFrom.set(moved.id, acc.id);
      ctx.migrations.push({ identityId: plan.identity.id, fromMarket: slug, fromAccountId: acc.id,
        toMarket: moved.market, toAccountId: moved.id, day: moved.openDay, cause });
      ctx.events.push({ id: '', kind: 'vendor_migration', day: moved.openDay, market: slug,
        toMarket: moved.market ?? undefined, identityId: plan.identity.id, fromAccountId: acc.id, toAccountId: moved.id,
        description: `vendor ${acc.handle} left ${slug} after the ${cause === 'takedown' ? 'takedown' : 'exit scam'} and reappeared on ${moved.market} as ${moved.handle} (${moved.aliasKind})` });
    } else {
      ctx.migrations.push({ identityId: plan.identity.id, fromMarket: slug, fromAccountId: acc.id, toMarket: null,
        toAccountId: null, day: null, cause });
    }
  }
}
