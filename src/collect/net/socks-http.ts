import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { SocksClient } from 'socks';
import { dechunk } from '../../evidence/index.ts';
import type { SocksProxyConfig } from './proxy.ts';

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
  constructor(kind: FetchErrorKind, message: string) {
    super(message);
    this.name = 'FetchError';
    this.kind = kind;
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
  /** Entity body after transfer decoding (content encoding untouched: we never ask for compression). */
  body: Buffer;
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

function classifySocksError(err: Error): FetchError {
  const m = err.message;
  if (/HostUnreachable|NetworkUnreachable|TTLExpired/i.test(m)) return new FetchError('unreachable', `proxy: host unreachable (${m})`);
  if (/NotAllowed|ConnectionRefused|AddressNotSupported|CommandNotSupported/i.test(m)) return new FetchError('refused', `proxy refused the destination (${m})`);
  if (/timed out|timeout/i.test(m)) return new FetchError('timeout', `proxy: ${m}`);
  return new FetchError('proxy-unavailable', `proxy: ${m}`);
}

/**
 * One HTTP/1.1 exchange through a SOCKS5 proxy. The destination hostname is handed to the proxy unresolved
 * (SOCKS5 ATYP domain name), so .onion names are resolved by Tor, never here. Returns the raw bytes both ways
 * for the evidence log.
 */
export async function socksFetch(target: string | URL, options: SocksFetchOptions): Promise<SocksResponse> {
  const url = typeof target === 'string' ? new URL(target) : target;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError('protocol', `cannot fetch ${url.protocol} URLs`);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const maxBytes = options.maxBytes ?? 20 * 1024 * 1024;
  const rawRequest = buildRequest(url, options);
  let socket: Socket;
  try {
    const conn = await SocksClient.createConnection({
      command: 'connect',
      proxy: {
        host: options.proxy.host,
        port: options.proxy.port,
        type: 5,
        userId: options.isolationUsername,
        password: options.proxy.password ?? '',
      },
      destination: { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) },
      timeout: timeoutMs,
    });
    socket = conn.socket;
  } catch (err) {
    throw classifySocksError(err as Error);
  }
  const stream: Socket = url.protocol === 'https:' ? tls.connect({ socket, servername: url.hostname, rejectUnauthorized: false }) : socket;
  return await new Promise<SocksResponse>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err?: FetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.destroy();
      if (err) return reject(err);
      try {
        resolve(parseResponse(Buffer.concat(chunks), rawRequest, true));
      } catch (e) {
        reject(e);
      }
    };
    const timer = setTimeout(() => finish(new FetchError('timeout', `no complete response from ${url.host} within ${timeoutMs} ms`)), timeoutMs);
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) return finish(new FetchError('too-large', `response from ${url.host} exceeds ${maxBytes} bytes`));
      // Stop as soon as the message is complete (do not wait for the server to close).
      if (isComplete(Buffer.concat(chunks))) finish();
    });
    stream.on('error', (e) => finish(new FetchError('dropped', `connection to ${url.host} failed: ${e.message}`)));
    stream.on('close', () => {
      if (settled) return;
      const all = Buffer.concat(chunks);
      if (all.length === 0) return finish(new FetchError('dropped', `${url.host} closed the connection without answering`));
      if (!isComplete(all, true)) return finish(new FetchError('dropped', `${url.host} closed the connection mid-response (${all.length} bytes)`));
      finish();
    });
    stream.write(rawRequest);
  });
}

function headEnd(buf: Buffer): number {
  return buf.indexOf('\r\n\r\n');
}

/** Whether a buffered response is a complete HTTP message (closed: the server has closed the connection). */
function isComplete(buf: Buffer, closed = false): boolean {
  const end = headEnd(buf);
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  const body = buf.subarray(end + 4);
  if ((status >= 100 && status < 200) || status === 204 || status === 304) return true;
  const cl = /^content-length:\s*(\d+)\s*$/im.exec(head);
  if (/^transfer-encoding:\s*chunked\s*$/im.test(head)) return body.subarray(-5).toString('latin1') === '0\r\n\r\n' || (closed && false);
  if (cl) return body.length >= Number(cl[1]);
  return closed;
}

export function parseResponse(raw: Buffer, rawRequest: Buffer, trim = false): SocksResponse {
  const end = headEnd(raw);
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
  const body = /chunked/i.test(headers['transfer-encoding'] ?? '') ? dechunk(bodyRaw) : bodyRaw;
  return {
    status: Number(m[1]),
    statusText: m[2] ?? '',
    headers,
    setCookies,
    body,
    rawRequest,
    rawResponse,
    payloadSha256: createHash('sha256').update(body).digest('hex'),
  };
}
