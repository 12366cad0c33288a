import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { isHolding, UNIT_PRICE_MEDIANS } from './holding.ts';
import type { ObservedSale } from './sales.ts';
import type { RevenueOptions } from './types.ts';

const DAY = 86_400_000;
/** A market needs this many feedback entries inside stock-covered windows before its own calibration is used. */
const MIN_CALIBRATION_FEEDBACK = 30;

/** What one market's stock-covered windows say: units sold (stock decrements) per visible feedback entry. */
export interface StockCalibration {
  marketId: number;
  /** Units counted from stock decrements in windows with no restock. */
  units: number;
  /** Feedback entries left in the same windows (shifted by the feedback offset). */
  feedback: number;
  /** units / feedback, or null when there were too few feedback entries to say. */
  unitsPerFeedback: number | null;
}

interface Visit {
  snapshotId: number;
  at: number;
  stock: number;
  priceUsd: number | null;
}

interface ListingMeta {
  vendorId: number;
  identityId: number | null;
  marketId: number;
  substanceClass: string | null;
  substance: string | null;
  shipsFrom: string | null;
  /** Listing quantity (1 when unknown), to compare its price per unit. */
  quantity: number;
  classMedian: number | null;
}

type Kind = 'clean' | 'restock' | 'after-restock';

/** The stock rate a listing's tail is extrapolated from: its clean windows over about the last four weeks. */
const RECENT_DAYS = 28;

function stockRow(m: ListingMeta, listingId: number, id: number, at: Date, units: number, priceUsd: number | null, outlierFactor = 20): ObservedSale {
  return {
    feedbackId: id, source: 'stock', at, units, vendorId: m.vendorId, identityId: m.identityId, marketId: m.marketId, listingId,
    substanceClass: m.substanceClass, substance: m.substance, shipsFrom: m.shipsFrom, month: at.toISOString().slice(0, 7), priceUsd,
    holding: isHolding(priceUsd, m.quantity, m.classMedian, outlierFactor),
  };
}

/** Each market's first seizure, exit-scam or closure event. */
async function loadClosures(db: Kysely<Database>): Promise<Map<number, { kind: string; at: number }>> {
  const rows = await db.selectFrom('market_events').select(['market_id', 'kind', 'observed_at'])
    .where('kind', 'in', ['seized', 'exit_scam', 'closed']).orderBy('observed_at').execute();
  const out = new Map<number, { kind: string; at: number }>();
  for (const r of rows) if (!out.has(r.market_id)) out.set(r.market_id, { kind: r.kind, at: new Date(r.observed_at).getTime() });
  return out;
}

/**
 * Between two visits the stock either fell (the decrement is units sold) or rose (a restock: how much sold before
 * and after it is unknown). The interval after a restock is not trusted either: a market's stock display can trail
 * orders, so its decrement may include sales from before the restock interval ended.
 */
function classify(visits: Visit[]): Kind[] {
  const out: Kind[] = [];
  let prevRestock = false;
  for (let i = 1; i < visits.length; i++) {
    const restock = (visits[i] as Visit).stock > (visits[i - 1] as Visit).stock;
    out.push(restock ? 'restock' : prevRestock ? 'after-restock' : 'clean');
    prevRestock = restock;
  }
  return out;
}

async function loadVisits(db: Kysely<Database>, agencyIds: number[] | null): Promise<Map<number, Visit[]>> {
  const rows = await sql<{ id: number; listing_id: number; observed_at: Date; stock: number; price_usd: number | null }>`
    select s.id, s.listing_id, s.observed_at, s.stock, s.price_usd from listing_snapshots s
    where s.stock is not null and (${agencyIds}::int[] is null or s.agency_id = any(${agencyIds}::int[]))
    order by s.listing_id, s.observed_at, s.id
  `.execute(db);
  const out = new Map<number, Visit[]>();
  for (const r of rows.rows) {
    const list = out.get(r.listing_id) ?? [];
    list.push({ snapshotId: r.id, at: new Date(r.observed_at).getTime(), stock: r.stock, priceUsd: r.price_usd });
    out.set(r.listing_id, list);
  }
  return out;
}

async function loadListings(db: Kysely<Database>, ids: number[]): Promise<Map<number, ListingMeta>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<{
    id: number; vendor_id: number; identity_id: number | null; market_id: number; substance_class: string | null;
    substance: string | null; ships_from: string | null; qty: number; class_median: number | null;
  }>`
    with medians as (${UNIT_PRICE_MEDIANS})
    select l.id, l.vendor_id, im.identity_id, l.market_id, l.substance_class, l.substance,
           case when l.quantity > 0 then l.quantity else 1 end as qty,
           (select s.ships_from from listing_snapshots s where s.listing_id = l.id order by s.observed_at desc limit 1) as ships_from,
           m.class_median
    from listings l
    left join identity_members im on im.vendor_id = l.vendor_id
    left join medians m on m.substance_class is not distinct from l.substance_class
      and m.unit is not distinct from (case when l.quantity > 0 then l.unit end)
    where l.id = any(${ids}::int[])
  `.execute(db);
  return new Map(rows.rows.map((r) => [r.id, {
    vendorId: r.vendor_id, identityId: r.identity_id, marketId: r.market_id, substanceClass: r.substance_class,
    substance: r.substance, shipsFrom: r.ships_from, quantity: r.qty, classMedian: r.class_median,
  }]));
}

