/**
 * PGP fingerprints written out in text ("PGP fingerprint: 9505 720A 4734 B400 29B2  511C 0887 4A6E 3DBA ABE2",
 * "gpg --recv-keys 9505720A…"). Forty hex digits are also SHA-1 hashes and commit ids, so a PGP word must
 * stand just before. `0x`-prefixed forty hex digits are Ethereum addresses, never fingerprints.
 */
import type { ScanContext } from './scan-context.ts';

export const FINGERPRINT = /(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{4}(?:[ \u00a0]{1,2}[0-9A-Fa-f]{4}){9})(?![0-9A-Za-z])/g;
const PGP_WORDS = /\b(?:fingerprint|fingerprints|fpr|pgp|gpg|gnupg|openpgp|pubkey|public key)\b/;

export function scanFingerprints(ctx: ScanContext): void {
  if (!ctx.wants('pgp_key')) return;
  ctx.each(FINGERPRINT, (m) => {
    if (!PGP_WORDS.test(ctx.before(m.index, 40))) return;
    const value = m[0].replace(/[\s\u00a0]/g, '').toUpperCase();
    ctx.emit({ kind: 'pgp_key', start: m.index, end: m.index + m[0].length, value, meta: { source: 'fingerprint', keyId: value.slice(24) } });
  });
}
