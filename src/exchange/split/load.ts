/**
 * Reads one imported seized market from the store: its accounts, listings (with the countries they ship from),
 * orders (with the buyer's shipping country), messages, the selectors seen on its accounts, and the captures
 * (the preserved dump) they came from. Read-only; one query per table.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../store/index.ts';

export interface SeizedAccount {
  id: number;
  handle: string;
  /** `normHandle` form: how orders and messages name the account. */
  handleNorm: string;
  firstSeen: Date;
  lastSeen: Date;
  /** The capture (preserved file or page) the row comes from. */
  captureId: number | null;
}

export interface SeizedListing {
  id: number;
  vendorId: number | null;
  externalId: string;
  title: string;
  category: string | null;
  /** Countries the listing's snapshots say it ships from (upper-case ISO 3166-1 alpha-2). */
  shipsFrom: string[];
  captureId: number | null;
}

export interface SeizedOrder {
  id: number;
  externalId: string;
  listingId: number | null;
  vendorId: number | null;
  buyer: string | null;
  buyerCountry: string | null;
  quantity: number | null;
  price: number | null;
  currency: string | null;
  orderedAt: Date | null;
  status: string | null;
  captureId: number | null;
}

export interface SeizedMessage {
  id: number;
  externalId: string;
  sender: string | null;
  recipient: string | null;
  thread: string | null;
  sentAt: Date | null;
  body: string;
  captureId: number | null;
}

export interface SeizedSelector {
  kind: string;
  value: string;
  vendorId: number;
  captureId: number | null;
}

export interface SeizedCapture {
  id: number;
  url: string;
  sha256: string;
  fetchedAt: Date;
}

export interface SeizedMarketData {
  market: { id: number; slug: string; name: string; kind: string; agencyId: number };
  accounts: SeizedAccount[];
  listings: SeizedListing[];
  orders: SeizedOrder[];
  messages: SeizedMessage[];
  selectors: SeizedSelector[];
  captures: SeizedCapture[];
}

export class SeizedSplitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeizedSplitError';
  }
}

/** Finds a market by numeric id, slug or name (case-insensitive), of one agency if given; several matches are an error. */
export async function findMarket(db: Kysely<Database>, ref: string, agencyId?: number): Promise<{ id: number; slug: string; name: string; kind: string; agency_id: number }> {
  let q = db.selectFrom('markets').select(['id', 'slug', 'name', 'kind', 'agency_id']);
  if (agencyId !== undefined) q = q.where('agency_id', '=', agencyId);
  const rows = /^\d+$/.test(ref)
    ? await q.where('id', '=', Number(ref)).execute()
    : await q.where((eb) => eb.or([eb(eb.fn('lower', ['slug']), '=', ref.toLowerCase()), eb(eb.fn('lower', ['name']), '=', ref.toLowerCase())])).execute();
  if (rows.length === 0) throw new SeizedSplitError(`no market ${ref}${agencyId !== undefined ? ' of this agency' : ''}`);
  if (rows.length > 1) throw new SeizedSplitError(`${rows.length} markets match ${ref} (ids ${rows.map((r) => r.id).join(', ')}): give the id`);
  return rows[0]!;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function loadSeizedMarket(db: Kysely<Database>, marketId: number): Promise<SeizedMarketData> {
  const m = await db.selectFrom('markets').select(['id', 'slug', 'name', 'kind', 'agency_id']).where('id', '=', marketId).executeTakeFirst();
  if (!m) throw new SeizedSplitError(`no market ${marketId}`);
  const accounts = await db
    .selectFrom('vendors')
    .select(['id', 'handle', 'handle_norm', 'first_seen', 'last_seen', 'capture_id'])
    .where('market_id', '=', marketId)
    .orderBy('id')
    .execute();
  const listings = await db.selectFrom('listings').select(['id', 'vendor_id', 'external_id', 'title', 'category', 'capture_id']).where('market_id', '=', marketId).orderBy('id').execute();
  const ships = await db
    .selectFrom('listing_snapshots as s')
    .innerJoin('listings as l', 'l.id', 's.listing_id')
    .select(['s.listing_id', 's.ships_from'])
    .distinct()
    .where('l.market_id', '=', marketId)
    .where('s.ships_from', 'is not', null)
    .execute();
  const shipsFrom = new Map<number, Set<string>>();
  for (const s of ships) {
    const cc = (s.ships_from ?? '').trim().toUpperCase();
    if (!/^[A-Z]{2}$/.test(cc)) continue;
    const set = shipsFrom.get(s.listing_id) ?? new Set<string>();
    set.add(cc);
    shipsFrom.set(s.listing_id, set);
  }
  const orders = await db
    .selectFrom('orders')
    .select(['id', 'external_id', 'listing_id', 'vendor_id', 'buyer', 'buyer_country', 'quantity', 'price', 'currency', 'ordered_at', 'status', 'capture_id'])
    .where('market_id', '=', marketId)
    .orderBy('id')
    .execute();
  const messages = await db
    .selectFrom('messages')
    .select(['id', 'external_id', 'sender', 'recipient', 'thread', 'sent_at', 'body', 'capture_id'])
    .where('market_id', '=', marketId)
    .orderBy('id')
    .execute();
  const selectors = await db
    .selectFrom('selector_sightings as ss')
    .innerJoin('selectors as s', 's.id', 'ss.selector_id')
    .innerJoin('vendors as v', 'v.id', 'ss.vendor_id')
    .select(['s.kind', 's.value', 'ss.vendor_id', 'ss.capture_id'])
    .distinct()
    .where('v.market_id', '=', marketId)
    .execute();
  const captures = await db
    .selectFrom('captures')
    .select(['id', 'url', 'payload_sha256', 'fetched_at'])
    .where('market_id', '=', marketId)
    .orderBy('id')
    .execute();
  return {
    market: { id: m.id, slug: m.slug, name: m.name, kind: m.kind, agencyId: m.agency_id },
    accounts: accounts.map((a) => ({ id: a.id, handle: a.handle, handleNorm: a.handle_norm, firstSeen: a.first_seen, lastSeen: a.last_seen, captureId: a.capture_id })),
    listings: listings.map((l) => ({
      id: l.id,
      vendorId: l.vendor_id,
      externalId: l.external_id,
      title: l.title,
      category: l.category,
      shipsFrom: [...(shipsFrom.get(l.id) ?? [])].sort(),
      captureId: l.capture_id,
    })),
    orders: orders.map((o) => ({
      id: Number(o.id),
      externalId: o.external_id,
      listingId: o.listing_id,
      vendorId: o.vendor_id,
      buyer: o.buyer,
      buyerCountry: o.buyer_country ? o.buyer_country.trim().toUpperCase() : null,
      quantity: num(o.quantity),
      price: num(o.price),
      currency: o.currency,
      orderedAt: o.ordered_at,
      status: o.status,
      captureId: o.capture_id,
    })),
    messages: messages.map((x) => ({ id: Number(x.id), externalId: x.external_id, sender: x.sender, recipient: x.recipient, thread: x.thread, sentAt: x.sent_at, body: x.body ?? '', captureId: x.capture_id })),
    selectors: selectors.map((s) => ({ kind: s.kind, value: s.value, vendorId: s.vendor_id!, captureId: s.capture_id })),
    captures: captures.map((c) => ({ id: c.id, url: c.url, sha256: c.payload_sha256, fetchedAt: c.fetched_at })),
  };
}