/** Feedback entries left in (from, to] (epoch ms), counted over a listing's sorted feedback times. */
function countIn(times: number[], from: number, to: number): number {
  let n = 0;
  for (const t of times) if (t > from && t <= to) n++;
  return n;
}

/**
 * Units per visible feedback entry for each market, from the windows where a listing's stock fell between two
 * visits without a restock: the decrements are units sold, and the feedback left in the same window (shifted by
 * the feedback offset) is what those sales produced. No ground truth: the crawler's own observations.
 */
export async function calibrateFromStock(db: Kysely<Database>, opts: Pick<RevenueOptions, 'agencyIds' | 'feedbackOffsetDays'> = {}): Promise<StockCalibration[]> {
  const visits = await loadVisits(db, opts.agencyIds ?? null);
  const fb = await sql<{ listing_id: number; left_at: Date; market_id: number }>`
    select f.listing_id, f.left_at, f.market_id from feedback f
    where f.listing_id is not null and f.left_at is not null and (${opts.agencyIds ?? null}::int[] is null or f.agency_id = any(${opts.agencyIds ?? null}::int[]))
  `.execute(db);
  const times = new Map<number, number[]>();
  const marketOf = new Map<number, number>();
  for (const r of fb.rows) {
    const list = times.get(r.listing_id) ?? [];
    list.push(new Date(r.left_at).getTime());
    times.set(r.listing_id, list);
  }
  const listings = await db.selectFrom('listings').select(['id', 'market_id']).where('id', 'in', visits.size ? [...visits.keys()] : [-1]).execute();
  for (const l of listings) marketOf.set(l.id, l.market_id);
  return calibrate(visits, times, marketOf, (opts.feedbackOffsetDays ?? 2) * DAY);
}

function calibrate(visits: Map<number, Visit[]>, times: Map<number, number[]>, marketOf: Map<number, number>, offset: number): StockCalibration[] {
  const acc = new Map<number, { units: number; feedback: number }>();
  for (const [listingId, vs] of visits) {
    const market = marketOf.get(listingId);
    if (market === undefined) continue;
    const t = times.get(listingId) ?? [];
    const kinds = classify(vs);
    const a = acc.get(market) ?? { units: 0, feedback: 0 };
    kinds.forEach((k, i) => {
      if (k !== 'clean') return;
      const from = vs[i] as Visit;
      const to = vs[i + 1] as Visit;
      a.units += from.stock - to.stock;
      a.feedback += countIn(t, from.at + offset, to.at + offset);
    });
    acc.set(market, a);
  }
  return [...acc].map(([marketId, a]) => ({ marketId, ...a,
    unitsPerFeedback: a.feedback >= MIN_CALIBRATION_FEEDBACK && a.units > 0 ? a.units / a.feedback : null }));
}

/**
 * Combines feedback with stock: units where the stock shows them, each remaining feedback entry as the market's
 * units per feedback (calibrated from the stock, else `unitsPerSale / feedbackRate`).
 */
