import type { SubstanceSpec } from './substances.ts';
import type { Rng } from './rng.ts';
import type {
  ScaleParams, SimAccount, SimBuyer, SimChannel, SimCryptoAddress, SimEvent, SimIdentity, SimListing, SimMarket,
  SimMessage, SimSale, SimTimeline, TruthMigration,
} from './types.ts';

export type Timeline = SimTimeline;

/** Generator-private facts about an identity that the public model does not carry. */
export interface IdentityPlan {
  identity: SimIdentity;
  rng: Rng;
  /** The handle the identity uses on its anchor account (same-name aliases reuse it). */
  baseHandle: string;
  specs: SubstanceSpec[];
  /** Vendor's price level relative to the market (0.8..1.25). */
  priceLevel: number;
  shipsTo: string[];
  /** Index in `identity.pgpKeys` of the main key chain (1 or 2 keys: rotation). */
  mainKeys: number[];
  /** Hidden cash-out address (only visible in the seized database's wallets). */
  cashout: SimCryptoAddress;
  accounts: SimAccount[];
}

/** Everything the generator stages share while building one world. */
export interface GenContext {
  seed: string;
  rng: Rng;
  p: ScaleParams;
  days: number;
  markets: SimMarket[];
  marketWeight: Map<string, number>;
  timeline: Timeline;
  plans: IdentityPlan[];
  accounts: SimAccount[];
  /** Private receiving addresses of each account (market wallets). */
  accountAddrs: Map<string, SimCryptoAddress[]>;
  /** New account → the closed account it continues after a takedown or exit scam. */
  migratedFrom: Map<string, string>;
  listings: SimListing[];
  /** Listing id → catalogue entry (later stages need the product, not only its name). */
  specOf: Map<string, SubstanceSpec>;
  buyers: SimBuyer[];
  sales: SimSale[];
  channels: SimChannel[];
  messages: SimMessage[];
  events: SimEvent[];
  migrations: TruthMigration[];
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Weighted picking from a large list in O(log n) via cumulative weights. */
export class CumulativePicker<T> {
  private readonly cum: Float64Array;
  constructor(private readonly items: readonly T[], weights: readonly number[]) {
    this.cum = new Float64Array(items.length);
    let t = 0;
    for (let i = 0; i < items.length; i++) {
      t += weights[i] ?? 0;
      this.cum[i] = t;
    }
  }
  get size(): number {
    return this.items.length;
  }
  pick(rng: Rng): T {
    const total = this.cum[this.cum.length - 1] ?? 0;
    const r = rng.next() * total;
    let lo = 0;
    let hi = this.cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.cum[mid] as number) > r) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo] as T;
  }
}
