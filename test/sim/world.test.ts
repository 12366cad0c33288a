import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isValidOnionV3 } from '../../src/domain/onion.ts';
import {
  ALIAS_KINDS, MARKET_DESIGNS, SALES_HISTORY_DAYS, SUBSTANCES, generateWorld, priceOn, unitToGrams, type SimAccount, type World,
} from '../../src/sim/world/index.ts';

const hash = (w: World) => createHash('sha256').update(JSON.stringify(w)).digest('hex');

let demo: World;
beforeAll(() => {
  demo = generateWorld({ seed: 'world-test', scale: 'demo' });
});

describe('generateWorld determinism and scale', () => {
  it('gives a byte-identical world for the same seed and a different one for another seed', () => {
    const a = generateWorld({ seed: 7, scale: 'tiny' });
    const b = generateWorld({ seed: 7, scale: 'tiny' });
    const c = generateWorld({ seed: 8, scale: 'tiny' });
    expect(hash(a)).toBe(hash(b));
    expect(hash(a)).not.toBe(hash(c));
    expect(a.seed).toBe('7');
  });

  it('demo preset has the documented size', () => {
    expect(demo.markets.length).toBe(5);
    expect(demo.identities.length).toBe(120);
    expect(demo.listings.length).toBeGreaterThan(1300);
    expect(demo.listings.length).toBeLessThan(1800);
    expect(demo.days).toBe(180);
    expect(demo.accounts.filter((a) => a.market).length).toBeGreaterThanOrEqual(180);
  });

  it('accepts numeric overrides and rejects bad scales with clear errors', () => {
    const w = generateWorld({ seed: 1, scale: { preset: 'tiny', overrides: { markets: 6, days: 90 } } });
    expect(w.markets.length).toBe(6);
    expect(w.days).toBe(90);
    expect(generateWorld({ seed: 1, scale: { identities: 20, accounts: 30, listings: 100, buyers: 100, days: 60, channels: 2 } }).identities.length).toBe(20);
    expect(() => generateWorld({ seed: 1, scale: 'huge' as never })).toThrow(/unknown scale preset/);
    expect(() => generateWorld({ seed: 1, scale: { markets: 4 } })).toThrow(/scale.markets/);
    expect(() => generateWorld({ seed: '', scale: 'tiny' })).toThrow(/seed/);
  });
});

describe('every world has the scripted story', () => {
  it.each(['a', 'b', 'c', 'd'])('seed %s: all alias kinds, a key rotation, a takedown with movers and vanished vendors', (seed) => {
    const w = generateWorld({ seed, scale: 'tiny' });
    expect(new Set(w.accounts.map((a) => a.aliasKind))).toEqual(new Set(ALIAS_KINDS));
    expect(w.accounts.some((a) => a.pgpKeys.length > 1)).toBe(true);
    const moves = w.migrations.filter((m) => m.cause === 'takedown');
    expect(moves.some((m) => m.toMarket !== null && m.day! > w.timeline.seizureDay)).toBe(true);
    expect(moves.some((m) => m.toMarket === null)).toBe(true);
    expect(w.events.filter((e) => e.kind === 'takedown')).toHaveLength(1);
    expect(w.events.filter((e) => e.kind === 'exit_scam')).toHaveLength(1);
  });
});

describe('markets', () => {
  it('have the five designs, valid v3 onions, credentials and the scripted fates', () => {
    expect(new Set(demo.markets.map((m) => m.design))).toEqual(new Set(MARKET_DESIGNS));
    expect(new Set(demo.markets.map((m) => m.currency))).toEqual(new Set(['BTC', 'USD', 'XMR']));
    for (const m of demo.markets) {
      expect(isValidOnionV3(m.onion)).toBe(true);
      expect(m.credentials.length).toBeGreaterThanOrEqual(3);
      expect(new Set(m.credentials.map((c) => c.username)).size).toBe(m.credentials.length);
    }
    expect(new Set(demo.markets.map((m) => m.onion)).size).toBe(demo.markets.length);
    const seized = demo.markets.filter((m) => m.fate === 'seized');
    const scam = demo.markets.filter((m) => m.fate === 'exit_scam');
    expect(seized.map((m) => m.closeDay)).toEqual([demo.timeline.seizureDay]);
    expect(scam.map((m) => m.closeDay)).toEqual([demo.timeline.exitDay]);
    expect(demo.markets.find((m) => m.slug === demo.timeline.launchMarket)?.openDay).toBe(demo.timeline.launchDay);
    expect(demo.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['takedown', 'exit_scam', 'market_launch', 'vendor_migration', 'key_rotation']));
  });
});