export async function combineWithStock(db: Kysely<Database>, feedback: ObservedSale[], opts: Omit<RevenueOptions, 'feedbackRate'> & Partial<Pick<RevenueOptions, 'feedbackRate'>>): Promise<ObservedSale[]> {
  const offset = (opts.feedbackOffsetDays ?? 2) * DAY;
  const visits = await loadVisits(db, opts.agencyIds ?? null);
  const meta = await loadListings(db, [...visits.keys()]);
  const times = new Map<number, number[]>();
  for (const s of feedback) {
    if (s.listingId === null) continue;
    const list = times.get(s.listingId) ?? [];
    list.push(s.at.getTime());
    times.set(s.listingId, list);
  }
  const marketOf = new Map([...meta].map(([id, m]) => [id, m.marketId]));
  const fallback = (opts.unitsPerSale ?? 1) / (opts.feedbackRate ?? 1);
  const perMarket = new Map<number, number>();
  for (const c of calibrate(visits, times, marketOf, offset)) if (c.unitsPerFeedback !== null) perMarket.set(c.marketId, c.unitsPerFeedback);
  for (const [m, k] of Object.entries(opts.unitsPerFeedback ?? {})) perMarket.set(Number(m), k);
  const unitsOf = (marketId: number) => perMarket.get(marketId) ?? fallback;

  // A listing found on a market's first crawl may have sold before it; one found later is new and the stock it
  // first showed is what it started with, so its earlier feedback is already in the decrements.
  const firstCrawl = new Map<number, number>();
  for (const [id, vs] of visits) {
    const m = meta.get(id);
    const at = vs[0]?.at;
    if (m && at !== undefined) firstCrawl.set(m.marketId, Math.min(firstCrawl.get(m.marketId) ?? Infinity, at));
  }

  const lastCrawl = new Map<number, number>();
  for (const [id, vs] of visits) {
    const m = meta.get(id);
    const at = vs[vs.length - 1]?.at;
    if (m && at !== undefined) lastCrawl.set(m.marketId, Math.max(lastCrawl.get(m.marketId) ?? -Infinity, at));
  }
  const closures = await loadClosures(db);
  const lag = (opts.stockLagDays ?? 3.5) * DAY;
  const lossWindow = (opts.exitScamLossDays ?? 10) * DAY;

  const out: ObservedSale[] = [];
  const tailFeedback = new Map<number, ObservedSale[]>();
  const covered = new Map<number, (t: number) => boolean>();
  const tailRate = new Map<number, { units: number; at: Date; row: ObservedSale }>();
  const lastVisitOf = new Map([...visits].map(([id, vs]) => [id, (vs[vs.length - 1] as Visit).at]));
  for (const [listingId, vs] of visits) {
    const m = meta.get(listingId);
    if (!m || vs.length === 0) continue;
    const kinds = classify(vs);
    const first = vs[0] as Visit;
    const last = vs[vs.length - 1] as Visit;
    const closure = closures.get(m.marketId);
    // Orders in the last days before an exit scam are never finalised: the market stopped releasing escrow.
    const lostAfter = closure?.kind === 'exit_scam' ? closure.at - lossWindow : Infinity;
    const seenAtFirstCrawl = first.at <= (firstCrawl.get(m.marketId) ?? -Infinity);
    const cleanWindows: Array<[number, number]> = [];
    kinds.forEach((k, i) => {
      const from = vs[i] as Visit;
      const to = vs[i + 1] as Visit;
      if (k !== 'clean') return;
      cleanWindows.push([from.at + offset, to.at + offset]);
      const units = from.stock - to.stock;
      if (units <= 0 || to.at > lostAfter) return;
      out.push(stockRow(m, listingId, -to.snapshotId, new Date(to.at), units, from.priceUsd ?? to.priceUsd, opts.outlierFactor));
    });
    // The stock a crawler sees trails the sales by a few days, and the last sales' feedback is not written yet when
    // observation ends (the last crawl, or the market's closure): extrapolate the listing's recent stock rate over
    // that gap, unless the feedback after the last visit already says more.
    if (last.at >= (lastCrawl.get(m.marketId) ?? Infinity) && vs.length > 1) {
      const end = closure && closure.at > last.at ? Math.min(closure.at, lostAfter) : last.at;
      let units = 0;
      let span = 0;
      for (let i = kinds.length - 1; i >= 0 && span < RECENT_DAYS * DAY; i--) {
        if (kinds[i] !== 'clean') continue;
        const from = vs[i] as Visit;
        const to = vs[i + 1] as Visit;
        units += from.stock - to.stock;
        span += to.at - from.at;
      }
      const gap = Math.max(0, end - last.at) + (end <= lostAfter ? lag : 0);
      if (span > 0 && units > 0 && gap > 0) {
        tailRate.set(listingId, { units: (units / span) * gap, at: new Date(end), row: stockRow(m, listingId, -last.snapshotId, new Date(end), 0, last.priceUsd, opts.outlierFactor) });
      }
    }
    // Feedback in a clean window is already counted by the decrement; so is early feedback of a new listing.
    const firstEdge = first.at + offset;
    const newListing = !seenAtFirstCrawl && vs.length > 1;
    covered.set(listingId, (t) => (newListing && t <= firstEdge) || cleanWindows.some(([a, b]) => t > a && t <= b));
  }
  for (const s of feedback) {
    const isCovered = s.listingId !== null ? covered.get(s.listingId) : undefined;
    if (isCovered?.(s.at.getTime())) continue;
    const row = { ...s, units: unitsOf(s.marketId) };
    const tail = s.listingId !== null ? tailRate.get(s.listingId) : undefined;
    const lastVisit = s.listingId !== null ? lastVisitOf.get(s.listingId) : undefined;
    if (tail && lastVisit !== undefined && s.at.getTime() > lastVisit + offset) {
      const list = tailFeedback.get(s.listingId as number) ?? [];
      list.push(row);
      tailFeedback.set(s.listingId as number, list);
    } else out.push(row);
  }
  for (const [listingId, tail] of tailRate) {
    const fb = tailFeedback.get(listingId) ?? [];
    const fbUnits = fb.reduce((a, r) => a + (r.units ?? 0), 0);
    if (fbUnits >= tail.units) out.push(...fb);
    else out.push({ ...tail.row, units: tail.units });
  }
  return out;
}
