import type { GenContext, IdentityPlan } from './context.ts';
import { CumulativePicker, pad } from './context.ts';
import { marketOpen } from './markets.ts';
import { BUYER_COUNTRIES, BUYER_COUNTRY_WEIGHTS, buyerHandle } from './names.ts';
import { dayToUnix } from './rates.ts';
import type { Rng } from './rng.ts';
import type { SimBuyer, SimFeedback, SimListing, SimMarket, SimSale, StockPoint } from './types.ts';
import { SALES_HISTORY_DAYS } from './types.ts';

const FEEDBACK: Record<number, string[]> = {
  5: ['great product, fast shipping', 'A+++ stealth was perfect', 'arrived in 2 days, will order again', 'top vendor',
    'quality as described', 'smooth transaction, thanks', 'always reliable', '10/10', 'good weight, nice stealth',
    'FE worthy', 'legit', 'fast and discreet, recommended', 'second order, same quality', 'perfect as always',
    'best on the market', 'came quick, strong stuff', 'thank you!!', 'spot on', 'weight was over, nice touch', '5/5'],
  4: ['good but shipping took a week', 'decent quality', 'ok product, slightly under weight', 'good, stealth could be better',
    'arrived fine, quality ok', 'took a while but worth it', 'nice, would buy again'],
  3: ['average', 'took 12 days but arrived', 'meh quality for the price', 'ok i guess', 'not as strong as described'],
  2: ['under weight', 'shipping took 3 weeks', 'quality dropped', 'poor communication'],
  1: ['never arrived', 'scam, avoid', 'vendor did not reply', 'wrong product sent', 'empty package', 'refund please'],
};

/** Buyers with home markets; after a takedown or exit scam most of the closed market's buyers move elsewhere. */
export function makeBuyers(ctx: GenContext): Map<string, SimBuyer[][]> {
  const rng = ctx.rng.fork('buyers');
  const { timeline, markets } = ctx;
  const weights = markets.map((m) => ctx.marketWeight.get(m.slug) ?? 1);
  // pools[market][phase]: phase 0 before the seizure, 1 between seizure and exit scam, 2 after.
  const pools = new Map<string, SimBuyer[][]>(markets.map((m) => [m.slug, [[], [], []]]));
  const add = (b: SimBuyer, slug: string, fromPhase: number) => {
    if (!b.markets.includes(slug)) b.markets.push(slug);
    const ph = pools.get(slug) as SimBuyer[][];
    for (let i = fromPhase; i < 3; i++) (ph[i] as SimBuyer[]).push(b);
  };
  const aliveAfter = (day: number, except: string) => markets.filter((m) => m.slug !== except && marketOpen(m, day + 1));
  // Usernames are unique (case-insensitively, as MySQL compares them) across buyers and vendors.
  const taken = new Set(ctx.accounts.map((a) => a.handle.toLowerCase()));
  const uniqueHandle = () => {
    let h = buyerHandle(rng);
    while (taken.has(h.toLowerCase())) h = `${buyerHandle(rng)}${rng.int(0, 99)}`;
    taken.add(h.toLowerCase());
    return h;
  };
  for (let i = 0; i < ctx.p.buyers; i++) {
    const b: SimBuyer = { id: `B${pad(i + 1, 7)}`, handle: uniqueHandle(), country: rng.weighted(BUYER_COUNTRIES,
      BUYER_COUNTRY_WEIGHTS), markets: [] };
    const home = rng.weighted(markets, weights);
    add(b, home.slug, home.slug === timeline.launchMarket ? 1 : 0);
    if (rng.chance(0.3)) {
      const second = rng.weighted(markets, weights);
      add(b, second.slug, second.slug === timeline.launchMarket ? 1 : 0);
    }
    for (const [slug, day, phase] of [[timeline.seizedMarket, timeline.seizureDay, 1], [timeline.exitMarket, timeline.exitDay, 2]] as const) {
      if (b.markets.includes(slug) && rng.chance(0.7)) {
        const alive = aliveAfter(day, slug);
        if (alive.length) add(b, rng.weighted(alive, alive.map((m) => ctx.marketWeight.get(m.slug) ?? 1)).slug, phase);
      }
    }
    ctx.buyers.push(b);
  }
  return pools;
}

