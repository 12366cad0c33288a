/** Onion service names: v3 (56 chars, checksum and version checked) and legacy v2 (16 chars, flagged). */
import type { ScanContext } from './scan-context.ts';
import { isValidOnionV3 } from '../../domain/index.ts';

// Dashes after the name are punctuation ("xxxx.onion----", "xxxx.onion-"); only a dash that starts another host
// label ("xxxx.onion-mirror.com") makes it part of a longer clearnet name.
const ONION_CANDIDATE = /(?<![A-Za-z0-9])([A-Za-z2-7]{56}|[A-Za-z2-7]{16})\.onion(?![A-Za-z0-9]|-[A-Za-z0-9][A-Za-z0-9-]*\.[A-Za-z])/gi;

export function validateOnion(label: string): { version: 2 | 3 } | undefined {
  const l = label.toLowerCase();
  if (l.length === 56) return isValidOnionV3(l) ? { version: 3 } : undefined;
  if (l.length === 16 && /^[a-z2-7]{16}$/.test(l)) return { version: 2 };
  return undefined;
}

export function scanOnions(ctx: ScanContext): void {
  if (!ctx.wants('onion')) return;
  ctx.each(ONION_CANDIDATE, (m) => {
    const label = m[1] as string;
    const v = validateOnion(label);
    if (!v) return;
    ctx.emit({
      kind: 'onion',
      start: m.index,
      end: m.index + m[0].length,
      value: `${label.toLowerCase()}.onion`,
      meta: { version: v.version, legacy: v.version === 2 },
    });
  });
}
