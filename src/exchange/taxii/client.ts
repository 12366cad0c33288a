/**
 * A TAXII 2.1 client: discovery, API root, collections, paged Get Objects, Add Objects. It sends
 * `Accept: application/taxii+json;version=2.1`, authenticates with HTTP Basic or a bearer token, refuses answers
 * that are not TAXII 2.1, and pages by `next` — or, when a server says `more` without `next`, by `added_after` set
 * to the page's X-TAXII-Date-Added-Last (TAXII 2.1 §3.4). Every loop is bounded in pages and bytes.
 */
import { isTaxii21ContentType, TAXII_MEDIA_TYPE, DATE_ADDED_LAST } from './protocol.ts';
import type { TaxiiApiRoot, TaxiiCollection, TaxiiDiscovery, TaxiiEnvelope, TaxiiError, TaxiiStatus } from './protocol.ts';

export type TaxiiAuth = { kind: 'bearer'; token: string } | { kind: 'basic'; username: string; password: string } | { kind: 'none' };

export interface TaxiiClientOptions {
  auth: TaxiiAuth;
  /** Per request, default 60 s. */
  timeoutMs?: number;
  /** Largest response body, default 64 MiB. */
  maxBytes?: number;
}

export class TaxiiClientError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly taxiiError?: TaxiiError,
  ) {
    super(message);
    this.name = 'TaxiiClientError';
  }
}

export interface PullOptions {
  addedAfter?: string;
  /** Objects per request (the server may send fewer). */
  limit?: number;
  types?: string[];
  /** Stop after this many pages (default 1,000). */
  maxPages?: number;
  /** Stop after this many objects (default 1,000,000). */
  maxObjects?: number;
}

export interface PullResult {
  objects: Record<string, unknown>[];
  pages: number;
  /** The last date_added seen (X-TAXII-Date-Added-Last of the last non-empty page): the next pull's added_after. */
  lastDateAdded?: string;
  /** True when a bound stopped the pull before the server said there was no more. */
  truncated: boolean;
}

export class TaxiiClient {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;

  constructor(private readonly opts: TaxiiClientOptions) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: TAXII_MEDIA_TYPE, ...extra };
    const a = this.opts.auth;
    if (a.kind === 'bearer') h.authorization = `Bearer ${a.token}`;
    if (a.kind === 'basic') h.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    return h;
  }

  /** One TAXII request; answers the parsed resource and the response headers. */
  async request<T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ body: T; headers: Headers; status: number }> {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TaxiiClientError(`${url}: only http and https URLs`);
    const res = await fetch(u, {
      method,
      headers: this.headers(body !== undefined ? { 'content-type': TAXII_MEDIA_TYPE } : {}),
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await readBounded(res, this.maxBytes);
    const contentType = res.headers.get('content-type') ?? '';
    let parsed: unknown;
    try {
      parsed = text.length ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const err = isTaxii21ContentType(contentType) && isRecord(parsed) && typeof parsed.title === 'string' ? (parsed as unknown as TaxiiError) : undefined;
      throw new TaxiiClientError(`${method} ${url}: HTTP ${res.status}${err ? ` ${err.title}${err.description ? `: ${err.description}` : ''}` : ''}`, res.status, err);
    }
    if (!isTaxii21ContentType(contentType)) throw new TaxiiClientError(`${method} ${url}: answered ${contentType || 'no content type'}, not ${TAXII_MEDIA_TYPE}`, res.status);
    if (!isRecord(parsed)) throw new TaxiiClientError(`${method} ${url}: the answer is not a JSON object`, res.status);
    return { body: parsed as T, headers: res.headers, status: res.status };
  }

  async discovery(url: string): Promise<TaxiiDiscovery> {
    const d = (await this.request<TaxiiDiscovery>('GET', url)).body;
    if (typeof d.title !== 'string') throw new TaxiiClientError(`${url}: not a TAXII discovery resource (no title)`);
    return d;
  }

  async apiRoot(url: string): Promise<TaxiiApiRoot> {
    const r = (await this.request<TaxiiApiRoot>('GET', url)).body;
    if (!Array.isArray(r.versions) || !r.versions.some((v) => isTaxii21ContentType(v))) throw new TaxiiClientError(`${url}: the API root does not speak ${TAXII_MEDIA_TYPE}`);
    return r;
  }

  async collections(apiRootUrl: string): Promise<TaxiiCollection[]> {
    const r = (await this.request<{ collections?: TaxiiCollection[] }>('GET', new URL('collections/', slash(apiRootUrl)).href)).body;
    return Array.isArray(r.collections) ? r.collections : [];
  }

  async collection(collectionUrl: string): Promise<TaxiiCollection> {
    const c = (await this.request<TaxiiCollection>('GET', slash(collectionUrl))).body;
    if (typeof c.id !== 'string' || typeof c.can_read !== 'boolean') throw new TaxiiClientError(`${collectionUrl}: not a TAXII collection resource`);
    return c;
  }

  /** Every object of a collection added after `addedAfter`, page by page. */
  async pull(collectionUrl: string, o: PullOptions = {}): Promise<PullResult> {
    const maxPages = o.maxPages ?? 1000;
    const maxObjects = o.maxObjects ?? 1_000_000;
    const objectsUrl = new URL('objects/', slash(collectionUrl));
    const objects: Record<string, unknown>[] = [];
    let next: string | undefined;
    let addedAfter = o.addedAfter;
    let lastDateAdded: string | undefined;
    for (let pages = 1; ; pages++) {
      const u = new URL(objectsUrl);
      if (o.limit) u.searchParams.set('limit', String(o.limit));
      if (o.types?.length) u.searchParams.set('match[type]', o.types.join(','));
      if (next) u.searchParams.set('next', next);
      else if (addedAfter) u.searchParams.set('added_after', addedAfter);
      const { body, headers } = await this.request<TaxiiEnvelope>('GET', u.href);
      const page = Array.isArray(body.objects) ? body.objects.filter(isRecord) : [];
      objects.push(...page);
      const last = headers.get(DATE_ADDED_LAST) ?? undefined;
      if (page.length && last) lastDateAdded = last;
      if (!body.more) return { objects, pages, ...(lastDateAdded ? { lastDateAdded } : {}), truncated: false };
      if (pages >= maxPages || objects.length >= maxObjects) return { objects, pages, ...(lastDateAdded ? { lastDateAdded } : {}), truncated: true };
      if (typeof body.next === 'string' && body.next) {
        next = body.next;
      } else {
        // more without next: continue from the last date_added served (§3.4). No progress means a broken server.
        if (!last || last === addedAfter) throw new TaxiiClientError(`${u.href}: more=true without next or a new X-TAXII-Date-Added-Last; cannot page`);
        next = undefined;
        addedAfter = last;
      }
    }
  }

  async addObjects(collectionUrl: string, objects: unknown[]): Promise<TaxiiStatus> {
    return (await this.request<TaxiiStatus>('POST', new URL('objects/', slash(collectionUrl)).href, { objects })).body;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const slash = (u: string) => (u.endsWith('/') ? u : `${u}/`);

async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > max) throw new TaxiiClientError(`answer of ${declared} bytes exceeds ${max}`, res.status);
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    n += chunk.byteLength;
    if (n > max) throw new TaxiiClientError(`answer exceeds ${max} bytes`, res.status);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
