// One simulated market: an HTTP server on 127.0.0.1 that renders its slice of the world as of the sim clock's
// day, behind a login with CSRF token and image CAPTCHA, with session cookies that expire, rate limiting
// (429 + Retry-After) and the failures of onion services (slow answers, 502/503, dropped connections).
import http from 'node:http';
import type net from 'node:net';
import type { SimMarket, World } from '../world/index.ts';
import { Rng } from '../world/index.ts';
import { captchaText, renderCaptchaPng } from './captcha.ts';
import type { SimClock } from './clock.ts';
import { DESIGNS, type Design } from './designs/index.ts';
import { marketState } from './lifecycle.ts';
import { errorPage, maintenancePage, seizurePage } from './special-pages.ts';
import { MarketView } from './view.ts';

export interface FaultOptions {
  /** Multiplies the market's configured fault rates (default 1). */
  scale?: number;
  /** Upper bound of an injected delay, whatever the market's reliability says (default 3000 ms). */
  maxDelayMs?: number;
}

export interface RateLimitOptions {
  /** Requests allowed per window and client (session, or address when there is no session). */
  requests: number;
  windowMs: number;
}

export interface MarketServerOptions {
  world: World;
  market: SimMarket;
  clock: SimClock;
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Onion-style failures drawn from the market's reliability and its server seed; false turns them off. */
  faults?: boolean | FaultOptions;
  /** Default 120 requests per 10 s; false turns limiting off. */
  rateLimit?: RateLimitOptions | false;
  /** Lifetime of a logged-in session; afterwards the client is sent back to the login form. Default 30 min. */
  sessionTtlMs?: number;
  /** Sessions kept at most (oldest dropped first). Default 10 000. */
  maxSessions?: number;
}

interface Session {
  id: string;
  csrf: string;
  captchaId?: string;
  username?: string;
  loggedInAt?: number;
}

interface FaultDraw {
  drop: boolean;
  partial: boolean;
  error?: 502 | 503;
  delayMs: number;
}

const MAX_BODY_BYTES = 8 * 1024;
const MAX_CAPTCHAS = 10_000;
export const TEST_HOOKS_ENV = 'DARKPATROL_SIM_TEST_HOOKS';

/** Every login attempt's outcome, for tests and trainers (no secrets). */
export interface LoginEvent {
  username: string;
  ok: boolean;
  reason: 'ok' | 'csrf' | 'captcha' | 'credentials' | 'no-session';
}

export class MarketServer {
  readonly market: SimMarket;
  readonly design: Design;
  readonly view: MarketView;
  readonly #clock: SimClock;
  readonly #server: http.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #requestedPort: number;
  readonly #faults: Required<FaultOptions> | undefined;
  readonly #rateLimit: RateLimitOptions | undefined;
  readonly #sessionTtlMs: number;
  readonly #maxSessions: number;
  readonly #sessions = new Map<string, Session>();
  readonly #captchas = new Map<string, { answer: string }>();
  readonly #buckets = new Map<string, { start: number; count: number }>();
  readonly #tokenRng: Rng;
  readonly #captchaRng: Rng;
  readonly #faultRng: Rng;
  readonly #logins: LoginEvent[] = [];
  #port = 0;
  #requests = 0;