/** Relative buyer demand per market and day: displaced buyers arrive over the weeks after a closure. */
function demandTable(ctx: GenContext): Map<string, Float64Array> {
  const { timeline, days } = ctx;
  const activeAccounts = (slug: string, day: number) => ctx.accounts.filter((a) => a.market === slug && a.openDay <= day
    && (a.closeDay ?? Infinity) >= day).length;
  const boost = (closed: string, day: number) => {
    const alive = ctx.markets.filter((m) => m.slug !== closed && marketOpen(m, day + 1));
    const others = alive.reduce((s, m) => s + activeAccounts(m.slug, day), 0);
    return others > 0 ? activeAccounts(closed, day) / others : 0;
  };
  const bS = boost(timeline.seizedMarket, timeline.seizureDay);
  const bE = boost(timeline.exitMarket, timeline.exitDay);
  const out = new Map<string, Float64Array>();
  for (const m of ctx.markets) {
    // Index d + SALES_HISTORY_DAYS holds day d (the history before day 0 included).
    const t = new Float64Array(days + SALES_HISTORY_DAYS);
    for (let d = -SALES_HISTORY_DAYS; d < days; d++) {
      if (!marketOpen(m, d)) continue;
      let v = 1;
      if (d > timeline.seizureDay && m.slug !== timeline.seizedMarket) v += bS * (1 - Math.exp(-(d - timeline.seizureDay) / 10));
      if (d > timeline.exitDay && m.slug !== timeline.exitMarket) v += bE * (1 - Math.exp(-(d - timeline.exitDay) / 10));
      if (m.slug === timeline.launchMarket) v *= Math.min(1, 0.3 + (d - m.openDay) / 40);
      t[d + SALES_HISTORY_DAYS] = v;
    }
    out.set(m.slug, t);
  }
  return out;
}

function feedbackFor(rng: Rng, sale: SimSale, m: SimMarket, rate: number, days: number, substance: string): SimFeedback | undefined {
  if (sale.status === 'lost_in_exit_scam') return undefined;
  const leaves = sale.status === 'refunded' ? rng.chance(0.6) : rng.chance(rate);
  if (!leaves) return undefined;
  const day = sale.day + rng.int(2, 14);
  if (day > days - 1 || (m.closeDay !== undefined && day > m.closeDay)) return undefined;
  const rating = sale.status === 'refunded' ? rng.int(1, 2) : rng.weighted([5, 4, 3, 2, 1], [80, 10, 4, 2, 4]);
  let text = rng.pick(FEEDBACK[rating] as string[]);
  if (rating >= 4 && rng.chance(0.1)) text = `${text} - ${substance} is legit`;
  return { rating, text, day, hidden: rng.chance(rating <= 2 ? 0.3 : 0.02), duplicated: rng.chance(0.02) };
}

function shipsToCountry(l: SimListing, country: string): boolean {
  return l.shipsTo.includes('WW') || l.shipsTo.includes(country);
}

/**
 * Sales day by day per listing (Poisson with the vendor's activity, the market's demand and the listing's appeal),
 * stock that runs out and is restocked, and feedback from only part of the buyers.
 */
