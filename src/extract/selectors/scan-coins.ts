/** Crypto addresses in text: candidates by shape, kept only when their checksum holds. */
import type { ScanContext } from './scan-context.ts';
import { validateBase58Address, validateEthAddress, validateSegwitAddress } from './coins.ts';
import { validateMoneroAddress } from './monero.ts';

const B58 = '1-9A-HJ-NP-Za-km-z';
const BASE58_CANDIDATE = new RegExp(`(?<![0-9A-Za-z])[13LMmn2Q][${B58}]{25,34}(?![0-9A-Za-z])`, 'g');
const BECH32_CANDIDATE = /(?<![0-9A-Za-z])(?:bc1|BC1|ltc1|LTC1|tb1|TB1|bcrt1|BCRT1|tltc1|TLTC1|rltc1|RLTC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}(?![0-9A-Za-z])/g;
const ETH_CANDIDATE = /(?<![0-9A-Za-z])0x[0-9a-fA-F]{40}(?![0-9A-Za-z])/g;
const XMR_CANDIDATE = new RegExp(`(?<![0-9A-Za-z])[4-9AB][${B58}]{94}(?:[${B58}]{11})?(?![0-9A-Za-z])`, 'g');

export function scanCoins(ctx: ScanContext): void {
  if (ctx.wants('btc_address') || ctx.wants('ltc_address')) {
    ctx.each(BASE58_CANDIDATE, (m) => {
      const a = validateBase58Address(m[0]);
      if (a && a.kind !== 'eth_address') ctx.emit({ kind: a.kind, start: m.index, end: m.index + m[0].length, value: a.value, meta: a.meta });
    });
    ctx.each(BECH32_CANDIDATE, (m) => {
      const a = validateSegwitAddress(m[0]);
      if (a && a.kind !== 'eth_address') ctx.emit({ kind: a.kind, start: m.index, end: m.index + m[0].length, value: a.value, meta: a.meta });
    });
  }
  if (ctx.wants('eth_address')) {
    ctx.each(ETH_CANDIDATE, (m) => {
      const a = validateEthAddress(m[0]);
      if (a) ctx.emit({ kind: 'eth_address', start: m.index, end: m.index + m[0].length, value: a.value, meta: a.meta });
    });
  }
  if (ctx.wants('xmr_address')) {
    ctx.each(XMR_CANDIDATE, (m) => {
      const a = validateMoneroAddress(m[0]);
      if (a) ctx.emit({ kind: 'xmr_address', start: m.index, end: m.index + m[0].length, value: a.value, meta: a.meta });
    });
  }
}