describe('aliases', () => {
  const fps = (a: SimAccount) => new Set(a.pgpKeys.map((k) => k.fingerprint));
  const shares = <T>(x: Set<T>, y: Set<T>) => [...x].some((v) => y.has(v));

  it('cover every alias kind and each kind holds exactly the clue it names', () => {
    const byIdentity = new Map<string, SimAccount[]>();
    for (const a of demo.accounts) byIdentity.set(a.identityId, [...(byIdentity.get(a.identityId) ?? []), a]);
    const seen = new Set(demo.accounts.map((a) => a.aliasKind));
    for (const k of ALIAS_KINDS) expect(seen, k).toContain(k);
    for (const accs of byIdentity.values()) {
      const [anchor, ...rest] = accs as [SimAccount, ...SimAccount[]];
      expect(anchor.aliasKind).toBe(rest.length ? 'anchor' : 'unique');
      for (const a of rest) {
        const sameName = a.handle.toLowerCase() === anchor.handle.toLowerCase();
        const sameKey = shares(fps(a), fps(anchor));
        const sameCrypto = shares(new Set(a.shownCrypto), new Set(anchor.shownCrypto));
        switch (a.aliasKind) {
          case 'same-name-same-key': expect([sameName, sameKey]).toEqual([true, true]); break;
          case 'other-name-same-key': expect([sameName, sameKey]).toEqual([false, true]); break;
          case 'same-name-other-key': expect([sameName, sameKey, sameCrypto]).toEqual([true, false, false]); break;
          case 'shared-crypto': expect([sameName, sameKey, sameCrypto]).toEqual([false, false, true]); break;
          case 'style-only': {
            for (const o of accs) {
              if (o === a) continue;
              expect(o.handle.toLowerCase()).not.toBe(a.handle.toLowerCase());
              expect(shares(fps(a), fps(o))).toBe(false);
              expect(shares(new Set(a.shownCrypto), new Set(o.shownCrypto))).toBe(false);
              expect(shares(new Set(a.shownContacts.map((c) => c.handle)), new Set(o.shownContacts.map((c) => c.handle)))).toBe(false);
            }
            break;
          }
          default: throw new Error(`unexpected alias kind ${a.aliasKind} on a non-anchor account`);
        }
      }
    }
  });

  it('keeps handles unique per market and channel', () => {
    const seen = new Set<string>();
    for (const a of demo.accounts) {
      const k = `${a.market ?? a.channel}|${a.handle.toLowerCase()}`;
      expect(seen.has(k), k).toBe(false);
      seen.add(k);
    }
  });

  it('includes a key rotation: an account that switches PGP key mid-simulation', () => {
    const rotated = demo.accounts.filter((a) => a.pgpKeys.length > 1);
    expect(rotated.length).toBeGreaterThan(0);
    for (const a of rotated) {
      const [k1, k2] = a.pgpKeys as [SimAccount['pgpKeys'][0], SimAccount['pgpKeys'][0]];
      expect(k1.toDay).toBe(k2.fromDay - 1);
      expect(k1.fingerprint).not.toBe(k2.fingerprint);
      const identity = demo.identities.find((i) => i.id === a.identityId)!;
      expect(identity.pgpKeys.map((k) => k.fingerprint)).toEqual(expect.arrayContaining([k1.fingerprint, k2.fingerprint]));
    }
  });
});

