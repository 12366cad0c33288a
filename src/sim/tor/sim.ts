import type { SimServing } from '../serve.ts';
import { marketOnionSeed } from '../world/markets.ts';
import { startTorNetwork, type TorNetwork, type TorNetworkOptions } from './network.ts';

export interface SimTorOptions extends Omit<TorNetworkOptions, 'services'> {
  /** Markets to publish (default: all). Each is one more onion service for the client to publish. */
  markets?: string[];
}

/**
 * Serves the sim's markets as real v3 onion services on a private Tor network: each market's service key is the
 * one the sim derives its onion address from, so the addresses, pages and logins are those of the loopback sim;
 * only the path differs (real Tor circuits instead of the sim's SOCKS5 proxy). Markets with an anti-DDoS front
 * get Tor's PROXY-protocol circuit ids (HiddenServiceExportCircuitID haproxy), as their front expects.
 */
export async function startSimTor(sim: SimServing, o: SimTorOptions): Promise<TorNetwork> {
  const wanted = o.markets ?? sim.markets.map((m) => m.slug);
  const unknown = wanted.filter((s) => !sim.markets.some((m) => m.slug === s));
  if (unknown.length) throw new Error(`unknown market(s) ${unknown.join(', ')} (markets: ${sim.markets.map((m) => m.slug).join(', ')})`);
  const markets = sim.markets.filter((m) => wanted.includes(m.slug));
  const network = await startTorNetwork({
    ...o,
    services: markets.map((m) => ({
      name: m.slug,
      keySeed: marketOnionSeed(sim.world.seed, m.slug),
      targetPort: m.port,
      exportCircuitId: sim.server(m.slug).front !== undefined,
    })),
  });
  for (const m of markets) {
    if (network.onions[m.slug] !== m.onion) {
      await network.stop();
      throw new Error(`tor published ${m.slug} as ${network.onions[m.slug]}, not ${m.onion}`);
    }
  }
  return network;
}
