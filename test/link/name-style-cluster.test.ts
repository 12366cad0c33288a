import { describe, expect, it } from 'vitest';
import { clusterAccounts, cosine, FeatureSpace, fitLogistic, FEATURES, nameKeys, nameSimilarity, styleTokens, tfidf } from '../../src/link/index.ts';

describe('name similarity', () => {
  it('sees through leetspeak, case, separators, numbers and decorations', () => {
    expect(nameKeys('Dr.Gr33n_UK').core).toBe('green');
    expect(nameKeys('drgreen').core).toBe('green');
    expect(nameSimilarity(nameKeys('Dr.Gr33n_UK'), nameKeys('drgreen'))).toBe(1);
    expect(nameSimilarity(nameKeys('FrostyWolf420'), nameKeys('frosty_wolf'))).toBe(1);
    expect(nameSimilarity(nameKeys('TheSilentOwl'), nameKeys('S1l3nt-0wl'))).toBe(1);
  });
  it('keeps different names apart and near-misses close', () => {
    expect(nameSimilarity(nameKeys('GoldenPanda'), nameKeys('IronShark'))).toBeLessThan(0.4);
    const near = nameSimilarity(nameKeys('GoldenPanda'), nameKeys('GoldenPandas'));
    expect(near).toBeGreaterThan(0.8);
    expect(near).toBeLessThan(1);
    // A glued decoration is only stripped when a real name remains ("dragon" is not "dr" + "agon").
    expect(nameKeys('dragon').core).toBe('dragon');
  });
});

describe('stylometry', () => {
  const texts = {
    a1: 'Hey fam!!\nAlways double vacuum sealed, no cap!! 🔥\nShips next day, stealth is top notch!!\nPeace out',
    a2: 'Hey fam!!\nWe reship once, no cap!! 🔥\nShips next day, stealth is top notch!! 🔥\nPeace out',
    b: 'Dear customers.\nPlease read our terms before you order.\nTracked & signed, always vacuum sealed.\nRegards',
  };
  it('gives texts written with the same habits a higher cosine than texts by someone else', () => {
    const space = new FeatureSpace();
    const filler = Array.from({ length: 20 }, (_, i) => `Hello ${i}.\nwe ship fast ${i}.\nbye ${i}`);
    const all = [texts.a1, texts.a2, texts.b, ...filler].map((t) => {
      const m = new Map<number, number>();
      for (const tok of styleTokens(t, 'profile')) { const id = space.id(tok); m.set(id, (m.get(id) ?? 0) + 1); }
      return m;
    });
    const { vectors } = tfidf(all, space.size);
    const [v1, v2, v3] = vectors as [never, never, never];
    expect(cosine(v1, v2)).toBeGreaterThan(0.5);
    expect(cosine(v1, v3)).toBeLessThan(cosine(v1, v2) / 2);
  });
});

describe('clustering', () => {
  it('joins hard links transitively (key rotation chains A–AB–B) and never joins a rejected pair', () => {
    // 0 shows key A, 1 shows A then B, 2 shows only B: one identity.
    const r = clusterAccounts(4, [{ a: 0, b: 1, p: 1, hard: true }, { a: 1, b: 2, p: 1, hard: true }, { a: 2, b: 3, p: 0.99, hard: false }],
      [], [[2, 3]], { threshold: 0.5 });
    expect(r.groupOf[0]).toBe(r.groupOf[2]);
    expect(r.groupOf[3]).not.toBe(r.groupOf[2]);
    expect(r.refused.cannot).toBe(1);
  });
  it('always joins confirmed pairs, even without evidence', () => {
    const r = clusterAccounts(3, [], [[0, 2]], [], { threshold: 0.5 });
    expect(r.groupOf[0]).toBe(r.groupOf[2]);
    expect(r.groupOf[1]).toBe(1);
  });
  it('refuses a soft merge of two groups that do not agree as a whole (no chaining)', () => {
    // {0,1} and {2,3} are tight pairs; one strong cross link 1–2 alone must not chain them.
    const scored = [{ a: 0, b: 1, p: 0.99, hard: false }, { a: 2, b: 3, p: 0.99, hard: false }, { a: 1, b: 2, p: 0.9, hard: false }];
    const r = clusterAccounts(4, scored, [], [], { threshold: 0.5, minSupport: 0.35 });
    expect(r.groupOf[0]).toBe(r.groupOf[1]);
    expect(r.groupOf[2]).toBe(r.groupOf[3]);
    expect(r.groupOf[1]).not.toBe(r.groupOf[2]);
    expect(r.refused.coherence).toBe(1);
  });
});

describe('logistic fit', () => {
  it('learns a positive weight for a feature that separates the classes and calibrated probabilities', () => {
    const data = [];
    for (let i = 0; i < 400; i++) {
      const y = i % 4 === 0 ? 1 : 0;
      const x = new Float64Array(FEATURES.length);
      x[FEATURES.indexOf('style')] = y ? 0.6 + (i % 7) / 20 : (i % 9) / 20;
      data.push({ x, y: y as 0 | 1 });
    }
    const fit = fitLogistic(data);
    expect(fit.weights.style).toBeGreaterThan(5);
    expect(fit.bias).toBeLessThan(0);
    expect(fit.threshold).toBeGreaterThanOrEqual(0.5);
  });
});
