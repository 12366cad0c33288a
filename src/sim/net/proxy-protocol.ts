// Tor's HiddenServiceExportCircuitID (spec.torproject.org/haproxy-proxy.html): an onion service told to export
// circuit ids gets a PROXY protocol v1 line before each stream, "PROXY TCP6 <src> ::1 <srcport> <dstport>", whose
// source address carries a 32-bit circuit id in its low bits. Anti-DDoS fronts bind their access cookie to it.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

const PREFIX = 'fc00:dead:beef:4dad::';
/** A v1 header is at most 107 bytes (PROXY protocol spec §2.1). */
export const PROXY_HEADER_MAX = 107;

/**
 * The circuit a client gets for its SOCKS credentials: with IsolateSOCKSAuth, Tor builds one circuit per
 * username/password pair, so the same credentials keep the same circuit and other credentials get another.
 */
export function circuitIdFor(username: string, password: string): number {
  const d = sha256(utf8ToBytes(`darkpatrol-sim/circuit/${username}\u0000${password}`));
  return ((d[0] as number) << 24 | (d[1] as number) << 16 | (d[2] as number) << 8 | (d[3] as number)) >>> 0;
}

export function proxyHeader(circuitId: number, virtualPort = 80): string {
  const hi = (circuitId >>> 16).toString(16);
  const lo = (circuitId & 0xffff).toString(16);
  return `PROXY TCP6 ${PREFIX}${hi}:${lo} ::1 ${circuitId & 0xffff} ${virtualPort}\r\n`;
}

/** The circuit id of a PROXY v1 line as Tor writes it, or undefined when the line is not one. */
export function parseProxyHeader(line: string): number | undefined {
  const m = /^PROXY TCP6 ([0-9a-f:]+) ::1 \d{1,5} \d{1,5}$/i.exec(line);
  if (!m) return undefined;
  const addr = (m[1] ?? '').toLowerCase();
  if (!addr.startsWith(PREFIX)) return undefined;
  const groups = addr.slice(PREFIX.length).split(':');
  if (groups.length !== 2 || !groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return ((parseInt(groups[0] as string, 16) << 16) | parseInt(groups[1] as string, 16)) >>> 0;
}
