import type { SimDay, SimMarket } from '../world/index.ts';

/** Days an exit-scammed market keeps answering 503 "wallet maintenance" before its onion disappears. */
export const EXIT_SCAM_MAINTENANCE_DAYS = 3;

/**
 * What a market is doing on a day:
 *  - not-launched: before openDay; the onion service does not exist yet.
 *  - up: serving normally.
 *  - seized: after its takedown (closeDay) it serves a law-enforcement seizure banner on every URL.
 *  - maintenance: right after an exit scam, every URL answers 503 ("wallet maintenance").
 *  - gone: the exit scammers shut the service down; nothing answers.
 */
export type MarketState = 'not-launched' | 'up' | 'seized' | 'maintenance' | 'gone';

export function marketState(market: SimMarket, day: SimDay): MarketState {
  if (day < market.openDay) return 'not-launched';
  if (market.closeDay === undefined || day <= market.closeDay) return 'up';
  if (market.fate === 'seized') return 'seized';
  if (market.fate === 'exit_scam') return day <= market.closeDay + EXIT_SCAM_MAINTENANCE_DAYS ? 'maintenance' : 'gone';
  return 'gone';
}

/** True when Tor could reach the onion service on that day. */
export function isOnline(state: MarketState): boolean {
  return state === 'up' || state === 'seized' || state === 'maintenance';
}
