import type { Selector } from '../../domain/index.ts';

/** First occurrence of each (kind, value), in input order. */
export function uniqueSelectors(list: readonly Selector[]): Selector[] {
  const seen = new Set<string>();
  const out: Selector[] = [];
  for (const s of list) {
    const key = `${s.kind}\u0000${s.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(s);
  }
  return out;
}
