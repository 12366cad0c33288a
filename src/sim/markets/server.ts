// One simulated market: an HTTP server on 127.0.0.1 that renders its slice of the world as of the sim clock's
// day, behind a login with CSRF token and image CAPTCHA, with session cookies that expire, rate limiting
// (429 + Retry-After) and the failures of onion services (slow answers, 502/503, dropped connections).
// Switched on per market, the defences of markets since 2018: an anti-DDoS front, PGP two-factor login, a signed
// mirror list of rotating onions, forced logouts (src/sim/markets/defences/).
import { createHash } from 'node:crypto';
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import type net from 'node:net';
import { circuitOf, proxyProtocolListener } from '../net/index.ts';
import type { SimMarket, World } from '../world/index.ts';
import { Rng } from '../world/index.ts';
import { captchaText, renderCaptchaPng } from './captcha.ts';
import type { SimClock } from './clock.ts';
import { DESIGNS, type Design } from './designs/index.ts';
import { AntiDdosFront, FRONT_PREFIX } from './defences/front.ts';
import { marketSigningKey } from './defences/keys.ts';
import { MirrorSchedule, mirrorsPage } from './defences/mirrors.ts';
import type { MarketDefences } from './defences/options.ts';
import { MAX_TWO_FACTOR_ATTEMPTS, TWO_FACTOR_FORMS, twoFactorChallenge, twoFactorCode, twoFactorPage } from './defences/two-factor.ts';
import { h } from './html.ts';
import { marketState } from './lifecycle.ts';
import { errorPage, maintenancePage, seizurePage } from './special-pages.ts';
import { isPath, readBody } from './url.ts';
import { MarketView } from './view.ts';

/** How the sim frames a response body (see MarketServer#framing). */
type Framing = 'length' | 'chunked' | 'gzip';
/** Bytes per chunk of a chunked response (nginx writes its output in buffers of this order). */
const SIM_CHUNK = 4096;

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
  /** The defences this market runs (resolved, see resolveDefences); none by default. */
  defences?: MarketDefences;
}

