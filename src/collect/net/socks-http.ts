import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { decodeContent, dechunk, isChunked } from '../../evidence/index.ts';
import type { SocksProxyConfig } from './proxy.ts';
import { SocksReplyError, SocksTimeoutError, socks5Connect } from './socks5-client.ts';

export type FetchErrorKind =
  | 'proxy-unavailable' // cannot reach or authenticate to the proxy
  | 'unreachable' // the proxy says the host cannot be reached (offline onion, no descriptor)
  | 'refused' // the proxy refused the destination (ruleset, connection refused)
  | 'timeout'
  | 'dropped' // the connection closed before a complete response
  | 'too-large'
  | 'protocol'; // not an HTTP response

export class FetchError extends Error {
  readonly kind: FetchErrorKind;
  /** The proxy's SOCKS5 reply code when it refused the CONNECT (Tor's extended codes 0xF0-0xF7 included). */
  readonly socksReply: number | undefined;
  constructor(kind: FetchErrorKind, message: string, socksReply?: number) {
    super(message);
    this.name = 'FetchError';
    this.kind = kind;
    this.socksReply = socksReply;
  }
}

export interface SocksFetchOptions {
  proxy: SocksProxyConfig;
  /** Isolation key: Tor builds separate circuits per SOCKS username (IsolateSOCKSAuth). */
  isolationUsername: string;
  method?: 'GET' | 'POST' | 'HEAD';
  headers?: Record<string, string>;
  body?: Buffer | string;
  timeoutMs?: number;
  /** Largest response accepted (default 20 MiB): hostile servers must not exhaust memory. */
  maxBytes?: number;
}

export interface SocksResponse {
  status: number;
  statusText: string;
  /** Header names lowercased; repeated headers joined by ", " except set-cookie (see setCookies). */
  headers: Record<string, string>;
  setCookies: string[];
  /**
   * The content: the entity body with its Content-Encoding (gzip, deflate, br) undone, what the crawler reads.
   * The entity body itself when it names no encoding or cannot be decoded (decoding is capped).
   */
  body: Buffer;
  /** The entity body after transfer decoding (de-chunked), content encoding kept: what payloadSha256 covers. */
  entityBody: Buffer;
  rawRequest: Buffer;
  rawResponse: Buffer;
  payloadSha256: string;
}

const DEFAULT_UA = 'Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0';

