import { describe, expect, it } from 'vitest';
import { evaluateMoney } from '../../src/money/index.ts';

describe('eval money', () => {
  it('meets the issue targets on a small world: clustering precision ≥ 0.99 with the mixer, cash-out recall ≥ 0.9, amounts within 5%', async () => {
    const r = await evaluateMoney({ seed: 'eval-money', scale: { preset: 'tiny', overrides: { identities: 14, accounts: 20, listings: 100, buyers: 150, days: 60 } } });
    const main = r.clustering[0];
    expect(main?.precision).toBeGreaterThanOrEqual(0.99);
    expect(main?.wrongMerges).toBe(0);
    // Without CoinJoin detection the mixer merges unrelated people: the measure must see it.
    expect(r.clustering[1]?.wrongMerges).toBeGreaterThan(0);
    expect(r.cashout.pairs).toBeGreaterThan(5);
    expect(r.cashout.recall).toBeGreaterThanOrEqual(0.9);
    expect(r.cashout.precision).toBeGreaterThanOrEqual(0.99);
    expect(r.cashout.amountWithin5 / r.cashout.amountPairs).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
