import net from 'node:net';

/**
 * SOCKS5 reply codes (RFC 1928 §6) and Tor's extended onion-service codes (proposal 304, sent when the SocksPort
 * has the ExtendedErrors flag), with what each means for a crawl.
 */
export const SOCKS5_REPLIES: Record<number, string> = {
  0x01: 'general SOCKS server failure',
  0x02: 'connection not allowed by ruleset',
  0x03: 'network unreachable',
  0x04: 'host unreachable',
  0x05: 'connection refused',
  0x06: 'TTL expired (Tor: the circuit or connection timed out)',
  0x07: 'command not supported',
  0x08: 'address type not supported',
  0xf0: 'onion service descriptor not found (the service is offline, or its descriptor is not published yet)',
  0xf1: 'onion service descriptor is invalid',
  0xf2: 'onion service introduction failed (descriptor found, but the service is not at its introduction points)',
  0xf3: 'onion service rendezvous failed',
  0xf4: 'onion service needs client authorization',
  0xf5: 'onion service client authorization was refused',
  0xf6: 'invalid onion address',
  0xf7: 'onion service introduction timed out',
};

/** The proxy could not be used (down, wrong credentials, not SOCKS5). */
export class SocksProxyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocksProxyError';
  }
}

/** The proxy answered the CONNECT with a failure reply. */
export class SocksReplyError extends Error {
  readonly reply: number;
  constructor(reply: number) {
    super(`SOCKS5 reply 0x${reply.toString(16).padStart(2, '0')}: ${SOCKS5_REPLIES[reply] ?? 'unknown reply code'}`);
    this.name = 'SocksReplyError';
    this.reply = reply;
  }
}

export class SocksTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SocksTimeoutError';
  }
}

export interface Socks5ConnectOptions {
  proxyHost: string;
  proxyPort: number;
  /** RFC 1929 credentials: the username is Tor's isolation key (IsolateSOCKSAuth). */
  username: string;
  password: string;
  /** The destination name, sent unresolved (ATYP 0x03): .onion names are resolved by Tor, never here. */
  host: string;
  port: number;
  timeoutMs: number;
}

/** Reads exactly what the handshake needs from a socket, in order. */
class Reader {
  #buf: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #want: { n: number; resolve: (b: Buffer) => void } | undefined;
  #error: Error | undefined;
  #onError: ((e: Error) => void) | undefined;
  readonly failed: Promise<never>;
  #reject!: (e: Error) => void;

  constructor() {
    this.failed = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.failed.catch(() => undefined);
  }

  push(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    this.#drain();
  }

  fail(e: Error): void {
    if (this.#error) return;
    this.#error = e;
    this.#onError?.(e);
    this.#reject(e);
  }

  #drain(): void {
    if (this.#want && this.#buf.length >= this.#want.n) {
      const { n, resolve } = this.#want;
      this.#want = undefined;
      const out = this.#buf.subarray(0, n);
      this.#buf = this.#buf.subarray(n);
      resolve(out);
    }
  }

  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.#error) return reject(this.#error);
      this.#onError = reject;
      this.#want = { n, resolve };
      this.#drain();
    });
  }

  /** Bytes that arrived after the handshake (the start of the tunnelled stream). */
  rest(): Buffer {
    return this.#buf;
  }
}

/**
 * Opens a SOCKS5 CONNECT tunnel with username/password authentication and returns the connected socket (with
 * any bytes that already arrived through the tunnel). Failures say which side failed: SocksProxyError (the
 * proxy), SocksReplyError (the destination, with Tor's extended code when given), SocksTimeoutError.
 */
export async function socks5Connect(o: Socks5ConnectOptions): Promise<{ socket: net.Socket; head: Buffer }> {
  const user = Buffer.from(o.username, 'utf8');
  const pass = Buffer.from(o.password, 'utf8');
  const host = Buffer.from(o.host, 'utf8');
  if (user.length < 1 || user.length > 255 || pass.length > 255) throw new SocksProxyError('SOCKS5 username must be 1-255 bytes and the password at most 255');
  if (host.length < 1 || host.length > 255) throw new SocksProxyError(`destination name ${JSON.stringify(o.host.slice(0, 80))} is not 1-255 bytes`);
  const socket = net.connect({ host: o.proxyHost, port: o.proxyPort });
  const reader = new Reader();
  let connected = false;
  const timer = setTimeout(() => reader.fail(new SocksTimeoutError(`SOCKS5 handshake with ${o.proxyHost}:${o.proxyPort} for ${o.host}:${o.port} took more than ${o.timeoutMs} ms`)), o.timeoutMs);
  socket.on('data', (c: Buffer) => reader.push(c));
  socket.on('error', (e) => reader.fail(connected ? new SocksProxyError(`SOCKS5 proxy ${o.proxyHost}:${o.proxyPort} dropped the connection: ${e.message}`) : new SocksProxyError(`cannot reach the SOCKS5 proxy at ${o.proxyHost}:${o.proxyPort}: ${e.message}`)));
  socket.on('close', () => reader.fail(new SocksProxyError(`SOCKS5 proxy ${o.proxyHost}:${o.proxyPort} closed the connection during the handshake`)));
  try {
    await Promise.race([new Promise<void>((resolve) => socket.once('connect', resolve)), reader.failed]);
    connected = true;
    socket.write(Buffer.from([0x05, 0x01, 0x02])); // version 5, one method: username/password
    const method = await reader.read(2);
    if (method[0] !== 0x05) throw new SocksProxyError(`${o.proxyHost}:${o.proxyPort} is not a SOCKS5 proxy`);
    if (method[1] !== 0x02) throw new SocksProxyError(`SOCKS5 proxy ${o.proxyHost}:${o.proxyPort} refuses username/password authentication (method 0x${(method[1] ?? 0).toString(16)})`);
    socket.write(Buffer.concat([Buffer.from([0x01, user.length]), user, Buffer.from([pass.length]), pass]));
    const auth = await reader.read(2);
    if (auth[1] !== 0x00) throw new SocksProxyError(`SOCKS5 proxy ${o.proxyHost}:${o.proxyPort} rejected the credentials for ${o.username}`);
    const port = Buffer.alloc(2);
    port.writeUInt16BE(o.port);
    socket.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00, 0x03, host.length]), host, port]));
    const reply = await reader.read(4);
    if (reply[0] !== 0x05) throw new SocksProxyError(`SOCKS5 proxy ${o.proxyHost}:${o.proxyPort} sent a malformed reply`);
    if (reply[1] !== 0x00) throw new SocksReplyError(reply[1] ?? 0x01);
    const atyp = reply[3];
    const addrLen = atyp === 0x01 ? 4 : atyp === 0x04 ? 16 : atyp === 0x03 ? (await reader.read(1))[0]! : -1;
    if (addrLen < 0) throw new SocksProxyError(`SOCKS5 proxy sent an unknown address type ${atyp}`);
    await reader.read(addrLen + 2);
    clearTimeout(timer);
    socket.removeAllListeners('data');
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    socket.pause();
    return { socket, head: reader.rest() };
  } catch (err) {
    clearTimeout(timer);
    socket.destroy();
    throw err;
  }
}
