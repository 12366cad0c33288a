/** A SOCKS5 proxy that resolves names itself (socks5h): Tor, or anything standing in for it. */
export interface SocksProxyConfig {
  host: string;
  port: number;
  /** Password shared by every isolation username (Tor accepts any; the sim checks it). */
  password?: string;
  /** Username in the URL, used when no per-market/account isolation key is given. */
  username?: string;
}

export class ProxyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyConfigError';
  }
}

export const PROXY_ENV = 'DARKPATROL_TOR_PROXY';

/**
 * Parses "socks5h://[user[:password]@]host:port". There is no fallback: without a proxy the crawler refuses to
 * run, and "socks5://" (names resolved locally, which leaks and cannot reach .onion) is refused as well.
 */
export function parseProxyUrl(url: string | undefined): SocksProxyConfig {
  if (url === undefined || url.trim() === '') {
    throw new ProxyConfigError(
      `refusing to crawl: no SOCKS5h proxy configured (pass --proxy socks5h://127.0.0.1:9050 or set ${PROXY_ENV}); the crawler never connects directly`,
    );
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ProxyConfigError(`proxy ${JSON.stringify(url)} is not a URL (expected socks5h://host:port)`);
  }
  if (u.protocol !== 'socks5h:') {
    throw new ProxyConfigError(
      `refusing proxy scheme ${u.protocol}//: only socks5h:// is allowed (the proxy must resolve names; .onion names are never resolved locally)`,
    );
  }
  const port = Number(u.port);
  if (!u.hostname || !Number.isInteger(port) || port <= 0) throw new ProxyConfigError(`proxy ${redactProxy(url)} needs a host and a port`);
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

/** For logs and WARC metadata: the proxy with the isolation username but never the password. */
export function describeProxy(p: SocksProxyConfig, username?: string): string {
  const user = username ?? p.username;
  return `socks5h://${user ? `${encodeURIComponent(user)}@` : ''}${p.host}:${p.port}`;
}

export function redactProxy(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
}
