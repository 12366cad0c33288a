import { describe, expect, it } from 'vitest';
import {
  BlindedMatcher,
  BlindedMatchError,
  blindingClient,
  OprfError,
  OprfEvaluator,
  RateLimitedError,
  normalizeRegisteredSelector,
} from '../../src/deconflict/index.ts';
import type { RegisteredSelectorKind } from '../../src/deconflict/index.ts';

/** One agency's full round: blind locally, evaluate remotely, finish locally. */
function tokenFor(evaluator: OprfEvaluator, agency: string, kind: RegisteredSelectorKind, value: string): string {
  const { request, state } = blindingClient.prepare(kind, value);
  const [evaluated] = evaluator.evaluate(agency, [request.blindedElement]);
  return blindingClient.finish(state, evaluated!);
}

const roomy = { capacity: 1000, refillPerSecond: 1000 };

describe('blinded de-confliction', () => {
  const nlSelectors: [RegisteredSelectorKind, string][] = [
    ['btc_address', 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ'],
    ['vendor_handle', '@DutchMagic'],
    ['email', 'shop@Proton.ME'],
    ['postal_address', 'Postbus 123, 1000 AB Amsterdam'],
  ];
  const deSelectors: [RegisteredSelectorKind, string][] = [
    ['btc_address', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'],
    ['vendor_handle', 'dutchmagic'],
    ['telegram', 'https://t.me/berlinbulk'],
  ];

  function run() {
    const evaluator = new OprfEvaluator({ rateLimit: roomy });
    const matcher = new BlindedMatcher();
    const notices = [];
    for (const [k, v] of nlSelectors) {
      notices.push(...matcher.register({ agencyId: 'nl', caseRef: 'NL-2017-BAYONET', contact: 'thtc@politie.example', token: tokenFor(evaluator, 'nl', k, v) }));
    }
    for (const [k, v] of deSelectors) {
      notices.push(...matcher.register({ agencyId: 'de', caseRef: 'BKA-SO-44', contact: 'so44@bka.example', token: tokenFor(evaluator, 'de', k, v) }));
    }
    return { evaluator, matcher, notices };
  }

  it('notifies both agencies of each shared selector, naming only the contact point', () => {
    const { notices } = run();
    // Two shared selectors (the bitcoin address and the handle, written differently), two notices each.
    expect(notices).toHaveLength(4);
    const toNl = notices.filter((n) => n.to === 'nl');
    const toDe = notices.filter((n) => n.to === 'de');
    expect(toNl).toHaveLength(2);
    expect(toDe).toHaveLength(2);
    for (const n of toNl) expect(n).toMatchObject({ yourCaseRef: 'NL-2017-BAYONET', otherAgency: 'de', otherContact: 'so44@bka.example' });
    for (const n of toDe) expect(n).toMatchObject({ yourCaseRef: 'BKA-SO-44', otherAgency: 'nl', otherContact: 'thtc@politie.example' });
    // Neither side learns the other's case reference.
    expect(JSON.stringify(toNl)).not.toContain('BKA-SO-44');
    expect(JSON.stringify(toDe)).not.toContain('NL-2017-BAYONET');
  });

  it("stores no selector, in clear or normalised form", () => {
    const { matcher } = run();
    const stored = JSON.stringify([...matcher.entries()]);
    expect(matcher.size).toBe(7);
    for (const [k, v] of [...nlSelectors, ...deSelectors]) {
      expect(stored).not.toContain(v);
      expect(stored.toLowerCase()).not.toContain(normalizeRegisteredSelector(k, v).toLowerCase());
    }
    for (const e of matcher.entries()) expect(e.tokenId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('tokens from another evaluation key never match', () => {
    const a = new OprfEvaluator({ rateLimit: roomy });
    const b = new OprfEvaluator({ rateLimit: roomy });
    const matcher = new BlindedMatcher();
    matcher.register({ agencyId: 'nl', caseRef: 'c1', contact: 'x', token: tokenFor(a, 'nl', 'email', 'a@b.org') });
    expect(matcher.register({ agencyId: 'de', caseRef: 'c2', contact: 'y', token: tokenFor(b, 'de', 'email', 'a@b.org') })).toEqual([]);
    expect(matcher.probe('de', tokenFor(a, 'de', 'email', 'a@b.org'))).toEqual([{ to: 'de', tokenId: expect.any(String), otherAgency: 'nl', otherContact: 'x' }]);
  });

  it('the same selector of one kind does not match another kind', () => {
    const e = new OprfEvaluator({ rateLimit: roomy });
    expect(tokenFor(e, 'nl', 'wickr', 'dutchmagic')).not.toBe(tokenFor(e, 'nl', 'vendor_handle', 'dutchmagic'));
  });

  it('unregisters', () => {
    const e = new OprfEvaluator({ rateLimit: roomy });
    const m = new BlindedMatcher();
    const t = tokenFor(e, 'nl', 'email', 'a@b.org');
    m.register({ agencyId: 'nl', caseRef: 'c1', contact: 'x', token: t });
    expect(m.unregister('nl', 'c1', t)).toBe(true);
    expect(m.size).toBe(0);
    expect(m.register({ agencyId: 'de', caseRef: 'c2', contact: 'y', token: t })).toEqual([]);
  });

  it('rejects malformed tokens and registrations', () => {
    const m = new BlindedMatcher();
    expect(() => m.register({ agencyId: 'nl', caseRef: 'c', contact: 'x', token: 'bc1qclear' })).toThrow(BlindedMatchError);
    expect(() => m.register({ agencyId: '', caseRef: 'c', contact: 'x', token: 'a'.repeat(128) })).toThrow(/agencyId/);
  });
});

describe('OprfEvaluator rate limiting', () => {
  it('lets a client burst to capacity, then waits for the refill; clients are independent', () => {
    let now = 1_000_000;
    const evaluator = new OprfEvaluator({ rateLimit: { capacity: 3, refillPerSecond: 1 }, now: () => now });
    const one = () => [blindingClient.prepare('email', 'a@b.org').request.blindedElement];
    for (let i = 0; i < 3; i++) evaluator.evaluate('nl', one());
    let err: unknown;
    try {
      evaluator.evaluate('nl', one());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeCloseTo(1000, 5);
    evaluator.evaluate('de', one()); // another client still has its own bucket
    now += 1000;
    evaluator.evaluate('nl', one());
    expect(() => evaluator.evaluate('nl', one())).toThrow(RateLimitedError);
  });

  it('charges a batch all or nothing', () => {
    let now = 0;
    const evaluator = new OprfEvaluator({ rateLimit: { capacity: 5, refillPerSecond: 1 }, now: () => now });
    const batch = (n: number) => Array.from({ length: n }, (_, i) => blindingClient.prepare('email', `u${i}@b.org`).request.blindedElement);
    expect(evaluator.evaluate('nl', batch(4))).toHaveLength(4);
    expect(() => evaluator.evaluate('nl', batch(2))).toThrow(RateLimitedError);
    expect(evaluator.evaluate('nl', batch(1))).toHaveLength(1);
    expect(() => evaluator.evaluate('nl', batch(6))).toThrow(RateLimitedError);
    now += 10_000;
    expect(evaluator.evaluate('nl', batch(5))).toHaveLength(5);
  });

  it('refuses elements that are not valid ristretto255 encodings, without charging', () => {
    const evaluator = new OprfEvaluator({ rateLimit: { capacity: 1, refillPerSecond: 1 }, now: () => 0 });
    expect(() => evaluator.evaluate('nl', ['00'.repeat(32)])).toThrow(OprfError);
    expect(() => evaluator.evaluate('nl', ['ff'.repeat(32)])).toThrow(/canonical/);
    expect(() => evaluator.evaluate('nl', ['zz'])).toThrow(/hex/);
    expect(evaluator.evaluate('nl', [blindingClient.prepare('email', 'a@b.org').request.blindedElement])).toHaveLength(1);
  });
});
