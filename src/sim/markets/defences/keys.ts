// The PGP keys of the defences: the market's signing key (mirror lists) and the two-factor key of each undercover
// account. Both derive from the market's server seed, so a seed always gives the same keys.
import { buildPgpSecretKey, type BuiltPgpSecretKey } from '../../pgp/index.ts';
import type { SimMarket } from '../../world/index.ts';
import { dayToUnix } from '../../world/index.ts';

const cache = new Map<string, BuiltPgpSecretKey>();

function cached(k: string, make: () => BuiltPgpSecretKey): BuiltPgpSecretKey {
  let key = cache.get(k);
  if (!key) {
    key = make();
    if (cache.size > 1000) cache.clear();
    cache.set(k, key);
  }
  return key;
}

/** The key a market signs its mirror lists with (created on its opening day). */
export function marketSigningKey(market: SimMarket): BuiltPgpSecretKey {
  return cached(`${market.serverSeed}/signing`, () =>
    buildPgpSecretKey({ seed: `${market.serverSeed}/signing`, created: dayToUnix(market.openDay), userId: `${market.name} <staff@${market.onion}>`, encryptionSubkey: true }));
}

/** The key an undercover account registered for two-factor login. */
export function accountTwoFactorKey(market: SimMarket, username: string): BuiltPgpSecretKey {
  return cached(`${market.serverSeed}/2fa/${username}`, () =>
    buildPgpSecretKey({ seed: `${market.serverSeed}/2fa/${username}`, created: dayToUnix(Math.min(0, market.openDay)), userId: username, encryptionSubkey: true }));
}
