// A SOCKS5 server (RFC 1928, CONNECT only) with username/password authentication (RFC 1929) that plays Tor for
// the simulator: it resolves only the names its resolver knows (the sim markets' v3 .onion names) to loopback
// ports and refuses every other destination. Like Tor with IsolateSOCKSAuth, the username is the isolation key:
// the server counts connections per username so tests can observe per-credential circuit isolation.
import net from 'node:net';
import { ByteReader, ReaderClosedError } from './byte-reader.ts';
import { circuitIdFor, proxyHeader } from './proxy-protocol.ts';

/** SOCKS5 reply codes (RFC 1928 §6). */
export const SocksReply = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type SocksReplyCode = (typeof SocksReply)[keyof typeof SocksReply];

/** Where a requested destination goes: a loopback port, or a refusal with its reply code. */
export type SocksRoute =
  | {
      kind: 'connect';
      host: '127.0.0.1';
      port: number;
      /** Send the service a PROXY v1 line with the client's circuit id first (Tor's HiddenServiceExportCircuitID). */
      exportCircuitId?: boolean;
    }
  | { kind: 'refuse'; reply: SocksReplyCode; reason: string };

/** Decides the route of a CONNECT to a domain name (ATYP 0x03); IP literals never reach it. */
export type SocksResolver = (hostname: string, port: number) => SocksRoute;

export interface SocksAuthConfig {
  /** Password every client must present. */
  password: string;
  /** When set, the username must equal it; when absent any username (1–255 bytes) is accepted, as in Tor. */
  username?: string;
}

export interface Socks5ServerOptions {
  resolve: SocksResolver;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Username/password required when set (RFC 1929); without it, clients may use "no auth" or any credentials. */
  auth?: SocksAuthConfig;
  /** Simultaneous client connections; further connections are closed at once. Default 256. */
  maxConnections?: number;
  /** Time allowed for greeting, auth and request. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** Idle time after which a relayed connection is closed. Default 120 s. */
  idleTimeoutMs?: number;
  /** How many connection log entries to keep (oldest dropped first). Default 10 000. */
  logLimit?: number;
}

export interface SocksConnectionLog {
  id: number;
  /** Username the client authenticated with; "" when it used no authentication. */
  username: string;
  /** Requested destination as "host:port" (IP literals shown as given); "" when the handshake failed earlier. */
  destination: string;
  reply: SocksReplyCode | 'auth-failed' | 'protocol-error';
  reason: string;
}

const VERSION = 0x05;
const AUTH_VERSION = 0x01;
const METHOD_NO_AUTH = 0x00;
const METHOD_USERPASS = 0x02;
const METHOD_NONE_ACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

export class Socks5Server {
  readonly #options: Required<Omit<Socks5ServerOptions, 'auth' | 'port'>> & Pick<Socks5ServerOptions, 'auth'>;
  readonly #requestedPort: number;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #byUsername = new Map<string, number>();
  readonly #log: SocksConnectionLog[] = [];
  #nextId = 1;
  #port = 0;

