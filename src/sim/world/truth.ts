import { dayToMonth, usdTo } from './rates.ts';
import { unitToGrams } from './substances.ts';
import { SIM_EPOCH_UNIX } from './types.ts';
import type {
  ExpectedListing, GroundTruth, RevenueRow, SimAccount, SimListing, TruthAccount, TruthAliasLink, World,
} from './types.ts';

/** The price shown on a day (the last price point at or before it). */
export function priceOn(l: SimListing, day: number): number {
  let usd = l.priceHistory[0]?.usd ?? 0;
  for (const p of l.priceHistory) {
    if (p.day > day) break;
    usd = p.usd;
  }
  return usd;
}

/** Stock shown on a day. */
export function stockOn(l: SimListing, day: number): number {
  let s = l.stockHistory[0]?.stock ?? 0;
  for (const p of l.stockHistory) {
    if (p.day > day) break;
    s = p.stock;
  }
  return s;
}

function row(): RevenueRow {
  return { sales: 0, visibleFeedback: 0, revenueUsd: 0 };
}

function addTo(r: RevenueRow, usd: number, visible: boolean): void {
  r.sales++;
  if (visible) r.visibleFeedback++;
  r.revenueUsd = Math.round((r.revenueUsd + usd) * 100) / 100;
}

/** The ground truth the evaluators score against (written as truth.json). */
export function buildGroundTruth(world: World): GroundTruth {
  const accounts = new Map<string, SimAccount>(world.accounts.map((a) => [a.id, a]));
  const markets = new Map(world.markets.map((m) => [m.slug, m]));
  const accountIdsByIdentity = new Map<string, string[]>();
  for (const a of world.accounts) {
    const list = accountIdsByIdentity.get(a.identityId) ?? [];
    list.push(a.id);
    accountIdsByIdentity.set(a.identityId, list);
  }
  const truthAccounts: TruthAccount[] = world.accounts.map((a) => ({ accountId: a.id, identityId: a.identityId,
    market: a.market, channel: a.channel, handle: a.handle, aliasKind: a.aliasKind,
    pgpFingerprints: a.pgpKeys.map((k) => k.fingerprint) }));
  const aliasLinks: TruthAliasLink[] = [];
  for (const ids of accountIdsByIdentity.values()) {
    const anchor = ids[0] as string;
    for (const id of ids.slice(1)) {
      const a = accounts.get(id) as SimAccount;
      if (a.aliasKind === 'unique' || a.aliasKind === 'anchor') continue;
      aliasLinks.push({ anchorAccountId: anchor, accountId: id, identityId: a.identityId, kind: a.aliasKind });
    }
  }
  const listings: ExpectedListing[] = world.listings.map((l) => {
    const a = accounts.get(l.accountId) as SimAccount;
    const m = markets.get(l.market);
    const lastDay = Math.min(l.closeDay ?? world.days - 1, world.days - 1);
    const usd = priceOn(l, lastDay);
    const g = unitToGrams(l.unit);
    const currency = m?.currency ?? 'USD';
    return {
      listingId: l.id, market: l.market, externalId: l.externalId, accountId: l.accountId, identityId: a.identityId,
      vendorHandle: a.handle, title: l.title, substanceClass: l.substanceClass, substance: l.substance,
      ...(l.dose ? { dose: l.dose } : {}), quantity: l.quantity, unit: l.unit,
      grams: g === null ? null : Math.round(l.quantity * g * 1e6) / 1e6,
      priceUsd: usd, priceDisplay: { currency, amount: usdTo(currency, usd, lastDay), day: lastDay },
      priceHistory: l.priceHistory,
      shipsFrom: l.shipsFrom, shipsTo: l.shipsTo, openDay: l.openDay, closeDay: l.closeDay ?? null,
    };
  });
  const byAccount: Record<string, RevenueRow> = {};
  const byIdentity: Record<string, RevenueRow> = {};
  const byIdentityMonth: Record<string, Record<string, RevenueRow>> = {};
  const byMarketMonth: Record<string, Record<string, RevenueRow>> = {};
  let withFeedback = 0;
  const months = new Map<number, string>();
  for (const s of world.sales) {
    if (s.feedback) withFeedback++;
    if (s.status !== 'finalized') continue;
    const a = accounts.get(s.accountId) as SimAccount;
    let month = months.get(s.day);
    if (month === undefined) months.set(s.day, (month = dayToMonth(s.day)));
    const visible = !!s.feedback && !s.feedback.hidden;
    addTo((byAccount[s.accountId] ??= row()), s.priceUsd, visible);
    addTo((byIdentity[a.identityId] ??= row()), s.priceUsd, visible);
    addTo(((byIdentityMonth[a.identityId] ??= {})[month] ??= row()), s.priceUsd, visible);
    addTo(((byMarketMonth[s.market] ??= {})[month] ??= row()), s.priceUsd, visible);
  }
  return {
    version: world.version,
    seed: world.seed,
    scale: world.scale,
    epochUnix: SIM_EPOCH_UNIX,
    days: world.days,
    markets: world.markets.map((m) => ({ slug: m.slug, name: m.name, onion: m.onion, design: m.design, currency: m.currency,
      openDay: m.openDay, fate: m.fate, closeDay: m.closeDay ?? null })),
    identities: world.identities.map((i) => ({ identityId: i.id, country: i.country, classes: i.classes,
      harmScore: i.harm.score, pgpFingerprints: i.pgpKeys.map((k) => k.fingerprint),
      cryptoAddresses: i.crypto.map((c) => c.address), contacts: i.contacts,
      accountIds: accountIdsByIdentity.get(i.id) ?? [] })),
    accounts: truthAccounts,
    aliasLinks,
    listings,
    revenue: { byAccount, byIdentity, byIdentityMonth, byMarketMonth },
    seizedUsers: Object.fromEntries(world.seized.map((db) => [db.market,
      Object.fromEntries(db.users.map((u) => [String(u.userId), u.worldId]))])),
    feedbackRate: world.sales.length ? Math.round((withFeedback / world.sales.length) * 10_000) / 10_000 : 0,
    timeline: world.timeline,
    events: world.events,
    migrations: world.migrations,
  };
}
