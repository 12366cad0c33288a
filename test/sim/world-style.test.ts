import { describe, expect, it } from 'vitest';
import { generateWorld, type SimAccount, type World } from '../../src/sim/world/index.ts';

// A deliberately simple stylometric linker (character 3-gram profiles, cosine similarity) stands in for the
// real one: style-only aliases must be findable far above chance, yet not trivially (texts are noisy).

function textsOf(world: World, a: SimAccount): string {
  const parts = [a.profileText];
  for (const l of world.listings) if (l.accountId === a.id) parts.push(l.title, l.description);
  for (const m of world.messages) if (m.accountId === a.id) parts.push(m.parts.map((p) => p.text).join(''));
  return parts.join('\n');
}

function profile(text: string): Map<string, number> {
  const v = new Map<string, number>();
  for (let i = 0; i + 3 <= text.length; i++) {
    const g = text.slice(i, i + 3);
    v.set(g, (v.get(g) ?? 0) + 1);
  }
  let norm = 0;
  for (const x of v.values()) norm += x * x;
  norm = Math.sqrt(norm);
  for (const [k, x] of v) v.set(k, x / norm);
  return v;
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  const [small, big] = a.size < b.size ? [a, b] : [b, a];
  let s = 0;
  for (const [k, x] of small) s += x * (big.get(k) ?? 0);
  return s;
}

describe('writing style', () => {
  const world = generateWorld({ seed: 'style', scale: 'demo' });
  const profiles = new Map(world.accounts.map((a) => [a.id, profile(textsOf(world, a))]));

  it('lets a naive stylometric linker find style-only aliases far above chance, but not always', () => {
    const styleOnly = world.accounts.filter((a) => a.aliasKind === 'style-only');
    expect(styleOnly.length).toBeGreaterThanOrEqual(10);
    let top1 = 0;
    let top5 = 0;
    for (const a of styleOnly) {
      const pa = profiles.get(a.id)!;
      const ranked = world.accounts.filter((o) => o.id !== a.id)
        .map((o) => ({ o, s: cosine(pa, profiles.get(o.id)!) }))
        .sort((x, y) => y.s - x.s);
      const rank = ranked.findIndex((r) => r.o.identityId === a.identityId);
      if (rank === 0) top1++;
      if (rank < 5) top5++;
    }
    const chance5 = 5 / (world.accounts.length - 1);
    expect(top5 / styleOnly.length).toBeGreaterThan(10 * chance5);
    expect(top1 / styleOnly.length).toBeLessThan(1);
  });

  it('gives identities distinct habits', () => {
    const combos = new Set(world.identities.map((i) => `${i.style.greeting}|${i.style.signOff}|${i.style.phrases.join('/')}`));
    expect(combos.size).toBe(world.identities.length);
  });
});
