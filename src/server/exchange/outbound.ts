import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch, type Response } from 'undici';

/**
 * Outbound requests of the server (federation) go only to the origin of a registered peer, and never to a
 * loopback, private, link-local or otherwise internal address unless the operator allowed that range in the
 * configuration (`exchange.allowedPeerNetworks`, `serve --federation-allow`). The address is checked when a peer
 * is registered and again on every connection, after DNS resolution (so a name that later resolves inward —
 * DNS rebinding — is refused too). Redirects are not followed.
 */

/** Ranges no peer may resolve to by default (IANA special-purpose registries, IPv4 and IPv6). */
const INTERNAL: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['0.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'],
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** "10.20.0.0/16", "fd00::/8" or a single address; null when it is not one. */
export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText] = text.trim().split('/');
  const v = isIP(address);
  if (v === 0) return null;
  const family = v === 4 ? 'ipv4' : 'ipv6';
  const max = v === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return null;
  return { address, prefix, family };
}

export class PeerAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeerAddressError';
  }
}

/** Which addresses peers may have: anything public, plus the ranges the operator allowed. */
export class PeerNetworkPolicy {
  readonly #internal = new BlockList();
  readonly #allowed = new BlockList();
  readonly allowed: readonly string[];

  constructor(allowedNetworks: readonly string[] = []) {
    for (const [a, p, f] of INTERNAL) this.#internal.addSubnet(a, p, f);
    for (const c of allowedNetworks) {
      const cidr = parseCidr(c);
      if (!cidr) throw new RangeError(`not an address range: ${c}`);
      this.#allowed.addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
    this.allowed = [...allowedNetworks];
  }

  /** Why an address may not be a peer's, or null if it may. */
  refusal(address: string): string | null {
    const v = isIP(address);
    if (v === 0) return `${address} is not an IP address`;
    // An IPv4-mapped IPv6 address is its IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const [a, f] = mapped ? [mapped, 'ipv4' as const] : [address, v === 4 ? ('ipv4' as const) : ('ipv6' as const)];
    if (this.#allowed.check(a, f)) return null;
    if (this.#internal.check(a, f)) return `${address} is a loopback, private or otherwise internal address; allow its range in the configuration (exchange.allowedPeerNetworks, serve --federation-allow) to federate with it`;
    return null;
  }

  /** Resolves a host and refuses it unless every address it has is allowed. */
  async resolve(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    const addresses = isIP(bare) ? [bare] : (await lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    if (addresses.length === 0) throw new PeerAddressError(`${host} does not resolve`);
    for (const a of addresses) {
      const why = this.refusal(a);
      if (why) throw new PeerAddressError(`peer host ${host}: ${why}`);
    }
    return addresses;
  }

  /** Checks a peer base URL when it is registered: http(s), no credentials, an allowed address. */
  async checkBaseUrl(baseUrl: string): Promise<void> {
    let u: URL;
    try {
      u = new URL(baseUrl);
    } catch {
      throw new PeerAddressError('the base URL is not a URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PeerAddressError('the base URL must be http or https');
    if (u.username || u.password) throw new PeerAddressError('the base URL must not carry credentials');
    try {
      await this.resolve(u.hostname);
    } catch (e) {
      if (e instanceof PeerAddressError) throw e;
      throw new PeerAddressError(`peer host ${u.hostname} does not resolve`);
    }
  }

  #agent: Agent | undefined;

  /** An HTTP agent whose every connection is checked after DNS resolution. */
  agent(): Agent {
    this.#agent ??= new Agent({
      connect: {
        lookup: (hostname, options, callback) => {
          this.resolve(hostname).then(
            (addresses) => {
              const family = isIP(addresses[0]!) === 6 ? 6 : 4;
              const opts = options as { all?: boolean };
              if (opts.all) callback(null, addresses.map((address) => ({ address, family: isIP(address) === 6 ? 6 : 4 })) as never);
              else callback(null, addresses[0]!, family);
            },
            (err: Error) => callback(err as NodeJS.ErrnoException, '', 4),
          );
        },
      },
    });
    return this.#agent;
  }

  /** fetch() to a registered peer's origin only, through the checked agent, never following a redirect. */
  async fetch(baseUrl: string, path: string, init: { method: string; headers: Record<string, string>; body?: string; timeoutMs: number }): Promise<Response> {
    const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    const url = new URL(path, base);
    if (url.origin !== base.origin) throw new PeerAddressError(`refusing a request to ${url.origin}: not the peer's origin ${base.origin}`);
    // A literal IP never goes through lookup: check it here.
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const why = this.refusal(host);
      if (why) throw new PeerAddressError(`peer host ${host}: ${why}`);
    }
    return fetch(url, { method: init.method, headers: init.headers, body: init.body, redirect: 'error', signal: AbortSignal.timeout(init.timeoutMs), dispatcher: this.agent() });
  }
}
