import net from 'node:net';
import { isValidOnionV3, normalizeOnion } from '../../domain/onion.ts';
import { SocksReply, type SocksResolver } from './socks5.ts';

/** What the simulated Tor network knows about one onion service right now. */
export interface OnionService {
  /** Loopback port the service's virtual port 80 forwards to. */
  port: number;
  /** False while the service is offline (exit scam, outage): its descriptor is unreachable. */
  online: boolean;
  /** The service wants the client's circuit id (an anti-DDoS front binds its access cookie to it). */
  exportCircuitId?: boolean;
}

/**
 * A resolver that reaches only known v3 onion services on virtual port 80, the way Tor would: every clearnet
 * name and IP literal is refused (not allowed), a malformed or unknown onion is unreachable.
 */
export function onionOnlyResolver(lookup: (onion: string) => OnionService | undefined): SocksResolver {
  return (hostname, port) => {
    if (net.isIP(hostname.replace(/^\[|\]$/g, '')) !== 0) {
      return { kind: 'refuse', reply: SocksReply.notAllowed, reason: `IP literal ${hostname} refused` };
    }
    if (!hostname.endsWith('.onion') && !hostname.endsWith('.onion.')) {
      return { kind: 'refuse', reply: SocksReply.notAllowed, reason: `clearnet destination ${hostname} refused` };
    }
    const onion = normalizeOnion(hostname);
    if (!isValidOnionV3(onion)) {
      return { kind: 'refuse', reply: SocksReply.hostUnreachable, reason: `${hostname} is not a valid v3 onion address` };
    }
    const service = lookup(onion);
    if (!service) return { kind: 'refuse', reply: SocksReply.hostUnreachable, reason: `unknown onion service ${onion}` };
    if (!service.online) return { kind: 'refuse', reply: SocksReply.hostUnreachable, reason: `onion service ${onion} is offline` };
    if (port !== 80) {
      return { kind: 'refuse', reply: SocksReply.connectionRefused, reason: `onion service ${onion} has no virtual port ${port}` };
    }
    return { kind: 'connect', host: '127.0.0.1', port: service.port, exportCircuitId: service.exportCircuitId };
  };
}
