// Which defences a simulated market runs, and their seeded parameters. Every defence is off unless switched on,
// so the default sim (and every figure measured on it) is the 2014-style market: login form, CAPTCHA, rate limit.
import type { SimMarket } from '../../world/index.ts';
import { Rng } from '../../world/index.ts';

export interface AntiDdosOptions {
  /** Seconds a new circuit waits in the queue before it is shown the CAPTCHA. */
  queueSeconds: number;
  /** Lifetime of the access cookie once the CAPTCHA is solved (real milliseconds). */
  accessTtlMs: number;
  /** Name of the access cookie. */
  cookieName: string;
}

export interface TwoFactorOptions {
  /** Undercover usernames that enabled PGP two-factor login (default: all of the market's accounts). */
  usernames: string[];
}

export interface MirrorOptions {
  /** Onions alive at any time. */
  live: number;
  /** Every this many sim days the oldest onion dies and a new one appears in the signed list. */
  rotateEveryDays: number;
  /** Path of the signed mirror list (served before login). */
  path: string;
}

export interface PhishingCloneOptions {
  /** Clone onions serving the market's pages through a relay. */
  count: number;
}

export interface ForcedLogoutOptions {
  /** A session is logged out after about this many authenticated requests (seeded jitter of ±50%). */
  everyRequests: number;
}

/** The resolved defences of one market (what the server runs). */
export interface MarketDefences {
  antiDdos?: AntiDdosOptions;
  twoFactor?: TwoFactorOptions;
  mirrors?: MirrorOptions;
  phishingClones?: PhishingCloneOptions;
  forcedLogout?: ForcedLogoutOptions;
}

type Switch<T> = boolean | Partial<T> | undefined;

/** What a caller asks for: each defence on (seeded parameters), off, or on with some parameters fixed. */
export interface DefenceSwitches {
  antiDdos?: Switch<AntiDdosOptions>;
  twoFactor?: Switch<TwoFactorOptions>;
  mirrors?: Switch<MirrorOptions>;
  phishingClones?: Switch<PhishingCloneOptions>;
  forcedLogout?: Switch<ForcedLogoutOptions>;
}

/** Every defence on, with seeded parameters. */
export const ALL_DEFENCES: DefenceSwitches = { antiDdos: true, twoFactor: true, mirrors: true, phishingClones: true, forcedLogout: true };

const ACCESS_COOKIES = ['dcap', '__ddg1', 'endgame_access', 'ddos_pass'];

function pick<T extends object>(s: Switch<T>, seeded: () => T): T | undefined {
  if (s === undefined || s === false) return undefined;
  return { ...seeded(), ...(s === true ? {} : s) };
}

/** Resolves switches into parameters drawn from the market's own seed (same seed, same defences). */
export function resolveDefences(market: SimMarket, switches: DefenceSwitches | undefined): MarketDefences | undefined {
  if (!switches) return undefined;
  const rng = new Rng(`${market.serverSeed}/defences`);
  // Draw every parameter whatever is switched on, so one defence's switch never moves another's values.
  const queueSeconds = rng.int(5, 15);
  const accessTtlMs = rng.int(20, 40) * 60_000;
  const cookieName = rng.pick(ACCESS_COOKIES);
  const live = rng.int(2, 4);
  const rotateEveryDays = rng.int(5, 14);
  const clones = rng.int(1, 2);
  const everyRequests = rng.int(150, 400);
  const out: MarketDefences = {
    antiDdos: pick(switches.antiDdos, () => ({ queueSeconds, accessTtlMs, cookieName })),
    twoFactor: pick(switches.twoFactor, () => ({ usernames: market.credentials.map((c) => c.username) })),
    mirrors: pick(switches.mirrors, () => ({ live, rotateEveryDays, path: '/mirrors' })),
    phishingClones: pick(switches.phishingClones, () => ({ count: clones })),
    forcedLogout: pick(switches.forcedLogout, () => ({ everyRequests })),
  };
  for (const k of Object.keys(out) as Array<keyof MarketDefences>) if (out[k] === undefined) delete out[k];
  if (out.mirrors && (out.mirrors.live < 1 || out.mirrors.rotateEveryDays < 1)) throw new Error('mirrors need live >= 1 and rotateEveryDays >= 1');
  if (out.antiDdos && out.antiDdos.queueSeconds < 0) throw new Error('anti-DDoS queueSeconds must be >= 0');
  return Object.keys(out).length === 0 ? undefined : out;
}
