import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { EvidenceRecorder } from '../../src/evidence/index.ts';
import type { Database } from '../../src/store/index.ts';

export const MARKETS_2019 = resolve(import.meta.dirname, '../../../shared/fixtures/markets-2019');
const TRUTH = resolve(import.meta.dirname, '../fixtures/extract/markets-2019-truth.json');

export interface TruthPage {
  market: string;
  pageType: string;
  url: string;
  listing?: { title: string; price: { amount: number; currency: string }; vendorHandle: string; shipsFrom: string | null; shipsTo: string[]; category?: string[] };
  vendor?: { handle: string; rating: number; ratingMax?: number } | null;
}

export function dreamTruth(): [string, TruthPage][] {
  const pages = (JSON.parse(readFileSync(TRUTH, 'utf8')) as { pages: Record<string, TruthPage> }).pages;
  return Object.entries(pages)
    .filter(([f, t]) => t.market === 'dream' && f.endsWith('.html'))
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

export interface RecordedPage {
  captureId: number;
  file: string;
  truth: TruthPage;
}

/**
 * Real pages of the 2019 Dream market (shared fixtures) recorded as captures of a market by the evidence recorder:
 * WARC records and hash-chained log entries, as the crawler writes them. `files` filters the truth pages.
 */
export async function recordFixturePages(db: Kysely<Database>, dir: string, agencyId: number, marketId: number, files: (file: string, t: TruthPage) => boolean): Promise<RecordedPage[]> {
  const recorder = new EvidenceRecorder(db, { dir });
  const out: RecordedPage[] = [];
  try {
    let i = 0;
    for (const [file, truth] of dreamTruth()) {
      if (!files(file, truth)) continue;
      const body = readFileSync(resolve(MARKETS_2019, file));
      const u = new URL(truth.url);
      const target = `${u.pathname}${u.search}`;
      const head = `HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n`;
      const r = await recorder.recordExchange(
        {
          url: truth.url,
          request: Buffer.from(`GET ${target} HTTP/1.1\r\nhost: ${u.host}\r\n\r\n`),
          response: Buffer.concat([Buffer.from(head, 'latin1'), body]),
          payloadSha256: createHash('sha256').update(body).digest('hex'),
          payloadSize: body.length,
          httpStatus: 200,
          contentType: 'text/html; charset=utf-8',
          fetchedAt: new Date(Date.UTC(2019, 4, 1, 10, 0, i++)),
        },
        { agencyId, marketId },
      );
      out.push({ captureId: r.captureId, file, truth });
    }
  } finally {
    await recorder.close();
  }
  return out;
}

/** One HTML page recorded as a capture (hostile pages for the structure view). */
export async function recordHtml(db: Kysely<Database>, dir: string, agencyId: number, marketId: number, url: string, html: string): Promise<number> {
  const recorder = new EvidenceRecorder(db, { dir });
  try {
    const body = Buffer.from(html);
    const u = new URL(url);
    const head = `HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${body.length}\r\n\r\n`;
    const r = await recorder.recordExchange(
      {
        url,
        request: Buffer.from(`GET ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\n\r\n`),
        response: Buffer.concat([Buffer.from(head, 'latin1'), body]),
        payloadSha256: createHash('sha256').update(body).digest('hex'),
        payloadSize: body.length,
        httpStatus: 200,
        contentType: 'text/html; charset=utf-8',
        fetchedAt: new Date(Date.UTC(2019, 4, 2)),
      },
      { agencyId, marketId },
    );
    return r.captureId;
  } finally {
    await recorder.close();
  }
}
