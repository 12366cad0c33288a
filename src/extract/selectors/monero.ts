/**
 * Monero addresses in selectors: standard (mainnet 4…, 95 chars), subaddress (8…, 95) and integrated
 * (4…, 106); testnet (9/A/B…) and stagenet (5/7…) addresses are labelled with their network. Decoding and the Keccak-256 checksum are src/domain/monero.ts (shared with the sim).
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
  const meta: CoinAddressMeta = decoded.network === 'mainnet' ? { type: decoded.type } : { type: decoded.type, network: decoded.network };
  if (decoded.paymentId) meta.paymentId = Buffer.from(decoded.paymentId).toString('hex');
  return { value: s, meta };
}