describe('listings, sales and feedback', () => {
  it('sell real substance classes with realistic per-unit prices', () => {
    const substances = new Set(demo.listings.map((l) => l.substance));
    for (const s of ['cannabis', 'cocaine', 'heroin']) expect(substances).toContain(s);
    expect(new Set(demo.listings.map((l) => l.substanceClass)).size).toBe(8);
    for (const l of demo.listings) {
      const first = l.priceHistory[0]!;
      expect(first.day).toBe(l.openDay);
      const g = unitToGrams(l.unit);
      const perUnit = first.usd / l.quantity;
      const specs = SUBSTANCES.filter((s) => s.substance === l.substance && s.unit === l.unit);
      expect(specs.length).toBeGreaterThan(0);
      // Within the catalogue's range, allowing vendor price level (0.8–1.25), bulk discount and rounding.
      const lo = Math.min(...specs.map((s) => s.unitPrice[0])) * 0.8 * 0.4;
      const hi = Math.max(...specs.map((s) => s.unitPrice[1])) * 1.25 * 1.05;
      expect(perUnit, `${l.title} ${first.usd} for ${l.quantity}${l.unit}`).toBeGreaterThanOrEqual(Math.min(lo, 1 / l.quantity));
      expect(perUnit).toBeLessThanOrEqual(hi + 0.01);
      if (l.substance === 'cocaine' && g === 1) expect(perUnit).toBeGreaterThan(20);
    }
  });

  it('gives markets a sales and feedback history before day 0', () => {
    expect(demo.sales.some((s) => s.day < 0 && s.feedback && s.feedback.day <= 0)).toBe(true);
    for (const l of demo.listings) if (l.closeDay !== undefined) expect(l.closeDay).toBeGreaterThanOrEqual(0);
  });

  it('opens and ends listings during the run and changes stock', () => {
    expect(demo.listings.some((l) => l.openDay > 10)).toBe(true);
    expect(demo.listings.some((l) => l.closeDay !== undefined && l.closeDay < demo.days - 1)).toBe(true);
    expect(demo.listings.some((l) => l.stockHistory.some((s) => s.stock === 0))).toBe(true);
    expect(demo.listings.some((l) => new Set(l.stockHistory.map((s) => s.stock)).size > 2)).toBe(true);
  });

  it('records sales only while the listing and its market are up, shipped where the vendor ships', () => {
    const listings = new Map(demo.listings.map((l) => [l.id, l]));
    const markets = new Map(demo.markets.map((m) => [m.slug, m]));
    // Collect violations instead of one expect per sale (tens of thousands of sales).
    const bad: string[] = [];
    for (const s of demo.sales) {
      const l = listings.get(s.listingId)!;
      const m = markets.get(s.market)!;
      if (s.day < Math.max(l.openDay, m.openDay, -SALES_HISTORY_DAYS)) bad.push(`${s.id} before its listing/market opened`);
      if (s.day > Math.min(l.closeDay ?? Infinity, m.closeDay ?? Infinity, demo.days - 1)) bad.push(`${s.id} after close`);
      if (!(l.shipsTo.includes('WW') || l.shipsTo.includes(s.buyerCountry))) bad.push(`${s.id} to ${s.buyerCountry}, not shipped there`);
      if (Math.abs(s.priceUsd - priceOn(l, s.day) * s.units) > 0.006) bad.push(`${s.id} price ${s.priceUsd}`);
    }
    expect(bad).toEqual([]);
    expect(demo.sales.length).toBeGreaterThan(10_000);
  });

  it('has feedback from only part of the buyers, with some hidden and some duplicated', () => {
    const fb = demo.sales.filter((s) => s.feedback);
    const rate = fb.length / demo.sales.length;
    expect(rate).toBeGreaterThan(0.3);
    expect(rate).toBeLessThan(0.9);
    expect(fb.some((s) => s.feedback!.hidden)).toBe(true);
    expect(fb.some((s) => s.feedback!.duplicated)).toBe(true);
    for (const s of fb) expect(s.feedback!.day).toBeGreaterThan(s.day);
  });

  it('loses the escrow of the last days before the exit scam', () => {
    const lost = demo.sales.filter((s) => s.status === 'lost_in_exit_scam');
    expect(lost.length).toBeGreaterThan(0);
    for (const s of lost) expect(s.market).toBe(demo.timeline.exitMarket);
  });
});

describe('takedown and displacement', () => {
  it('moves vendors of the seized market to other markets over the following weeks; some never reappear', () => {
    const { seizedMarket, seizureDay } = demo.timeline;
    const moves = demo.migrations.filter((m) => m.cause === 'takedown');
    expect(moves.length).toBeGreaterThan(5);
    const reappeared = moves.filter((m) => m.toMarket !== null && m.day !== null && m.day > seizureDay);
    expect(reappeared.length).toBeGreaterThan(0);
    expect(moves.some((m) => m.toMarket === null)).toBe(true);
    for (const m of reappeared) {
      expect(m.fromMarket).toBe(seizedMarket);
      expect(m.toMarket).not.toBe(seizedMarket);
      expect(m.day! - seizureDay).toBeLessThanOrEqual(35);
      const to = demo.accounts.find((a) => a.id === m.toAccountId)!;
      expect(to.identityId).toBe(m.identityId);
    }
    expect(demo.sales.some((s) => s.market === seizedMarket && s.day > seizureDay)).toBe(false);
  });

  it('moves buyer volume to the surviving markets', () => {
    const { seizedMarket, seizureDay, exitMarket, launchMarket } = demo.timeline;
    const others = (s: World['sales'][0]) => s.market !== seizedMarket && s.market !== exitMarket && s.market !== launchMarket;
    const perDay = (from: number, to: number) => demo.sales.filter((s) => others(s) && s.day >= from && s.day < to).length / (to - from);
    expect(perDay(seizureDay + 20, seizureDay + 45)).toBeGreaterThan(perDay(seizureDay - 25, seizureDay) * 1.05);
  });
});

describe('messenger channels', () => {
  it('have vendors posting contact handles and crypto addresses', () => {
    expect(demo.channels.map((c) => c.type)).toEqual(expect.arrayContaining(['public_channel', 'public_supergroup']));
    const text = demo.messages.map((m) => m.parts.map((p) => p.text).join('')).join('\n');
    expect(text).toMatch(/\b(bc1[a-z0-9]{20,}|[13][1-9A-HJ-NP-Za-km-z]{25,34})\b/);
    expect(text).toMatch(/\b(Telegram|Wickr|Session|Signal|Threema|Jabber): /);
    expect(demo.messages.some((m) => m.parts.some((p) => p.type === 'mention'))).toBe(true);
    for (const ch of demo.channels) {
      const ids = demo.messages.filter((m) => m.channelId === ch.id).map((m) => m.id);
      expect(ids).toEqual(ids.map((_v, i) => i + 1));
    }
  });
});