interface Session {
  id: string;
  csrf: string;
  captchaId?: string;
  username?: string;
  loggedInAt?: number;
  /** Password accepted, waiting for the two-factor code. */
  pending2fa?: { username: string; code: string; message: string; attempts: number };
  /** Authenticated requests so far, and after how many the market logs the session out (forced logout). */
  requests?: number;
  logoutAfter?: number;
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
  reason: 'ok' | 'csrf' | 'captcha' | 'credentials' | 'no-session' | 'two-factor' | 'two-factor-pending';
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
  readonly #listener: net.Server;
  readonly defences: MarketDefences | undefined;
  readonly front: AntiDdosFront | undefined;
  readonly mirrors: MirrorSchedule | undefined;
  /** Where this market asks for the two-factor code (when two-factor login is on). */
  readonly twoFactorForm: { path: string; field: string } | undefined;
  readonly #logoutRng: Rng;
  #forcedLogouts = 0;
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
    this.#logoutRng = new Rng(`${seed}/forced-logout`);
    this.defences = options.defences;
    this.mirrors = this.defences?.mirrors ? new MirrorSchedule(this.market, this.defences.mirrors) : undefined;
    this.twoFactorForm = this.defences?.twoFactor ? TWO_FACTOR_FORMS[this.market.design] : undefined;
    this.front = this.defences?.antiDdos
      ? new AntiDdosFront({
          market: this.market,
          options: this.defences.antiDdos,
          tokenRng: new Rng(`${seed}/front-tokens`),
          newCaptcha: () => this.#newCaptcha(),
          answerOf: (id) => this.#captchas.get(id)?.answer,
          dropCaptcha: (id) => this.#captchas.delete(id),
        })
      : undefined;
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) this.#send(res, 503, errorPage(503, this.#clock.day, 'Service Unavailable'));
        else res.destroy();
      });
    });
    this.#server.requestTimeout = 30_000;
    // Connections arrive through a listener that reads the PROXY line of an exported circuit id, if any.
    this.#listener = proxyProtocolListener(this.#server, (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#listener.maxConnections = 512;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen(this.#requestedPort, '127.0.0.1', () => {
        this.#listener.off('error', reject);
        resolve();
      });
    });
    const address = this.#listener.address();
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
    if (!this.#listener.listening) return;
    await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
  }

  /** Ends every session, as a market restart does: every client must log in again. */
  expireAllSessions(): void {
    this.#sessions.clear();
  }

  /** Sessions the market ended on its own (the forced-logout defence). */
  get forcedLogouts(): number {
    return this.#forcedLogouts;
  }

  /** The onions of this market that are alive today (one, unless the mirror defence rotates them). */
  liveOnions(): string[] {
    return this.mirrors ? this.mirrors.live(this.#clock.day) : [this.market.onion];
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
    const all: Record<string, string> = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', server: 'nginx', ...headers };
    let bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const framing = this.#framing(res.req, status, all['content-type'] ?? '', bytes.length);
    if (framing === 'length') {
      res.writeHead(status, { ...all, 'content-length': String(bytes.length) });
      res.end(bytes);
      return;
    }
    // Chunked as nginx sends a page it proxies from the application (and every page it gzips): no Content-Length.
    if (framing === 'gzip') {
      bytes = gzipSync(bytes);
      all['content-encoding'] = 'gzip';
      all.vary = 'Accept-Encoding';
    }
    res.writeHead(status, all);
    for (let i = 0; i < bytes.length; i += SIM_CHUNK) res.write(bytes.subarray(i, i + SIM_CHUNK));
    res.end();
  }

  /**
   * How a response is framed, deterministically per market and page path, so that every crawl meets all three as
   * it meets them on real onion services behind nginx: Content-Length (nginx's own error pages, redirects, images,
   * some pages), chunked (pages proxied from the application), gzip content-encoded and chunked (pages nginx
   * compresses with `gzip on`, only when the client accepts gzip).
   */
  #framing(req: http.IncomingMessage | undefined, status: number, contentType: string, size: number): Framing {
    if (!req || size === 0 || status === 429 || status >= 500 || !/html/i.test(contentType) || req.method === 'HEAD') return 'length';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const pick = createHash('sha256').update(`${this.market.serverSeed}/framing/${path}`).digest()[0]! % 3;
    if (pick === 0) return 'length';
    if (pick === 1) return 'chunked';
    return /\bgzip\b/i.test(String(req.headers['accept-encoding'] ?? '')) ? 'gzip' : 'chunked';
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

  #newCaptcha(): string {
    const captchaId = this.#captchaRng.hex(8);
    this.#captchas.set(captchaId, { answer: captchaText(this.#captchaRng) });
    if (this.#captchas.size > MAX_CAPTCHAS) {
      const oldest = this.#captchas.keys().next().value;
      if (oldest !== undefined) this.#captchas.delete(oldest);
    }
    return captchaId;
  }

  #loginForm(res: http.ServerResponse, session: Session, status: number, error?: string): void {
    if (session.captchaId) this.#captchas.delete(session.captchaId);
    const captchaId = this.#newCaptcha();
    session.captchaId = captchaId;
    session.csrf = this.#tokenRng.hex(16);
    let html = this.design.loginPage(this.market, this.#clock.day, { csrf: session.csrf, captchaUrl: `/captcha/${captchaId}.png`, error });
    if (this.mirrors) html = html.replace('</body>', `${this.#phishingNotice()}\n</body>`);
    this.#send(res, status, html, { 'set-cookie': this.#setCookie(session) });
  }

  /**
   * Dream Market's trick: a warning hidden by a CSS rule that matches a fragment of the real onion in an attribute.
   * A clone that rewrites the onion into its own leaves the fragment unmatched, and the warning shows.
   */
  #phishingNotice(): string {
    const onion = this.liveOnions()[0] ?? this.market.onion;
    const fragment = onion.slice(9, 17);
    return `<div class="mirror-notice">Official mirrors: <a href="/mirrors">signed list</a>. Always check the address.</div>
<style>.phish-warning{position:fixed;top:2em;left:2em;color:red;font-size:30px}.phish-warning[data-host*="${fragment}"]{display:none}</style>
<div class="phish-warning" data-host="${h(onion)}">Phishing site! This is not ${h(this.market.name)}. You have been phished.</div>`;
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
    const circuitId = circuitOf(req.socket);
    const client = sessionId ? `s:${sessionId}` : circuitId !== undefined ? `c:${circuitId}` : `a:${req.socket.remoteAddress ?? ''}`;
    const retryAfter = this.#rateLimited(client);
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
    const captcha = /^(?:\/ddos)?\/captcha\/([0-9a-f]{16})\.png$/.exec(url.pathname);
    if (captcha && req.method === 'GET' && (this.front || !url.pathname.startsWith(FRONT_PREFIX))) {
      const entry = this.#captchas.get(captcha[1] ?? '');
      if (!entry) {
        this.#send(res, 404, errorPage(404, day, 'Not Found'));
        return;
      }
      this.#send(res, 200, renderCaptchaPng(entry.answer, this.market.serverSeed), { 'content-type': 'image/png' });
      return;
    }
    if (this.front) {
      const verifying = url.pathname === `${FRONT_PREFIX}/verify` && req.method === 'POST';
      const body = verifying ? await readBody(req, MAX_BODY_BYTES) : undefined;
      const answer = this.front.handle(req, url, circuitId === undefined ? 'direct' : String(circuitId), this.#cookies(req), body);
      if (answer) {
        this.#send(res, answer.status, answer.html, answer.headers);
        return;
      }
    }
    if (this.mirrors && url.pathname === this.mirrors.options.path && req.method === 'GET') {
      this.#send(res, 200, mirrorsPage(this.market, await this.mirrors.signedList(day), marketSigningKey(this.market).armored));
      return;
    }

    let session = sessionId ? this.#sessions.get(sessionId) : undefined;
    if (session?.username && Date.now() - (session.loggedInAt ?? 0) > this.#sessionTtlMs) {
      this.#sessions.delete(session.id);
      session = undefined;
    }
    const target = url.pathname + url.search;
    if (this.twoFactorForm && isPath(url, this.twoFactorForm.path)) {
      await this.#twoFactor(req, res, session);
      return;
    }
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
    if (session?.username && session.logoutAfter !== undefined && (session.requests = (session.requests ?? 0) + 1) > session.logoutAfter) {
      // Forced logout: the market ends the session on its own (a restart, a security sweep, a changed circuit).
      this.#sessions.delete(session.id);
      this.#forcedLogouts++;
      session = undefined;
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

  #cookies(req: http.IncomingMessage): Map<string, string> {
    const out = new Map<string, string>();
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name) out.set(name, rest.join('='));
    }
    return out;
  }

  #logEvent(e: LoginEvent): void {
    this.#logins.push(e);
    if (this.#logins.length > 10_000) this.#logins.shift();
  }

  /** A session that passed password and (when asked) two-factor: a fresh session id, as after any login. */
  #loggedIn(res: http.ServerResponse, old: Session, username: string): void {
    this.#sessions.delete(old.id);
    const fresh = this.#newSession();
    fresh.username = username;
    fresh.loggedInAt = Date.now();
    const every = this.defences?.forcedLogout?.everyRequests;
    if (every !== undefined) fresh.logoutAfter = Math.max(1, Math.round(every * (0.5 + this.#logoutRng.next())));
    this.#logEvent({ username, ok: true, reason: 'ok' });
    this.#send(res, 302, '', { location: '/', 'set-cookie': this.#setCookie(fresh) });
  }

  async #login(req: http.IncomingMessage, res: http.ServerResponse, session: Session | undefined): Promise<void> {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      this.#send(res, 413, errorPage(413, this.#clock.day, 'Request Entity Too Large'));
      return;
    }
    const form = new URLSearchParams(body);
    const f = this.design.fields;
    const username = form.get(f.username) ?? '';
    const fail = (reason: LoginEvent['reason'], message: string, s: Session) => {
      this.#logEvent({ username, ok: false, reason });
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
    session.captchaId = undefined;
    if (this.twoFactorForm && this.defences?.twoFactor?.usernames.includes(username)) {
      const code = twoFactorCode(this.#tokenRng);
      session.pending2fa = { username, code, message: await twoFactorChallenge(this.market, username, code), attempts: 0 };
      session.csrf = this.#tokenRng.hex(16);
      this.#logEvent({ username, ok: false, reason: 'two-factor-pending' });
      this.#send(res, 302, '', { location: this.twoFactorForm.path, 'set-cookie': this.#setCookie(session) });
      return;
    }
    this.#loggedIn(res, session, username);
  }

  /** The two-factor step: the challenge (GET) and its answer (POST); three wrong codes end the attempt. */
  async #twoFactor(req: http.IncomingMessage, res: http.ServerResponse, session: Session | undefined): Promise<void> {
    const form = this.twoFactorForm as { path: string; field: string };
    const pending = session?.pending2fa;
    if (!session || !pending) {
      this.#send(res, 302, '', { location: session?.username ? '/' : this.design.loginPath });
      return;
    }
    const show = (status: number, error?: string) =>
      this.#send(res, status, twoFactorPage(this.market, { action: form.path, field: form.field, csrfField: this.design.fields.csrf, csrf: session.csrf, message: pending.message, error }));
    if (req.method === 'GET') {
      show(200);
      return;
    }
    if (req.method !== 'POST') {
      this.#send(res, 405, errorPage(405, this.#clock.day, 'Method Not Allowed'), { allow: 'GET, POST' });
      return;
    }
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === undefined) {
      this.#send(res, 413, errorPage(413, this.#clock.day, 'Request Entity Too Large'));
      return;
    }
    const posted = new URLSearchParams(body);
    if (posted.get(this.design.fields.csrf) === session.csrf && (posted.get(form.field) ?? '').trim().toUpperCase() === pending.code) {
      this.#loggedIn(res, session, pending.username);
      return;
    }
    this.#logEvent({ username: pending.username, ok: false, reason: 'two-factor' });
    if (++pending.attempts >= MAX_TWO_FACTOR_ATTEMPTS) {
      session.pending2fa = undefined;
      this.#send(res, 302, '', { location: this.design.loginPath });
      return;
    }
    show(403, 'Wrong code. Decrypt the message again and enter the code it contains.');
  }
}