export function makeSales(ctx: GenContext, pools: Map<string, SimBuyer[][]>): void {
  const { timeline, days } = ctx;
  const demand = demandTable(ctx);
  const plans = new Map<string, IdentityPlan>(ctx.plans.map((p) => [p.identity.id, p]));
  const accounts = new Map(ctx.accounts.map((a) => [a.id, a]));
  const markets = new Map(ctx.markets.map((m) => [m.slug, m]));
  const meanVol = ctx.plans.reduce((s, p) => s + p.identity.volume ** 0.8, 0) / ctx.plans.length;
  const feedbackRate = new Map(ctx.markets.map((m) => [m.slug, ctx.rng.fork(`fbrate/${m.slug}`).float(0.55, 0.8)]));
  const perDay = ctx.p.salesPerListingMonth / 30;
  const pickers = new Map<string, CumulativePicker<SimBuyer>[]>();
  for (const [slug, phases] of pools) pickers.set(slug, phases.map((b) => new CumulativePicker(b, b.map(() => 1))));
  // Sales land in per-day buckets (listings are processed in id order), so a stable sort of each small bucket by
  // time gives the global order (time, then listing id) without a costly sort of millions of sales.
  const buckets: SimSale[][] = Array.from({ length: days + SALES_HISTORY_DAYS }, () => []);
  for (const l of ctx.listings) {
    const rng = ctx.rng.fork(`sales/${l.id}`);
    const acc = accounts.get(l.accountId);
    const m = markets.get(l.market) as SimMarket;
    const plan = plans.get(acc?.identityId ?? '') as IdentityPlan;
    const lambda0 = (perDay * plan.identity.volume ** 0.8 / meanVol) * rng.logNormal(1, 0.6);
    const dem = demand.get(l.market) as Float64Array;
    const phasePickers = pickers.get(l.market) as CumulativePicker<SimBuyer>[];
    const rate = feedbackRate.get(l.market) as number;
    const stock: StockPoint[] = [];
    let level = rng.int(5, 60);
    stock.push({ day: l.openDay, stock: level });
    let restockDay = -1;
    let lastPoint = l.openDay;
    let pi = 0;
    const start = Math.max(l.openDay, -SALES_HISTORY_DAYS);
    const end = Math.min(l.closeDay ?? days - 1, days - 1);
    for (let d = start; d <= end; d++) {
      while (pi + 1 < l.priceHistory.length && (l.priceHistory[pi + 1]?.day ?? Infinity) <= d) pi++;
      if (level === 0) {
        if (d < restockDay) continue;
        level = rng.int(10, 60);
        stock.push({ day: d, stock: level });
        lastPoint = d;
      }
      const n = rng.poisson(lambda0 * (dem[d + SALES_HISTORY_DAYS] ?? 0));
      const phase = d <= timeline.seizureDay ? 0 : d <= timeline.exitDay ? 1 : 2;
      const picker = phasePickers[phase] as CumulativePicker<SimBuyer>;
      for (let k = 0; k < n && level > 0 && picker.size > 0; k++) {
        let buyer = picker.pick(rng);
        for (let t = 0; t < 6 && !shipsToCountry(l, buyer.country); t++) buyer = picker.pick(rng);
        if (!shipsToCountry(l, buyer.country)) continue;
        const units = Math.min(level, rng.chance(0.85) ? 1 : rng.int(2, 3));
        level -= units;
        const price = l.priceHistory[pi]?.usd ?? 0;
        let status: SimSale['status'] = rng.chance(0.02) ? 'refunded' : 'finalized';
        if (m.fate === 'exit_scam' && m.closeDay !== undefined && d > m.closeDay - 10) status = 'lost_in_exit_scam';
        const sale: SimSale = { id: '', listingId: l.id, accountId: l.accountId, market: l.market, buyerId: buyer.id, day: d,
          at: dayToUnix(d) + rng.int(0, 86_399), units, priceUsd: Math.round(price * units * 100) / 100,
          buyerCountry: buyer.country, status };
        const fb = feedbackFor(rng, sale, m, rate, days, l.substance);
        if (fb) sale.feedback = fb;
        (buckets[d + SALES_HISTORY_DAYS] as SimSale[]).push(sale);
      }
      if (level === 0) {
        stock.push({ day: d + 1, stock: 0 });
        restockDay = d + rng.int(2, 10);
        lastPoint = d + 1;
      } else if (d - lastPoint >= 7) {
        if ((stock[stock.length - 1] as StockPoint).stock !== level) stock.push({ day: d, stock: level });
        lastPoint = d;
      }
    }
    l.stockHistory = stock.filter((s) => s.day <= end + 1);
  }
  const sales: SimSale[] = [];
  for (const b of buckets) {
    b.sort((x, y) => x.at - y.at);
    for (const s of b) {
      s.id = `S${pad(sales.length + 1, 8)}`;
      sales.push(s);
    }
  }
  ctx.sales = sales;
}
