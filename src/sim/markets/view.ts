// A read-only index over one market's slice of the world, answering "what does the market show on day d".
import { priceOn, stockOn } from '../world/index.ts';
import type {
  SimAccount,
  SimBuyer,
  SimDay,
  SimFeedback,
  SimListing,
  SimMarket,
  SimPgpKey,
  SimSale,
  SubstanceClass,
  World,
} from '../world/index.ts';

/** One feedback entry as shown on a page (duplicated feedback appears twice, hidden feedback not at all). */
export interface ShownFeedback {
  saleId: string;
  listingId: string;
  buyerHandle: string;
  feedback: SimFeedback;
  priceUsd: number;
}

function activeOn(openDay: SimDay, closeDay: SimDay | undefined, day: SimDay): boolean {
  return openDay <= day && (closeDay === undefined || day <= closeDay);
}

export { priceOn, stockOn };

export class MarketView {
  readonly market: SimMarket;
  readonly #listings: SimListing[];
  readonly #listingByExternal = new Map<string, SimListing>();
  readonly #listingById = new Map<string, SimListing>();
  readonly #listingsByAccount = new Map<string, SimListing[]>();
  readonly #accounts: SimAccount[];
  readonly #accountById = new Map<string, SimAccount>();
  readonly #accountByHandle = new Map<string, SimAccount>();
  readonly #salesByListing = new Map<string, SimSale[]>();
  readonly #buyers = new Map<string, SimBuyer>();
  readonly #keys = new Map<string, SimPgpKey>();
  readonly #cache = new Map<string, unknown>();

  constructor(world: World, market: SimMarket) {
    this.market = market;
    this.#listings = world.listings
      .filter((l) => l.market === market.slug)
      .sort((a, b) => b.openDay - a.openDay || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const l of this.#listings) {
      this.#listingByExternal.set(l.externalId, l);
      this.#listingById.set(l.id, l);
      const own = this.#listingsByAccount.get(l.accountId) ?? [];
      own.push(l);
      this.#listingsByAccount.set(l.accountId, own);
    }
    this.#accounts = world.accounts.filter((a) => a.market === market.slug);
    for (const a of this.#accounts) {
      this.#accountById.set(a.id, a);
      this.#accountByHandle.set(a.handle.toLowerCase(), a);
    }
    for (const s of world.sales) {
      if (s.market !== market.slug || !s.feedback) continue;
      const list = this.#salesByListing.get(s.listingId) ?? [];
      list.push(s);
      this.#salesByListing.set(s.listingId, list);
    }
    for (const list of this.#salesByListing.values()) {
      list.sort((a, b) => (b.feedback?.day ?? 0) - (a.feedback?.day ?? 0) || b.at - a.at || (a.id < b.id ? -1 : 1));
    }
    for (const b of world.buyers) this.#buyers.set(b.id, b);
    for (const identity of world.identities) for (const key of identity.pgpKeys) this.#keys.set(key.fingerprint, key);
  }

  #memo<T>(key: string, build: () => T): T {
    if (this.#cache.has(key)) return this.#cache.get(key) as T;
    const value = build();
    if (this.#cache.size > 2000) this.#cache.clear();
    this.#cache.set(key, value);
    return value;
  }

  /** Listings shown on `day`, newest first, optionally one substance class only. */
  listings(day: SimDay, category?: SubstanceClass): SimListing[] {
    return this.#memo(`listings|${day}|${category ?? ''}`, () =>
      this.#listings.filter((l) => activeOn(l.openDay, l.closeDay, day) && this.vendorActive(l.accountId, day) &&
        (!category || l.substanceClass === category)),
    );
  }

  listing(externalId: string, day: SimDay): SimListing | undefined {
    const l = this.#listingByExternal.get(externalId);
    return l && activeOn(l.openDay, l.closeDay, day) && this.vendorActive(l.accountId, day) ? l : undefined;
  }

  vendorActive(accountId: string, day: SimDay): boolean {
    const a = this.#accountById.get(accountId);
    return !!a && activeOn(a.openDay, a.closeDay, day);
  }

  vendors(day: SimDay): SimAccount[] {
    return this.#memo(`vendors|${day}`, () =>
      this.#accounts.filter((a) => activeOn(a.openDay, a.closeDay, day)).sort((a, b) => (a.handle < b.handle ? -1 : 1)),
    );
  }

  account(id: string): SimAccount | undefined {
    return this.#accountById.get(id);
  }

  vendorByHandle(handle: string, day: SimDay): SimAccount | undefined {
    const a = this.#accountByHandle.get(handle.toLowerCase());
    return a && activeOn(a.openDay, a.closeDay, day) ? a : undefined;
  }

  vendorListings(accountId: string, day: SimDay): SimListing[] {
    if (!this.vendorActive(accountId, day)) return [];
    return (this.#listingsByAccount.get(accountId) ?? []).filter((l) => activeOn(l.openDay, l.closeDay, day));
  }

  /** Categories that have at least one listing on `day`, with counts, in a stable order. */
  categories(day: SimDay): Array<{ name: SubstanceClass; count: number }> {
    return this.#memo(`cats|${day}`, () => {
      const counts = new Map<SubstanceClass, number>();
      for (const l of this.listings(day)) counts.set(l.substanceClass, (counts.get(l.substanceClass) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([name, count]) => ({ name, count }));
    });
  }

  /** Feedback visible on `day` for one listing, newest first. */
  listingFeedback(listingId: string, day: SimDay): ShownFeedback[] {
    const out: ShownFeedback[] = [];
    for (const sale of this.#salesByListing.get(listingId) ?? []) {
      const fb = sale.feedback;
      if (!fb || fb.hidden || fb.day > day) continue;
      const entry: ShownFeedback = {
        saleId: sale.id,
        listingId,
        buyerHandle: this.#buyers.get(sale.buyerId)?.handle ?? 'anonymous',
        feedback: fb,
        priceUsd: sale.priceUsd,
      };
      out.push(entry);
      if (fb.duplicated) out.push(entry);
    }
    return out;
  }

  /** Feedback visible on `day` for all of a vendor's listings on this market (closed listings included). */
  vendorFeedback(accountId: string, day: SimDay): ShownFeedback[] {
    return this.#memo(`vfb|${accountId}|${day}`, () => {
      const all: ShownFeedback[] = [];
      for (const l of this.#listingsByAccount.get(accountId) ?? []) all.push(...this.listingFeedback(l.id, day));
      return all.sort((a, b) => b.feedback.day - a.feedback.day || (a.saleId < b.saleId ? -1 : a.saleId > b.saleId ? 1 : 0));
    });
  }

  /** The PGP key the account shows on `day`, if any. */
  shownKey(account: SimAccount, day: SimDay): SimPgpKey | undefined {
    const shown = account.pgpKeys.find((k) => k.fromDay <= day && (k.toDay === undefined || day <= k.toDay))
      ?? (day < (account.pgpKeys[0]?.fromDay ?? 0) ? account.pgpKeys[0] : undefined);
    return shown ? this.#keys.get(shown.fingerprint) : undefined;
  }

  listingTitle(listingId: string): string | undefined {
    return this.#listingById.get(listingId)?.title;
  }

  listingById(listingId: string): SimListing | undefined {
    return this.#listingById.get(listingId);
  }
}
