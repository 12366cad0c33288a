import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { onionFromPublicKey } from '../../domain/onion.ts';
import type { Timeline } from './context.ts';
import { MARKET_NAMES, password } from './names.ts';
import type { Rng } from './rng.ts';
import type { DisplayCurrency, MarketDesign, ScaleParams, SimCredential, SimMarket } from './types.ts';
import { MARKET_DESIGNS } from './types.ts';

const CURRENCY_BY_DESIGN: Record<MarketDesign, DisplayCurrency> = {
  table: 'BTC', cards: 'USD', list: 'XMR', forum: 'BTC', shop: 'USD',
};
const PAGE_SIZE: Record<MarketDesign, number> = { table: 50, cards: 24, list: 30, forum: 20, shop: 12 };
const UNDERCOVER_WORDS = ['quiet', 'grey', 'field', 'paper', 'lucky', 'mossy', 'tin', 'amber', 'rusty', 'plain'];

/** The ed25519 seed (secret key) of a market's onion service: `sim --tor` hands it to a real Tor onion service. */
export function marketOnionSeed(seed: string, slug: string): Uint8Array {
  return sha256(utf8ToBytes(`darkpatrol-sim/onion/${seed}/${slug}`));
}

/** The v3 onion address of a market: a real ed25519 public key derived from the world seed. */
export function marketOnion(seed: string, slug: string): string {
  return onionFromPublicKey(ed25519.getPublicKey(marketOnionSeed(seed, slug)));
}

/**
 * Markets and the scripted timeline: market #2 is seized at 45% of the run (like Hansa/AlphaBay), market #4
 * exit-scams at 72%, market #5 launches at 25% (a newcomer that absorbs displaced vendors).
 */
export function makeMarkets(rng: Rng, seed: string, p: ScaleParams): { markets: SimMarket[]; weights: Map<string, number>;
  timeline: Timeline } {
  const names = rng.sample(MARKET_NAMES, p.markets);
  const days = p.days;
  const seizureDay = Math.floor(days * 0.45);
  const exitDay = Math.floor(days * 0.72);
  const launchDay = Math.floor(days * 0.25);
  const markets: SimMarket[] = [];
  const weights = new Map<string, number>();
  names.forEach((raw, i) => {
    const r = rng.fork(`market/${i}`);
    const slug = raw.toLowerCase().split(' ')[0] as string;
    const design = i < MARKET_DESIGNS.length ? (MARKET_DESIGNS[i] as MarketDesign) : r.pick(MARKET_DESIGNS);
    const credentials: SimCredential[] = [];
    for (let c = 0; c < 3; c++) {
      credentials.push({ username: `${r.pick(UNDERCOVER_WORDS)}_${r.pick(UNDERCOVER_WORDS)}${r.int(10, 99)}`,
        password: password(r), role: 'buyer' });
    }
    const m: SimMarket = {
      slug,
      name: raw.includes(' ') ? raw : `${raw} Market`,
      onion: marketOnion(seed, slug),
      design,
      currency: i < 5 ? CURRENCY_BY_DESIGN[design] : r.pick(['BTC', 'USD', 'XMR'] as const),
      openDay: i === 4 ? launchDay : -r.int(120, 900),
      fate: i === 1 ? 'seized' : i === 3 ? 'exit_scam' : 'alive',
      commission: Math.round(r.float(0.03, 0.06) * 1000) / 1000,
      credentials,
      reliability: {
        slowRate: Math.round(r.float(0.05, 0.2) * 100) / 100,
        maxDelayMs: r.int(1500, 4000),
        errorRate: Math.round(r.float(0.01, 0.05) * 100) / 100,
        dropRate: Math.round(r.float(0.005, 0.02) * 1000) / 1000,
      },
      pageSize: PAGE_SIZE[design],
      serverSeed: r.hex(16),
    };
    if (i === 1) m.closeDay = seizureDay;
    if (i === 3) m.closeDay = exitDay;
    markets.push(m);
    weights.set(slug, i === 4 ? 0.5 : 1 / (1 + i * 0.35));
  });
  const slug = (i: number) => (markets[i] as SimMarket).slug;
  return {
    markets,
    weights,
    timeline: { seizedMarket: slug(1), seizureDay, exitMarket: slug(3), exitDay, launchMarket: slug(4), launchDay },
  };
}

/** Is the market reachable on `day`? */
export function marketOpen(m: SimMarket, day: number): boolean {
  return day >= m.openDay && (m.closeDay === undefined || day <= m.closeDay);
}
