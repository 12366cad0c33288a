import { ChainSourceError, type ChainFetch } from './types.ts';

export interface HttpOptions {
  /** Deadline per request (ms). */
  timeoutMs?: number;
  /** Largest body accepted (bytes). */
  maxBytes?: number;
  /** Called with every successful exchange before its content is used (evidence). */
  onFetch?: (f: ChainFetch) => void;
  headers?: Record<string, string>;
}

/** One HTTP request with a deadline and a size cap; the raw request and response are kept for evidence. */
export async function httpFetch(
  url: string,
  init: { method: 'GET' | 'POST'; body?: string; what: string },
  options: HttpOptions,
): Promise<ChainFetch> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const headers: Record<string, string> = { accept: 'application/json, text/plain', ...(options.headers ?? {}) };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const fetchedAt = new Date();
  let res: Response;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    try {
      res = await fetch(url, { method: init.method, body: init.body, headers, signal: controller.signal, redirect: 'error' });
    } catch (first) {
      // A kept-alive connection the server closed fails at once: every request here is a read, so one retry is safe.
      if (controller.signal.aborted) throw first;
      res = await fetch(url, { method: init.method, body: init.body, headers, signal: controller.signal, redirect: 'error' });
    }
  } catch (err) {
    clearTimeout(timer);
    if (controller.signal.aborted) throw new ChainSourceError('timeout', `${init.what}: no answer from ${redact(url)} within ${timeoutMs} ms`);
    throw new ChainSourceError('unreachable', `${init.what}: cannot reach ${redact(url)} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`);
  }
  let body: Buffer;
  try {
    body = await readCapped(res, options.maxBytes ?? 64 << 20, init.what);
  } catch (err) {
    if (controller.signal.aborted) throw new ChainSourceError('timeout', `${init.what}: ${redact(url)} did not finish its answer within ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const u = new URL(url);
  const shownHeaders = Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization');
  const request = Buffer.concat([
    Buffer.from(`${init.method} ${u.pathname}${u.search} HTTP/1.1\r\nhost: ${u.host}\r\n${shownHeaders.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`),
    Buffer.from(init.body ?? ''),
  ]);
  const responseHead = `HTTP/1.1 ${res.status} ${res.statusText}\r\n${[...res.headers].map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return {
    url: redact(url), what: init.what, request, response: Buffer.concat([Buffer.from(responseHead), body]), body,
    httpStatus: res.status, contentType: res.headers.get('content-type'), fetchedAt,
  };
}

async function readCapped(res: Response, max: number, what: string): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > max) throw new ChainSourceError('malformed', `${what}: answer larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** A URL without its user:password. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}

export function parseJson(f: ChainFetch): unknown {
  try {
    return JSON.parse(f.body.toString('utf8'));
  } catch {
    throw new ChainSourceError('malformed', `${f.what}: ${f.url} answered with malformed JSON (${f.body.length} bytes, HTTP ${f.httpStatus})`);
  }
}
