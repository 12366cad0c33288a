/**
 * Monero addresses in selectors: mainnet standard (4…, 95 chars), subaddress (8…, 95) and integrated
 * (4…, 106). Decoding and the Keccak-256 checksum are src/domain/monero.ts (shared with the sim).
 */
import { decodeMoneroAddress } from '../../domain/monero.ts';
import type { CoinAddressMeta } from '../../domain/index.ts';

export interface MoneroAddress {
  value: string;
  meta: CoinAddressMeta;
}

export function validateMoneroAddress(s: string): MoneroAddress | undefined {
  if (s.length !== 95 && s.length !== 106) return undefined;
  let decoded: ReturnType<typeof decodeMoneroAddress>;
  try {
    decoded = decodeMoneroAddress(s);
  } catch {
    return undefined;
  }
  if (decoded.network !== 'mainnet') return undefined;
  const meta: CoinAddressMeta = { type: decoded.type };
  if (decoded.paymentId) meta.paymentId = Buffer.from(decoded.paymentId).toString('hex');
  return { value: s, meta };
}