  constructor(options: Socks5ServerOptions) {
    this.#options = {
      resolve: options.resolve,
      auth: options.auth,
      maxConnections: options.maxConnections ?? 256,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
      logLimit: options.logLimit ?? 10_000,
    };
    if (options.auth) validateCredential('password', options.auth.password);
    if (options.auth?.username !== undefined) validateCredential('username', options.auth.username);
    this.#requestedPort = options.port ?? 0;
    this.#server = net.createServer((socket) => this.#accept(socket));
    this.#server.maxConnections = this.#options.maxConnections;
  }

  /** Starts listening on 127.0.0.1 and resolves with the bound port. */
  async listen(): Promise<{ host: '127.0.0.1'; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#requestedPort, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('SOCKS5 server has no TCP address');
    this.#port = address.port;
    return { host: '127.0.0.1', port: this.#port };
  }

  get port(): number {
    return this.#port;
  }

  /** Stops accepting and destroys every open client and upstream connection. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** CONNECT requests seen per username ("" for unauthenticated clients), including refused ones. */
  connectionsByUsername(): ReadonlyMap<string, number> {
    return new Map(this.#byUsername);
  }

  connectionCount(username: string): number {
    return this.#byUsername.get(username) ?? 0;
  }

  /** The most recent connection log entries, oldest first. */
  connectionLog(): readonly SocksConnectionLog[] {
    return [...this.#log];
  }

  #record(entry: Omit<SocksConnectionLog, 'id'>): void {
    this.#log.push({ id: this.#nextId++, ...entry });
    if (this.#log.length > this.#options.logLimit) this.#log.splice(0, this.#log.length - this.#options.logLimit);
  }

  #accept(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setNoDelay(true);
    socket.setTimeout(this.#options.handshakeTimeoutMs, () => socket.destroy());
    const reader = new ByteReader(socket);
    this.#handshake(socket, reader).catch((error: unknown) => {
      if (!(error instanceof ReaderClosedError)) {
        this.#record({ username: '', destination: '', reply: 'protocol-error', reason: String(error) });
      }
      socket.destroy();
    });
  }

  async #handshake(socket: net.Socket, reader: ByteReader): Promise<void> {
    const [version, methodCount] = await reader.read(2);
    if (version !== VERSION) throw new Error(`not SOCKS5 (version byte ${version})`);
    const methods = await reader.read(methodCount ?? 0);
    const offersUserPass = methods.includes(METHOD_USERPASS);
    const auth = this.#options.auth;
    let method: number;
    if (auth) method = offersUserPass ? METHOD_USERPASS : METHOD_NONE_ACCEPTABLE;
    // Without configured auth, still take credentials when offered: the username keys circuit isolation.
    else if (offersUserPass) method = METHOD_USERPASS;
    else if (methods.includes(METHOD_NO_AUTH)) method = METHOD_NO_AUTH;
    else method = METHOD_NONE_ACCEPTABLE;
    socket.write(Buffer.from([VERSION, method]));
    if (method === METHOD_NONE_ACCEPTABLE) {
      this.#record({ username: '', destination: '', reply: 'auth-failed', reason: 'no acceptable authentication method' });
      socket.end();
      return;
    }

    let username = '';
    let password = '';
    if (method === METHOD_USERPASS) {
      const [authVersion, userLength] = await reader.read(2);
      if (authVersion !== AUTH_VERSION) throw new Error(`bad username/password sub-negotiation version ${authVersion}`);
      username = (await reader.read(userLength ?? 0)).toString('utf8');
      const [passLength] = await reader.read(1);
      password = (await reader.read(passLength ?? 0)).toString('utf8');
      const ok = !auth || (password === auth.password && (auth.username === undefined || username === auth.username));
      socket.write(Buffer.from([AUTH_VERSION, ok ? 0x00 : 0x01]));
      if (!ok) {
        this.#record({ username, destination: '', reply: 'auth-failed', reason: 'wrong username or password' });
        socket.end();
        return;
      }
    }

    const [requestVersion, command, , addressType] = await reader.read(4);
    if (requestVersion !== VERSION) throw new Error(`bad request version ${requestVersion}`);
    let destinationHost: string;
    let isDomain = false;
    if (addressType === ATYP_IPV4) {
      destinationHost = [...(await reader.read(4))].join('.');
    } else if (addressType === ATYP_IPV6) {
      const raw = await reader.read(16);
      const groups: string[] = [];
      for (let i = 0; i < 16; i += 2) groups.push(raw.readUInt16BE(i).toString(16));
      destinationHost = `[${groups.join(':')}]`;
    } else if (addressType === ATYP_DOMAIN) {
      const [length] = await reader.read(1);
      destinationHost = (await reader.read(length ?? 0)).toString('latin1');
      isDomain = true;
    } else {
      this.#countUser(username);
      this.#refuse(socket, username, '', SocksReply.addressTypeNotSupported, `address type ${addressType}`);
      return;
    }
    const destinationPort = (await reader.read(2)).readUInt16BE(0);
    const destination = `${destinationHost}:${destinationPort}`;
    this.#countUser(username);

    if (command !== CMD_CONNECT) {
      this.#refuse(socket, username, destination, SocksReply.commandNotSupported, `command ${command} not supported`);
      return;
    }
    if (!isDomain) {
      this.#refuse(socket, username, destination, SocksReply.notAllowed, 'IP literal destinations are refused');
      return;
    }
    const route = this.#options.resolve(destinationHost.toLowerCase(), destinationPort);
    if (route.kind === 'refuse') {
      this.#refuse(socket, username, destination, route.reply, route.reason);
      return;
    }
    const header = route.exportCircuitId ? proxyHeader(circuitIdFor(username, password)) : undefined;
    await this.#relay(socket, reader, username, destination, route.port, header);
  }

  #countUser(username: string): void {
    this.#byUsername.set(username, (this.#byUsername.get(username) ?? 0) + 1);
  }

  #refuse(socket: net.Socket, username: string, destination: string, reply: SocksReplyCode, reason: string): void {
    this.#record({ username, destination, reply, reason });
    socket.end(replyPacket(reply));
  }

  async #relay(client: net.Socket, reader: ByteReader, username: string, destination: string, port: number, header?: string): Promise<void> {
    const upstream = net.connect({ host: '127.0.0.1', port });
    this.#sockets.add(upstream);
    upstream.on('close', () => this.#sockets.delete(upstream));
    const connected = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      upstream.once('connect', () => resolve(undefined));
      upstream.once('error', (error) => resolve(error));
    });
    if (connected) {
      const reply = connected.code === 'ECONNREFUSED' ? SocksReply.connectionRefused : SocksReply.hostUnreachable;
      this.#refuse(client, username, destination, reply, `upstream: ${connected.code ?? connected.message}`);
      upstream.destroy();
      return;
    }
    this.#record({ username, destination, reply: SocksReply.succeeded, reason: 'connected' });
    if (header) upstream.write(header);
    client.write(replyPacket(SocksReply.succeeded));
    client.setTimeout(this.#options.idleTimeoutMs, () => client.destroy());
    upstream.setTimeout(this.#options.idleTimeoutMs, () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const leftover = reader.detach();
    if (leftover.length > 0) upstream.write(leftover);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

function replyPacket(reply: SocksReplyCode): Buffer {
  // BND.ADDR 0.0.0.0:0 — as Tor does, the bound address tells the client nothing.
  return Buffer.from([VERSION, reply, 0x00, ATYP_IPV4, 0, 0, 0, 0, 0, 0]);
}

function validateCredential(what: string, value: string): void {
  const length = Buffer.byteLength(value, 'utf8');
  if (length < 1 || length > 255) throw new Error(`SOCKS5 ${what} must be 1–255 bytes (RFC 1929), got ${length}`);
}
