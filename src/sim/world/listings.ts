import type { GenContext, IdentityPlan } from './context.ts';
import { pad } from './context.ts';
import type { Rng } from './rng.ts';
import { PROFILE_SENTENCES, formatDose, listingTitle, styledText } from './style.ts';
import type { SubstanceSpec } from './substances.ts';
import type { MarketDesign, PricePoint, SimAccount, SimListing, SimMarket } from './types.ts';

const COUNTRY_NAMES: Record<string, string> = {
  US: 'USA', DE: 'Germany', NL: 'Netherlands', GB: 'UK', CA: 'Canada', AU: 'Australia', FR: 'France', ES: 'Spain',
  PL: 'Poland', BE: 'Belgium', IT: 'Italy', SE: 'Sweden', CZ: 'Czech Republic', WW: 'Worldwide',
};

export function countryName(code: string): string {
  return COUNTRY_NAMES[code] ?? code;
}

/** Makes the per-market external ids shown in URLs; each design has its own id scheme. */
function externalIdMaker(design: MarketDesign, rng: Rng): (spec: SubstanceSpec) => string {
  const used = new Set<string>();
  let counter = rng.int(1000, 9000);
  const unique = (make: () => string) => {
    for (;;) {
      const id = make();
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
  switch (design) {
    case 'table': return () => unique(() => String((counter += rng.int(1, 9))));
    case 'cards': return () => unique(() => rng.hex(4));
    case 'list': return (spec) => unique(() => `${spec.substance.replace(/[^a-z0-9]+/g, '-')}-${(counter += rng.int(1, 5))}`);
    case 'forum': return () => unique(() => `t${(counter += rng.int(1, 30))}`);
    case 'shop': return () => unique(() => {
      const h = rng.hex(16);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    });
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** A vendor's price: whole dollars for big tickets, .99 or cents for small ones, depending on habit. */
function vendorPrice(rng: Rng, x: number): number {
  if (x >= 30) return rng.chance(0.7) ? Math.round(x) : Math.round(x) - 0.01;
  return round2(x);
}

function describe(plan: IdentityPlan, rng: Rng, spec: SubstanceSpec, l: Pick<SimListing, 'quantity' | 'unit' | 'dose' |
  'purityPct' | 'shipsFrom' | 'shipsTo'>, name: string): string {
  const s: string[] = [];
  s.push(`${name}${l.purityPct !== undefined ? `, ${l.purityPct}% pure` : ''}${rng.chance(0.4) ? ', ' + rng.pick(['fresh batch', 'new stock', 'restocked', 'best batch so far', 'straight from the source']) : ''}`);
  if (l.dose) s.push(`each ${l.unit === 'patches' ? 'patch' : l.unit === 'blotters' ? 'tab' : 'pill'} is ${formatDose(l.dose)}, price is for ${l.quantity} ${l.unit}`);
  else s.push(`price is for ${l.quantity}${l.unit}${rng.chance(0.5) ? ' net weight' : ''}`);
  if (spec.class === 'opioid') s.push(rng.pick(['test your stuff, this is strong', 'start low go slow, very potent', 'not for beginners', 'naloxone recommended']));
  s.push(plan.identity.style.shippingPhrase.toLowerCase());
  s.push(`ships from ${countryName(l.shipsFrom)} to ${l.shipsTo.map(countryName).join(', ').slice(0, 60)}`);
  if (rng.chance(0.5)) s.push(rng.pick(PROFILE_SENTENCES));
  return styledText(plan.identity.style, rng, s, { greeting: rng.chance(0.3) });
}

function priceHistory(rng: Rng, open: number, close: number, start: number): PricePoint[] {
  const out: PricePoint[] = [{ day: open, usd: start }];
  let price = start;
  for (let d = Math.max(open, 0) + rng.int(20, 45); d < close; d += rng.int(20, 45)) {
    if (!rng.chance(0.6)) continue;
    price = vendorPrice(rng, price * rng.float(0.88, 1.1));
    if (price > 0.5) out.push({ day: d, usd: price });
  }
  return out;
}

interface ListingSeed {
  spec: SubstanceSpec;
  name: string;
  quantity: number;
  usd: number;
  title?: string;
}

function buildListing(ctx: GenContext, plan: IdentityPlan, acc: SimAccount, market: SimMarket, rng: Rng,
  ext: (spec: SubstanceSpec) => string, seed: ListingSeed, openDay: number): SimListing {
  const { spec } = seed;
  const end = Math.min(acc.closeDay ?? ctx.days - 1, ctx.days - 1);
  let closeDay = acc.closeDay !== undefined && acc.closeDay <= ctx.days - 1 ? acc.closeDay : undefined;
  if (rng.chance(0.25)) {
    // Listings that end do so during the run (a listing that ended before day 0 would be invisible).
    const c = Math.max(openDay, 0) + rng.int(20, 150);
    if (c < end) closeDay = c;
  }
  const dose = spec.doses ? rng.pick(spec.doses) : undefined;
  const purityPct = spec.purity && rng.chance(0.6) ? Math.round(rng.float(spec.purity[0], spec.purity[1])) : undefined;
  const shipsFrom = rng.chance(0.05) && plan.shipsTo.length > 1 ? rng.pick(plan.shipsTo.filter((c) => c !== 'WW').concat(plan.identity.country)) : plan.identity.country;
  const base = { quantity: seed.quantity, unit: spec.unit, dose, purityPct, shipsFrom, shipsTo: plan.shipsTo.slice() };
  const l: SimListing = {
    id: `L${pad(ctx.listings.length + 1, 7)}`,
    accountId: acc.id,
    market: market.slug,
    externalId: ext(spec),
    title: seed.title ?? listingTitle(plan.identity.style, rng, { name: seed.name, quantity: seed.quantity, unit: spec.unit,
      ...(dose ? { dose } : {}), ...(purityPct !== undefined ? { purityPct } : {}) }),
    description: describe(plan, rng, spec, base, seed.name),
    substanceClass: spec.class,
    substance: spec.substance,
    ...(dose ? { dose } : {}),
    ...(purityPct !== undefined ? { purityPct } : {}),
    quantity: seed.quantity,
    unit: spec.unit,
    priceHistory: priceHistory(rng, openDay, closeDay ?? ctx.days, seed.usd),
    stockHistory: [],
    shipsFrom,
    shipsTo: base.shipsTo,
    openDay,
    ...(closeDay !== undefined ? { closeDay } : {}),
  };
  ctx.listings.push(l);
  ctx.specOf.set(l.id, spec);
  return l;
}

/**
 * Listings for every market account: each vendor offers its products in several quantity tiers, with prices from
 * realistic per-unit ranges and bulk discounts. Vendors that moved after a takedown re-list their old products.
 */
export function makeListings(ctx: GenContext): void {
  const marketAccounts = ctx.accounts.filter((a) => a.market !== null);
  const plans = new Map(ctx.plans.map((p) => [p.identity.id, p]));
  const weightOf = (a: SimAccount) => (plans.get(a.identityId) as IdentityPlan).identity.volume ** 0.6;
  const total = marketAccounts.filter((a) => !ctx.migratedFrom.has(a.id)).reduce((s, a) => s + weightOf(a), 0);
  const exts = new Map<string, (spec: SubstanceSpec) => string>();
  for (const m of ctx.markets) exts.set(m.slug, externalIdMaker(m.design, ctx.rng.fork(`extid/${m.slug}`)));
  const byAccount = new Map<string, SimListing[]>();
  for (const acc of marketAccounts) {
    const plan = plans.get(acc.identityId) as IdentityPlan;
    const market = ctx.markets.find((m) => m.slug === acc.market) as SimMarket;
    const rng = ctx.rng.fork(`listings/${acc.id}`);
    const ext = exts.get(market.slug) as (spec: SubstanceSpec) => string;
    const end = Math.min(acc.closeDay ?? ctx.days - 1, ctx.days - 1);
    const made: SimListing[] = [];
    const from = ctx.migratedFrom.get(acc.id);
    if (from) {
      for (const old of byAccount.get(from) ?? []) {
        const spec = ctx.specOf.get(old.id) as SubstanceSpec;
        const last = (old.priceHistory[old.priceHistory.length - 1] as PricePoint).usd;
        const keepTitle = acc.aliasKind.startsWith('same-name') && rng.chance(0.6);
        made.push(buildListing(ctx, plan, acc, market, rng, ext, { spec, name: rng.pick(spec.names), quantity: old.quantity,
          usd: vendorPrice(rng, last * rng.float(0.95, 1.1)), ...(keepTitle ? { title: old.title } : {}) },
        Math.min(end, acc.openDay + rng.int(0, 3))));
      }
    } else {
      const n = Math.max(1, Math.round((ctx.p.listings * weightOf(acc)) / total));
      const offset = rng.int(0, 10);
      for (let i = 0; i < n; i++) {
        const spec = plan.specs[i % plan.specs.length] as SubstanceSpec;
        const tier = (Math.floor(i / plan.specs.length) + offset) % spec.quantities.length;
        const quantity = spec.quantities[tier] as number;
        const q0 = spec.quantities[0] as number;
        const unitPrice = rng.float(spec.unitPrice[0], spec.unitPrice[1]) * plan.priceLevel;
        const usd = vendorPrice(rng, Math.max(1, unitPrice * quantity * (quantity / q0) ** -0.12));
        const span = Math.max(0, end - Math.max(acc.openDay, 0) - 10);
        const openDay = rng.chance(0.65) ? acc.openDay + rng.int(0, 5) : Math.max(acc.openDay, 0) + rng.int(0, span);
        made.push(buildListing(ctx, plan, acc, market, rng, ext, { spec, name: rng.pick(spec.names), quantity, usd },
          Math.min(openDay, end)));
      }
    }
    byAccount.set(acc.id, made);
  }
}