/** Builds the request bytes exactly as they are sent (and preserved). */
function buildRequest(url: URL, o: SocksFetchOptions): Buffer {
  const body = o.body === undefined ? undefined : Buffer.isBuffer(o.body) ? o.body : Buffer.from(o.body);
  const headers: Record<string, string> = {
    Host: url.host,
    'User-Agent': DEFAULT_UA,
    Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Language': 'en-US,en;q=0.5',
    // What the browser sends over plain HTTP: onion services (nginx with gzip on) then compress.
    'Accept-Encoding': 'gzip, deflate',
    Connection: 'close',
    ...o.headers,
  };
  if (body) headers['Content-Length'] = String(body.length);
  for (const [k, v] of Object.entries(headers)) {
    if (/[\r\n]/.test(k) || /[\r\n]/.test(v)) throw new FetchError('protocol', `header ${k} contains a line break`);
  }
  const head = `${o.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
}

/** What a SOCKS5 reply means for the crawl (see SOCKS5_REPLIES for Tor's extended onion-service codes). */
const REPLY_KIND: Record<number, FetchErrorKind> = {
  0x01: 'unreachable',
  0x03: 'unreachable',
  0x04: 'unreachable',
  0x06: 'timeout',
  0xf0: 'unreachable',
  0xf2: 'unreachable',
  0xf3: 'unreachable',
  0xf7: 'unreachable',
  0x02: 'refused',
  0x05: 'refused',
  0x07: 'refused',
  0x08: 'refused',
  0xf1: 'refused',
  0xf4: 'refused',
  0xf5: 'refused',
  0xf6: 'refused',
};

function classifySocksError(err: unknown, url: URL): FetchError {
  if (err instanceof SocksReplyError) return new FetchError(REPLY_KIND[err.reply] ?? 'unreachable', `${url.host}: ${err.message}`, err.reply);
  if (err instanceof SocksTimeoutError) return new FetchError('timeout', err.message);
  return new FetchError('proxy-unavailable', (err as Error).message);
}

type PushResult = 'complete' | 'more' | { error: 'too-large' | 'protocol'; message: string };

/**
 * Reads an HTTP/1.1 response as it arrives: finds the header block once, then counts the body (Content-Length)
 * or follows the chunked framing incrementally, so completion is known without re-reading what came before.
 * Chunks are kept as they are and joined once at the end.
 */
export class ResponseReader {
  readonly chunks: Buffer[] = [];
  size = 0;
  #head: Buffer<ArrayBufferLike> = Buffer.alloc(0);
  #headDone = false;
  #contentLength: number | undefined;
  #chunked = false;
  #bodyBytes = 0;
  #state: 'size' | 'data' | 'data-crlf' | 'trailer' | 'done' | 'bad' = 'size';
  #line = '';
  #remaining = 0;

  /** Adds bytes as they arrive. */
  push(chunk: Buffer, maxBytes: number): PushResult {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size > maxBytes) return { error: 'too-large', message: `response exceeds ${maxBytes} bytes` };
    let body = chunk;
    if (!this.#headDone) {
      this.#head = this.#head.length ? Buffer.concat([this.#head, chunk]) : chunk;
      const end = this.#head.indexOf('\r\n\r\n');
      if (end < 0) return this.#head.length > 256 * 1024 ? { error: 'protocol', message: 'response header block exceeds 256 KiB' } : 'more';
      const head = this.#head.subarray(0, end).toString('latin1');
      this.#headDone = true;
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      const cl = /^content-length:\s*(\d+)\s*$/im.exec(head);
      this.#chunked = /^transfer-encoding:[^\r\n]*chunked/im.test(head);
      this.#contentLength = cl && !this.#chunked ? Number(cl[1]) : undefined;
      if (this.#contentLength !== undefined && end + 4 + this.#contentLength > maxBytes) return { error: 'too-large', message: `response declares ${this.#contentLength} bytes, more than ${maxBytes}` };
      body = this.#head.subarray(end + 4);
      this.#head = Buffer.alloc(0);
      if ((status >= 100 && status < 200) || status === 204 || status === 304) return 'complete';
    }
    this.#bodyBytes += body.length;
    if (this.#chunked) {
      this.#feedChunked(body);
      if (this.#state === 'bad') return { error: 'protocol', message: 'malformed chunked encoding' };
      return this.#state === 'done' ? 'complete' : 'more';
    }
    if (this.#contentLength !== undefined) return this.#bodyBytes >= this.#contentLength ? 'complete' : 'more';
    return 'more';
  }

  #feedChunked(b: Buffer): void {
    let i = 0;
    while (i < b.length && this.#state !== 'done' && this.#state !== 'bad') {
      if (this.#state === 'data') {
        const take = Math.min(this.#remaining, b.length - i);
        this.#remaining -= take;
        i += take;
        if (this.#remaining === 0) this.#state = 'data-crlf';
        continue;
      }
      const nl = b.indexOf(0x0a, i);
      const part = b.subarray(i, nl < 0 ? b.length : nl).toString('latin1');
      if (nl < 0) {
        this.#line += part;
        if (this.#line.length > 8192) this.#state = 'bad';
        return;
      }
      const line = (this.#line + part).replace(/\r$/, '');
      this.#line = '';
      i = nl + 1;
      if (this.#state === 'data-crlf') this.#state = 'size';
      else if (this.#state === 'size') {
        const n = Number.parseInt(line.split(';')[0] ?? '', 16);
        if (!Number.isFinite(n) || n < 0) this.#state = 'bad';
        else if (n === 0) this.#state = 'trailer';
        else {
          this.#remaining = n;
          this.#state = 'data';
        }
      } else if (line === '') this.#state = 'done'; // the empty line ending the trailer section
    }
  }

  /** At connection close: whether what arrived is a whole message (no length and not chunked: close ends it). */
  completeAtClose(): boolean {
    if (!this.#headDone) return false;
    if (this.#chunked) return this.#state === 'done';
    if (this.#contentLength !== undefined) return this.#bodyBytes >= this.#contentLength;
    return true;
  }
}

/**
 * One HTTP/1.1 exchange through a SOCKS5 proxy. The destination hostname is handed to the proxy unresolved
 * (SOCKS5 ATYP domain name), so .onion names are resolved by Tor, never here. Returns the raw bytes both ways
 * for the evidence log. A response larger than `maxBytes` is abandoned as soon as it is known to be.
 */
export async function socksFetch(target: string | URL, options: SocksFetchOptions): Promise<SocksResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('protocol', `cannot fetch ${url.protocol} URLs`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const rawRequest = buildRequest(url, options);
  let tunnel: { socket: Socket; head: Buffer };
  try {
    tunnel = await socks5Connect({
      proxyHost: options.proxy.host,
      proxyPort: options.proxy.port,
      username: options.isolationUsername,
      password: options.proxy.password ?? '',
      host: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      timeoutMs,
    });
  } catch (err) {
    throw classifySocksError(err, url);
  }
  const socket = tunnel.socket;
  const stream: Socket = url.protocol === 'https:' ? tls.connect({ socket, servername: url.hostname, rejectUnauthorized: false }) : socket;
  return await new Promise<SocksResponse>((resolve, reject) => {
    const reader = new ResponseReader();
    let settled = false;
    const finish = (err?: FetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      socket.destroy();
      if (err) return reject(err);
      try {
        resolve(parseResponse(Buffer.concat(reader.chunks, reader.size), rawRequest, true));
      } catch (e) {
        reject(e);
      }
    };
    const timer = setTimeout(() => finish(new FetchError('timeout', `no complete response from ${url.host} within ${timeoutMs} ms (${reader.size} bytes received)`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      if (settled) return;
      const r = reader.push(chunk, maxBytes);
      if (r === 'complete') finish();
      else if (r !== 'more') finish(new FetchError(r.error, `${url.host}: ${r.message}`));
    };
    stream.on('data', onData);
    stream.on('error', (e) => finish(new FetchError('dropped', `connection to ${url.host} failed: ${e.message}`)));
    stream.on('close', () => {
      if (settled) return;
      if (reader.size === 0) return finish(new FetchError('dropped', `${url.host} closed the connection without answering`));
      if (!reader.completeAtClose()) return finish(new FetchError('dropped', `${url.host} closed the connection mid-response (${reader.size} bytes)`));
      finish();
    });
    if (url.protocol !== 'https:' && tunnel.head.length) onData(tunnel.head);
    stream.resume();
    stream.write(rawRequest);
  });
}

export function parseResponse(raw: Buffer, rawRequest: Buffer, trim = false): SocksResponse {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) throw new FetchError('protocol', 'response has no complete header block');
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (!m) throw new FetchError('protocol', `not an HTTP response: ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
  const headers: Record<string, string> = {};
  const setCookies: string[] = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    if (k === 'set-cookie') setCookies.push(v);
    else headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
  }
  let bodyRaw = raw.subarray(end + 4);
  let rawResponse = raw;
  const cl = headers['content-length'];
  if (trim && cl !== undefined && headers['transfer-encoding'] === undefined && bodyRaw.length > Number(cl)) {
    bodyRaw = bodyRaw.subarray(0, Number(cl));
    rawResponse = raw.subarray(0, end + 4 + Number(cl));
  }
  const entityBody = isChunked(headers['transfer-encoding'] ?? '') ? dechunk(bodyRaw) : bodyRaw;
  return {
    status: Number(m[1]),
    statusText: m[2] ?? '',
    headers,
    setCookies,
    body: decodeContent(entityBody, headers['content-encoding']),
    entityBody,
    rawRequest,
    rawResponse,
    payloadSha256: createHash('sha256').update(entityBody).digest('hex'),
  };
}
