/**
 * The seized-data split (the Hansa / DisrupTor workflow): one STIX package per country, each holding only that
 * country's share of a seized market.
 *
 * Who belongs to a country X:
 *  - a buyer, if at least one of their orders shipped to X (a buyer who shipped to two countries is in both, each
 *    time with only the orders to that country);
 *  - a vendor, if one of their listings ships from X.
 *
 * What X's package holds: those accounts; the selectors (wallets, PGP keys, …) seen on them; for each buyer their
 * orders to X (date, listing, quantity, price, status, and the selling vendor's handle — the counterparty of the
 * buyer's own order); for each vendor their listings and their sales aggregated per destination country (no
 * buyer of another country is named); the messages written by X's accounts to X's accounts or to vendors.
 * Not in it: other countries' buyers, their orders and messages, and any selector only seen on other countries'
 * accounts; messages from a vendor to a buyer of another country (they may quote that buyer's address).
 * Accounts with no country (buyers without orders, vendors without ships-from data) are counted as unplaced.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { isRegisteredSelectorKind, normalizeRegisteredSelector } from '../../deconflict/selectors.ts';
import type { RegisteredSelectorKind } from '../../deconflict/selectors.ts';
import { buildPackage } from '../stix/build.ts';
import type { PackageInput, PackageManifest } from '../stix/build.ts';
import type { StixBundle } from '../stix/schemas.ts';
import { loadSeizedMarket, SeizedSplitError } from './load.ts';
import type { SeizedAccount, SeizedMarketData, SeizedOrder } from './load.ts';

export interface SeizedSplitOptions {
  producer: { agencyId: string; name: string; contact?: string };
  tlp?: Tlp;
  /** Package time; defaults to now. */
  created?: string;
}

export interface CountryShare {
  country: string;
  /** Account ids (store ids) of the buyers and vendors of this country. */
  buyers: number[];
  vendors: number[];
  orders: number;
  messages: number;
  selectors: number;
}

export interface CountryPackage extends CountryShare {
  bundle: StixBundle;
  manifest: PackageManifest;
}

export interface SeizedSplit {
  market: { id: number; slug: string; name: string };
  created: string;
  tlp: Tlp;
  packages: CountryPackage[];
  /** What no country package holds, by count: buyers without an order country, vendors without ships-from. */
  unplaced: { buyers: number; vendors: number; orders: number };
  /** Selectors left out because they do not normalise (kept in the store, not exported). */
  warnings: string[];
}

const COUNTRY = /^[A-Z]{2}$/;
const MAX_NOTE = 90_000;
const MAX_NOTES = 9_000;