  constructor(options: MarketServerOptions) {
    this.market = options.market;
    this.design = DESIGNS[options.market.design];
    this.view = new MarketView(options.world, options.market);
    this.#clock = options.clock;
    this.#requestedPort = options.port ?? 0;
    const faults = options.faults ?? true;
    this.#faults = faults === false ? undefined : { scale: 1, maxDelayMs: 3000, ...(faults === true ? {} : faults) };
    this.#rateLimit = options.rateLimit === false ? undefined : (options.rateLimit ?? { requests: 120, windowMs: 10_000 });
    this.#sessionTtlMs = options.sessionTtlMs ?? 30 * 60_000;
    this.#maxSessions = options.maxSessions ?? 10_000;
    const seed = options.market.serverSeed;
    this.#tokenRng = new Rng(`${seed}/tokens`);
    this.#captchaRng = new Rng(`${seed}/captcha`);
    this.#faultRng = new Rng(`${seed}/faults`);
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) this.#send(res, 503, errorPage(503, this.#clock.day, 'Service Unavailable'));
        else res.destroy();
      });
    });
    this.#server.maxConnections = 512;
    this.#server.requestTimeout = 30_000;
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#requestedPort, '127.0.0.1', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('market server has no TCP address');
    this.#port = address.port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  /** Requests handled so far (including faulted and rate-limited ones). */
  get requestCount(): number {
    return this.#requests;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Ends every session, as a market restart does: every client must log in again. */
  expireAllSessions(): void {
    this.#sessions.clear();
  }

  loginEvents(): readonly LoginEvent[] {
    return [...this.#logins];
  }

  /**
   * The answer of a CAPTCHA, for automated tests only: callable in-process, never reachable over HTTP, and
   * refused unless the environment variable DARKPATROL_SIM_TEST_HOOKS=1 is set.
   */
  peekCaptchaAnswer(id: string): string | undefined {
    if (process.env[TEST_HOOKS_ENV] !== '1') {
      throw new Error(`CAPTCHA test hook disabled: set ${TEST_HOOKS_ENV}=1 in the test process`);
    }
    return this.#captchas.get(id)?.answer;
  }

  #send(res: http.ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
    res.sendDate = false;
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      server: 'nginx',
      'content-length': String(Buffer.byteLength(body)),
      ...headers,
    });
    res.end(body);
  }

  #drawFault(): FaultDraw {
    // Always four draws per request, so the stream stays aligned whatever happens.
    const [a, b, c, d] = [this.#faultRng.next(), this.#faultRng.next(), this.#faultRng.next(), this.#faultRng.next()];
    const f = this.#faults;
    if (!f) return { drop: false, partial: false, delayMs: 0 };
    const r = this.market.reliability;
    const s = f.scale;
    return {
      drop: a < r.dropRate * s,
      partial: d < 0.5,
      error: b < r.errorRate * s ? (d < 0.5 ? 502 : 503) : undefined,
      delayMs: c < r.slowRate * s ? Math.round(d * Math.min(r.maxDelayMs, f.maxDelayMs)) : 0,
    };
  }

  #cookie(req: http.IncomingMessage): string | undefined {
    const header = req.headers.cookie;
    if (!header) return undefined;
    for (const part of header.split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === this.design.cookieName) return rest.join('=');
    }
    return undefined;
  }

  #newSession(): Session {
    const session: Session = { id: this.#tokenRng.hex(16), csrf: this.#tokenRng.hex(16) };
    this.#sessions.set(session.id, session);
    if (this.#sessions.size > this.#maxSessions) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    return session;
  }

  #setCookie(session: Session): string {
    return `${this.design.cookieName}=${session.id}; Path=/; HttpOnly; SameSite=Lax`;
  }

  #rateLimited(key: string): number | undefined {
    const limit = this.#rateLimit;
    if (!limit) return undefined;
    const now = Date.now();
    let bucket = this.#buckets.get(key);
    if (!bucket || now - bucket.start >= limit.windowMs) {
      bucket = { start: now, count: 0 };
      this.#buckets.set(key, bucket);
      if (this.#buckets.size > this.#maxSessions * 2) this.#buckets.clear();
    }
    bucket.count++;
    if (bucket.count <= limit.requests) return undefined;
    return Math.max(1, Math.ceil((bucket.start + limit.windowMs - now) / 1000));
  }

  #loginForm(res: http.ServerResponse, session: Session, status: number, error?: string): void {
    if (session.captchaId) this.#captchas.delete(session.captchaId);
    const captchaId = this.#captchaRng.hex(8);
    this.#captchas.set(captchaId, { answer: captchaText(this.#captchaRng) });
    if (this.#captchas.size > MAX_CAPTCHAS) {
      const oldest = this.#captchas.keys().next().value;
      if (oldest !== undefined) this.#captchas.delete(oldest);
    }
    session.captchaId = captchaId;
    session.csrf = this.#tokenRng.hex(16);
    const html = this.design.loginPage(this.market, this.#clock.day, { csrf: session.csrf, captchaUrl: `/captcha/${captchaId}.png`, error });
    this.#send(res, status, html, { 'set-cookie': this.#setCookie(session) });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.#requests++;
    const day = this.#clock.day;
    const state = marketState(this.market, day);
    if (state === 'gone' || state === 'not-launched') {
      req.socket.destroy();
      return;
    }
    const fault = this.#drawFault();
    if (fault.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault.drop) {
      if (fault.partial) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': '4096' });
        res.write('<!DOCTYPE html>\n<html lang="en">\n<head>\n');
      }
      setImmediate(() => req.socket.destroy());
      return;
    }
    if (fault.error) {
      const text = fault.error === 502 ? 'Bad Gateway' : 'Service Temporarily Unavailable';
      this.#send(res, fault.error, errorPage(fault.error, day, text));
      return;
    }

    const sessionId = this.#cookie(req);
    const retryAfter = this.#rateLimited(sessionId ? `s:${sessionId}` : `a:${req.socket.remoteAddress ?? ''}`);
    if (retryAfter !== undefined) {
      this.#send(res, 429, errorPage(429, day, 'Too Many Requests'), { 'retry-after': String(retryAfter) });
      return;
    }
    if (state === 'seized') {
      this.#send(res, 200, seizurePage(this.market));
      return;
    }
    if (state === 'maintenance') {
      this.#send(res, 503, maintenancePage(this.market), { 'retry-after': '3600' });
      return;
    }

    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${this.market.onion}`);
    } catch {
      this.#send(res, 400, errorPage(400, day, 'Bad Request'));
      return;
    }
    const captcha = /^\/captcha\/([0-9a-f]{16})\.png$/.exec(url.pathname);
    if (captcha && req.method === 'GET') {
      const entry = this.#captchas.get(captcha[1] ?? '');
      if (!entry) {
        this.#send(res, 404, errorPage(404, day, 'Not Found'));
        return;
      }
      this.#send(res, 200, renderCaptchaPng(entry.answer, this.market.serverSeed), { 'content-type': 'image/png' });
      return;
    }

    let session = sessionId ? this.#sessions.get(sessionId) : undefined;
    if (session?.username && Date.now() - (session.loggedInAt ?? 0) > this.#sessionTtlMs) {
      this.#sessions.delete(session.id);
      session = undefined;
    }
    const target = url.pathname + url.search;
    if (isPath(url, this.design.loginPath)) {
      if (req.method === 'POST') {
        await this.#login(req, res, session);
        return;
      }
      if (req.method !== 'GET') {
        this.#send(res, 405, errorPage(405, day, 'Method Not Allowed'), { allow: 'GET, POST' });
        return;
      }
      if (session?.username) {
        this.#send(res, 302, '', { location: '/' });
        return;
      }
      this.#loginForm(res, session ?? this.#newSession(), 200);
      return;
    }
    if (isPath(url, this.design.logoutPath) || url.pathname === '/logout') {
      if (session) this.#sessions.delete(session.id);
      this.#send(res, 302, '', { location: this.design.loginPath, 'set-cookie': `${this.design.cookieName}=; Path=/; HttpOnly; Max-Age=0` });
      return;
    }
    if (!session?.username) {
      this.#send(res, 302, '', { location: `${this.design.loginPath}${this.design.loginPath.includes('?') ? '&' : '?'}next=${encodeURIComponent(target)}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.#send(res, 405, errorPage(405, day, 'Method Not Allowed'), { allow: 'GET' });
      return;
    }
    const rendered = this.design.render({ view: this.view, market: this.market, day, url });
    if (!rendered) {
      this.#send(res, 404, this.design.notFound(this.market, day));
      return;
    }
    if ('location' in rendered) {
      this.#send(res, 302, '', { location: rendered.location });
      return;
    }
    this.#send(res, rendered.status, rendered.html, rendered.contentType ? { 'content-type': rendered.contentType } : {});
  }

  async #login(req: http.IncomingMessage, res: http.ServerResponse, session: Session | undefined): Promise<void> {
    const body = await readBody(req);
    if (body === undefined) {
      this.#send(res, 413, errorPage(413, this.#clock.day, 'Request Entity Too Large'));
      return;
    }
    const form = new URLSearchParams(body);
    const f = this.design.fields;
    const username = form.get(f.username) ?? '';
    const fail = (reason: LoginEvent['reason'], message: string, s: Session) => {
      this.#logins.push({ username, ok: false, reason });
      if (this.#logins.length > 10_000) this.#logins.shift();
      this.#loginForm(res, s, 403, message);
    };
    if (!session || session.username) {
      fail('no-session', 'Your session has expired. Please try again.', this.#newSession());
      return;
    }
    if (form.get(f.csrf) !== session.csrf) {
      fail('csrf', 'Invalid form token. Please try again.', session);
      return;
    }
    const expected = session.captchaId ? this.#captchas.get(session.captchaId)?.answer : undefined;
    const given = (form.get(f.captcha) ?? '').trim().toUpperCase();
    if (!expected || given !== expected) {
      fail('captcha', 'The CAPTCHA was wrong. Please try again.', session);
      return;
    }
    const password = form.get(f.password) ?? '';
    const ok = this.market.credentials.some((c) => c.username === username && c.password === password);
    if (!ok) {
      fail('credentials', 'Invalid username or password.', session);
      return;
    }
    if (session.captchaId) this.#captchas.delete(session.captchaId);
    this.#sessions.delete(session.id);
    const fresh = this.#newSession();
    fresh.username = username;
    fresh.loggedInAt = Date.now();
    this.#logins.push({ username, ok: true, reason: 'ok' });
    if (this.#logins.length > 10_000) this.#logins.shift();
    this.#send(res, 302, '', { location: '/', 'set-cookie': this.#setCookie(fresh) });
  }
}

function isPath(url: URL, pathWithQuery: string): boolean {
  const target = new URL(pathWithQuery, 'http://x');
  if (url.pathname !== target.pathname) return false;
  for (const [k, v] of target.searchParams) if (url.searchParams.get(k) !== v) return false;
  return true;
}

async function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
