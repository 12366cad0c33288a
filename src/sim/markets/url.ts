import type http from 'node:http';

/** True when `url` is the path of `pathWithQuery` and carries its query parameters (others may follow). */
export function isPath(url: URL, pathWithQuery: string): boolean {
  const target = new URL(pathWithQuery, 'http://x');
  if (url.pathname !== target.pathname) return false;
  for (const [k, v] of target.searchParams) if (url.searchParams.get(k) !== v) return false;
  return true;
}

/** A request body up to `limit` bytes; undefined when it is larger. */
export async function readBody(req: http.IncomingMessage, limit: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
