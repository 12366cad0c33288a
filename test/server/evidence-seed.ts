import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { EvidenceRecorder, type HttpExchange } from '../../src/evidence/index.ts';
import type { Database } from '../../src/store/index.ts';

/** A URL a hostile market could make the crawler fetch: markup in it must stay text in every view and report. */
export const HOSTILE_PATH = `/vendor/"><script>alert('x')</script><img src=x onerror=alert(1)>`;

function exchange(i: number, host: string, path: string): HttpExchange {
  const body = `<html><head><title>p${i}</title><script>fetch('/api/health?pwned=${i}')</script></head><body>listing ${i}</body></html>`;
  return {
    url: `http://${host}.onion${path}`,
    request: Buffer.from(`GET ${path} HTTP/1.1\r\nhost: ${host}.onion\r\n\r\n`),
    response: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    payloadSha256: createHash('sha256').update(body).digest('hex'),
    payloadSize: Buffer.byteLength(body),
    httpStatus: 200,
    contentType: 'text/html; charset=utf-8',
    fetchedAt: new Date(Date.UTC(2026, 10, 2, 3, 4, i)),
  };
}

/** Real captures (WARC records + hash-chained log entries) of an agency's market, written by the evidence recorder. */
export async function recordCaptures(db: Kysely<Database>, dir: string, agencyId: number, marketId: number, n: number, host = 'q'.repeat(56)): Promise<number[]> {
  const recorder = new EvidenceRecorder(db, { dir });
  const ids: number[] = [];
  try {
    for (let i = 0; i < n; i++) ids.push((await recorder.recordExchange(exchange(i, host, i === 0 ? HOSTILE_PATH : `/listing/${i}`), { agencyId, marketId })).captureId);
  } finally {
    await recorder.close();
  }
  return ids;
}
