import type { Adapter } from '../adapter/types.ts';
import { agoraAdapter } from './agora.ts';
import { SIM_ADAPTERS } from './sim-adapters.ts';

/** Every shipped adapter. Sim-market adapters are added here as they are written. */
export const ADAPTERS: readonly Adapter[] = [agoraAdapter, ...SIM_ADAPTERS];

export function getAdapter(id: string): Adapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}

/** The adapter serving a URL's host, if any. */
export function adapterForUrl(url: string): Adapter | undefined {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
  return ADAPTERS.find((a) => a.hosts?.some((h) => h.toLowerCase() === host));
}
