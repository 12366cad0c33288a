import { pgpKey } from '../pgp/index.ts';
import type { SimAccount, SimIdentity, SimListing, SimMarket, SimPgpKey, SimSale, World } from './types.ts';

/** Lookup maps the servers and exporters need (built once per world). */
export interface WorldIndex {
  market: Map<string, SimMarket>;
  identity: Map<string, SimIdentity>;
  account: Map<string, SimAccount>;
  listing: Map<string, SimListing>;
  /** Market slug → its vendor accounts. */
  accountsByMarket: Map<string, SimAccount[]>;
  /** Account id → its listings. */
  listingsByAccount: Map<string, SimListing[]>;
  /** Listing id → its sales in time order. */
  salesByListing: Map<string, SimSale[]>;
  /** Fingerprint → key. */
  key: Map<string, SimPgpKey>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const l = m.get(k);
  if (l) l.push(v);
  else m.set(k, [v]);
}

export function indexWorld(world: World): WorldIndex {
  const idx: WorldIndex = {
    market: new Map(world.markets.map((m) => [m.slug, m])),
    identity: new Map(world.identities.map((i) => [i.id, i])),
    account: new Map(world.accounts.map((a) => [a.id, a])),
    listing: new Map(world.listings.map((l) => [l.id, l])),
    accountsByMarket: new Map(),
    listingsByAccount: new Map(),
    salesByListing: new Map(),
    key: new Map(),
  };
  for (const a of world.accounts) if (a.market) push(idx.accountsByMarket, a.market, a);
  for (const l of world.listings) push(idx.listingsByAccount, l.accountId, l);
  for (const s of world.sales) push(idx.salesByListing, s.listingId, s);
  for (const i of world.identities) for (const k of i.pgpKeys) idx.key.set(k.fingerprint, k);
  return idx;
}

export function keyByFingerprint(world: World, fingerprint: string): SimPgpKey | undefined {
  for (const i of world.identities) for (const k of i.pgpKeys) if (k.fingerprint === fingerprint) return k;
  return undefined;
}

/** The ASCII-armored public key block of a key (built on first use, then cached). */
export function armoredKeyOf(key: SimPgpKey): string {
  const built = pgpKey({ seed: key.seed, created: key.created, userId: key.userId, encryptionSubkey: key.hasEncryptionSubkey });
  if (built.fingerprint !== key.fingerprint) throw new Error(`key ${key.fingerprint} does not rebuild to the same fingerprint`);
  return built.armored;
}