/** How the importers key accounts by handle (src/collect/import/common.ts normHandle). */
function norm(handle: string): string {
  return (handle.slice(0, 200) || '(unnamed)').normalize('NFKC').trim().toLowerCase();
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

const day = (d: Date | null) => (d ? d.toISOString().slice(0, 10) : 'undated');
const money = (v: number | null, cur: string | null) => (v === null ? 'price unknown' : `${v.toFixed(2)} ${cur ?? ''}`.trim());

/** Who is where. Pure: the test and the CLI's summary use it too. */
export function planSeizedSplit(data: SeizedMarketData): {
  countries: string[];
  buyersOf: Map<string, Set<number>>;
  vendorsOf: Map<string, Set<number>>;
  vendorIds: Set<number>;
  accountByNorm: Map<string, SeizedAccount>;
  /** The account an order or message names: its exact handle first (accounts whose handles fold alike are kept apart), else the folded form. */
  accountOf: (name: string) => SeizedAccount | undefined;
  unplaced: SeizedSplit['unplaced'];
} {
  const accountByNorm = new Map(data.accounts.map((a) => [a.handleNorm, a]));
  const accountByHandle = new Map<string, SeizedAccount>();
  for (const a of data.accounts) if (!accountByHandle.has(a.handle)) accountByHandle.set(a.handle, a);
  const accountOf = (name: string) => accountByHandle.get(name) ?? accountByNorm.get(norm(name));
  const vendorIds = new Set<number>();
  const vendorCountries = new Map<number, Set<string>>();
  for (const l of data.listings) {
    if (l.vendorId === null) continue;
    vendorIds.add(l.vendorId);
    const set = vendorCountries.get(l.vendorId) ?? new Set<string>();
    for (const c of l.shipsFrom) set.add(c);
    vendorCountries.set(l.vendorId, set);
  }
  for (const o of data.orders) if (o.vendorId !== null) vendorIds.add(o.vendorId);
  const buyersOf = new Map<string, Set<number>>();
  const vendorsOf = new Map<string, Set<number>>();
  const add = (m: Map<string, Set<number>>, c: string, id: number) => {
    const set = m.get(c) ?? new Set<number>();
    set.add(id);
    m.set(c, set);
  };
  let unplacedOrders = 0;
  const placedBuyers = new Set<number>();
  for (const o of data.orders) {
    const buyer = o.buyer === null ? undefined : accountOf(o.buyer);
    if (!buyer || !o.buyerCountry || !COUNTRY.test(o.buyerCountry)) {
      unplacedOrders++;
      continue;
    }
    add(buyersOf, o.buyerCountry, buyer.id);
    placedBuyers.add(buyer.id);
  }
  let unplacedVendors = 0;
  for (const v of vendorIds) {
    const cs = vendorCountries.get(v);
    if (!cs || cs.size === 0) unplacedVendors++;
    for (const c of cs ?? []) add(vendorsOf, c, v);
  }
  const unplacedBuyers = data.accounts.filter((a) => !vendorIds.has(a.id) && !placedBuyers.has(a.id)).length;
  const countries = [...new Set([...buyersOf.keys(), ...vendorsOf.keys()])].sort();
  return { countries, buyersOf, vendorsOf, vendorIds, accountByNorm, accountOf, unplaced: { buyers: unplacedBuyers, vendors: unplacedVendors, orders: unplacedOrders } };
}

/** Split one imported seized market into per-country packages (unsigned; sign each with `signPackage`). */
export async function splitSeizedMarket(db: Kysely<Database>, marketId: number, options: SeizedSplitOptions): Promise<SeizedSplit> {
  return splitSeizedData(await loadSeizedMarket(db, marketId), options);
}

export function splitSeizedData(data: SeizedMarketData, options: SeizedSplitOptions): SeizedSplit {
  const plan = planSeizedSplit(data);
  if (plan.countries.length === 0) {
    throw new SeizedSplitError(`market ${data.market.slug} has no orders with a buyer country and no listings with ships-from: nothing to split`);
  }
  const created = new Date(options.created ?? new Date().toISOString()).toISOString();
  const tlp = options.tlp ?? 'AMBER';
  const warnings: string[] = [];
  const accountById = new Map(data.accounts.map((a) => [a.id, a]));
  const listingById = new Map(data.listings.map((l) => [l.id, l]));
  const handleOf = (id: number | null) => (id === null ? 'unknown' : (accountById.get(id)?.handle ?? `account ${id}`));

  // Selectors by account, normalised once (invalid ones are reported, not exported).
  const selectorsByAccount = new Map<number, { kind: RegisteredSelectorKind; value: string; captureIds: Set<number> }[]>();
  for (const s of data.selectors) {
    if (!isRegisteredSelectorKind(s.kind)) continue;
    let value: string;
    try {
      value = normalizeRegisteredSelector(s.kind, s.value);
    } catch (e) {
      warnings.push(`${s.kind} ${s.value.slice(0, 40)}: ${(e as Error).message}; not exported`);
      continue;
    }
    const list = selectorsByAccount.get(s.vendorId) ?? [];
    let e = list.find((x) => x.kind === s.kind && x.value === value);
    if (!e) list.push((e = { kind: s.kind, value, captureIds: new Set() }));
    if (s.captureId !== null) e.captureIds.add(s.captureId);
    selectorsByAccount.set(s.vendorId, list);
  }

  const ordersByBuyer = new Map<number, SeizedOrder[]>();
  const ordersByVendor = new Map<number, SeizedOrder[]>();
  for (const o of data.orders) {
    const b = o.buyer === null ? undefined : plan.accountOf(o.buyer);
    if (b) push(ordersByBuyer, b.id, o);
    if (o.vendorId !== null) push(ordersByVendor, o.vendorId, o);
  }
  const listingsByVendor = new Map<number, SeizedMarketData['listings']>();
  for (const l of data.listings) if (l.vendorId !== null) push(listingsByVendor, l.vendorId, l);

  const packages = plan.countries.map((country) => {
    const buyers = plan.buyersOf.get(country) ?? new Set<number>();
    const vendors = plan.vendorsOf.get(country) ?? new Set<number>();
    const members = new Set([...buyers, ...vendors]);
    const blocks: { accountId: number; text: string }[] = [];
    let orderCount = 0;
    // The captures this package's rows come from: only their digests go in as evidence.
    const used = new Set<number>();
    const cite = (captureId: number | null | undefined) => {
      if (captureId !== null && captureId !== undefined) used.add(captureId);
    };
    for (const id of members) cite(accountById.get(id)?.captureId);

    for (const id of [...buyers].sort((a, b) => a - b)) {
      const orders = (ordersByBuyer.get(id) ?? []).filter((o) => o.buyerCountry === country);
      orderCount += orders.length;
      for (const o of orders) cite(o.captureId);
      const lines = orders.map((o) => {
        const l = o.listingId === null ? undefined : listingById.get(o.listingId);
        return `order ${o.externalId} ${day(o.orderedAt)}: ${o.quantity ?? '?'} x "${l?.title ?? 'unknown listing'}" from vendor ${handleOf(o.vendorId)}, ${money(o.price, o.currency)}, ${o.status ?? 'status unknown'}`;
      });
      blocks.push({ accountId: id, text: `Buyer ${handleOf(id)}: ${orders.length} order(s) shipped to ${country}\n${lines.join('\n')}` });
    }
    for (const id of [...vendors].sort((a, b) => a - b)) {
      const listings = listingsByVendor.get(id) ?? [];
      const from = [...new Set(listings.flatMap((l) => l.shipsFrom))].sort();
      const sales = ordersByVendor.get(id) ?? [];
      for (const l of listings) cite(l.captureId);
      for (const o of sales) cite(o.captureId);
      const perDest = new Map<string, { n: number; total: number; currency: string }>();
      for (const o of sales) {
        const k = o.buyerCountry && COUNTRY.test(o.buyerCountry) ? o.buyerCountry : 'unknown';
        const e = perDest.get(k) ?? { n: 0, total: 0, currency: o.currency ?? '' };
        e.n++;
        e.total += o.price ?? 0;
        perDest.set(k, e);
      }
      const dest = [...perDest].sort(([a], [b]) => a.localeCompare(b)).map(([c, e]) => `${c} ${e.n} (${e.total.toFixed(2)} ${e.currency})`.trim());
      blocks.push({
        accountId: id,
        text: [
          `Vendor ${handleOf(id)}: ships from ${from.join(', ')}`,
          `listings (${listings.length}):`,
          ...listings.map((l) => `listing ${l.externalId}: "${l.title}"${l.category ? ` [${l.category}]` : ''}`),
          `sales: ${sales.length} order(s); by destination country: ${dest.join('; ') || 'none'}`,
        ].join('\n'),
      });
    }
    // Messages written by this country's accounts to this country's accounts or to vendors.
    const written = new Map<number, string[]>();
    let messageCount = 0;
    for (const m of data.messages) {
      const s = m.sender === null ? undefined : plan.accountOf(m.sender);
      const r = m.recipient === null ? undefined : plan.accountOf(m.recipient);
      if (!s || !members.has(s.id)) continue;
      if (!r || !(members.has(r.id) || plan.vendorIds.has(r.id))) continue;
      messageCount++;
      cite(m.captureId);
      const body = m.body.replace(/\r?\n/g, ' / ');
      push(written, s.id, `message ${m.externalId} ${day(m.sentAt)} to ${r.handle}${m.thread ? ` [${m.thread}]` : ''}: ${body}`);
    }
    for (const [id, lines] of [...written].sort(([a], [b]) => a - b)) {
      blocks.push({ accountId: id, text: `Messages written by ${handleOf(id)} (${lines.length}):\n${lines.join('\n')}` });
    }

    const selectorAccounts = new Map<string, { kind: RegisteredSelectorKind; value: string; accountIds: string[] }>();
    for (const id of members) {
      for (const s of selectorsByAccount.get(id) ?? []) {
        const k = `${s.kind}\u0000${s.value}`;
        for (const c of s.captureIds) cite(c);
        const e = selectorAccounts.get(k) ?? { kind: s.kind, value: s.value, accountIds: [] };
        e.accountIds.push(String(id));
        selectorAccounts.set(k, e);
      }
    }

    const input: PackageInput = {
      producer: options.producer,
      subject: {
        kind: 'case',
        id: `seized:${data.market.slug}:${country}`,
        name: `${data.market.name} (seized): share for ${country}`,
        description:
          `Data of the seized source ${data.market.name} concerning ${country}: ${buyers.size} buyer(s) with orders shipped to ${country}, ` +
          `${vendors.size} vendor(s) shipping from ${country}, their selectors, orders and messages. Other countries' buyers are not in this package.`,
      },
      accounts: [...members].sort((a, b) => a - b).map((id) => {
        const a = accountById.get(id)!;
        return { id: String(id), handle: a.handle, source: { kind: 'seized_db' as const, name: data.market.name }, firstSeen: a.firstSeen.toISOString(), lastSeen: a.lastSeen.toISOString() };
      }),
      selectors: [...selectorAccounts.values()],
      notes: toNotes(blocks),
      tlp,
      evidence: data.captures.filter((c) => used.has(c.id)).map((c) => ({ captureId: String(c.id), sha256: c.sha256, url: c.url, fetchedAt: c.fetchedAt.toISOString() })),
      created,
    };
    const { bundle, manifest } = buildPackage(input);
    return {
      country,
      buyers: [...buyers].sort((a, b) => a - b),
      vendors: [...vendors].sort((a, b) => a - b),
      orders: orderCount,
      messages: messageCount,
      selectors: selectorAccounts.size,
      bundle,
      manifest,
    };
  });
  return { market: { id: data.market.id, slug: data.market.slug, name: data.market.name }, created, tlp, packages, unplaced: plan.unplaced, warnings };
}

/** One note per account block (long blocks split by lines); many accounts are packed so a package stays within 10,000 notes. */
function toNotes(blocks: { accountId: number; text: string }[]): NonNullable<PackageInput['notes']> {
  const pieces: { accountIds: number[]; text: string }[] = [];
  for (const b of blocks) {
    let cur = '';
    // A line longer than a note (a huge message body) continues over several lines.
    const lines = b.text.split('\n').flatMap((line) => Array.from({ length: Math.ceil(line.length / (MAX_NOTE - 100)) || 1 }, (_, i) => (i ? '(cont.) ' : '') + line.slice(i * (MAX_NOTE - 100), (i + 1) * (MAX_NOTE - 100))));
    for (const l of lines) {
      if (cur && cur.length + l.length + 1 > MAX_NOTE) {
        pieces.push({ accountIds: [b.accountId], text: cur });
        cur = '';
      }
      cur = cur ? `${cur}\n${l}` : l;
    }
    if (cur) pieces.push({ accountIds: [b.accountId], text: cur });
  }
  let packed = pieces;
  if (pieces.length > MAX_NOTES) {
    packed = [];
    for (const p of pieces) {
      const last = packed.at(-1);
      if (last && last.text.length + p.text.length + 2 <= MAX_NOTE) {
        last.text += `\n\n${p.text}`;
        if (!last.accountIds.includes(p.accountIds[0]!)) last.accountIds.push(p.accountIds[0]!);
      } else packed.push({ accountIds: [...p.accountIds], text: p.text });
    }
    if (packed.length > 10_000) throw new SeizedSplitError(`one country's share needs ${packed.length} notes; a package holds at most 10,000`);
  }
  return packed.map((p) => ({ content: p.text, about: p.accountIds.map((id) => ({ kind: 'account' as const, id: String(id) })) }));
}
