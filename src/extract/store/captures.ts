import { join } from 'node:path';
import { sql } from 'kysely';
import type { FxTable } from '../../domain/money.ts';
import { decodeContent, readHttpResponse, readRecordAt } from '../../evidence/index.ts';
import { extractGeneric, GENERIC_REF } from '../generic/index.ts';
import { maintainAfterBulkWrite, type Store } from '../../store/index.ts';
import type { Adapter } from '../adapter/types.ts';
import { extractPage } from '../adapter/run.ts';
import { getAdapter, adapterForUrl } from '../adapters/index.ts';
import { saveExtraction, type ListingClass, type SaveReport } from './save.ts';
import { inducedAdapterIndex } from './induced.ts';

export interface ExtractCapturesOptions {
  /** Directory holding the WARC files the captures point into. */
  evidenceDir: string;
  /** Only this market's captures. */
  marketId?: number;
  /** Only the captures of this crawl job (a worker extracts what one crawl brought in). */
  crawlJobId?: string;
  /** Re-parse captures already parsed by an older adapter version (or, with `all`, by any version). */
  reparse?: boolean;
  all?: boolean;
  fx?: FxTable;
  classify?: (title: string, description: string) => ListingClass | null;
  /** Adapters by id; defaults to the built-in ones. */
  adapters?: (id: string) => Adapter | undefined;
  onProgress?: (done: number, total: number) => void;
  /**
   * When the facts of a capture were true, if not its fetch time. The demo crawls a simulated market on simulated
   * days in a few real seconds: its evidence keeps the real fetch time, its intelligence (first/last seen, snapshots,
   * relative feedback dates) the simulated day. Real crawls never set it.
   */
  observedAt?: (captureId: number, fetchedAt: Date) => Date;
  /** Captures handled per batch (bounded memory on large runs). */
  batchSize?: number;
}

export interface ExtractCapturesReport extends SaveReport {
  captures: number;
  parsed: number;
  failed: number;
  /** Captures of markets with no adapter, read by the generic extractor. */
  skippedNoAdapter: number;
  byPageType: Record<string, number>;
}

/**
 * Runs the adapters over stored evidence: reads each capture's HTTP response from its WARC record, extracts,
 * saves the facts with the capture and adapter version as provenance, and records which adapter parsed it.
 * Idempotent: a capture already parsed by the current adapter version is skipped unless `all` is set. Ends, when
 * anything was parsed, with the embedded engine's vacuum of the searched tables (maintainAfterBulkWrite).
 */
export async function extractCaptures(store: Store, opts: ExtractCapturesOptions): Promise<ExtractCapturesReport> {
  const lookup = opts.adapters ?? getAdapter;
  // Adapters the agency induced and saved for a market (or its hosts) come first: the latest version.
  const induced = await inducedAdapterIndex(store.db);
  const hostOf = (url: string) => {
    try {
      return new URL(url).hostname.toLowerCase();
    } catch {
      return '';
    }
  };
  const adapterFor = (c: { agency_id: number; market_id: number | null; market_adapter: string | null; url: string }): Adapter | undefined =>
    induced.get(`m:${c.agency_id}:${c.market_id}`) ??
    induced.get(`h:${c.agency_id}:${hostOf(c.url)}`) ??
    (c.market_adapter ? lookup(c.market_adapter) : undefined) ??
    adapterForUrl(c.url);
  const report: ExtractCapturesReport = { captures: 0, parsed: 0, failed: 0, skippedNoAdapter: 0, byPageType: {}, vendors: 0, listings: 0, snapshots: 0, feedback: 0, selectors: 0 };
  const candidates = await store.db
    .selectFrom('captures as c')
    .leftJoin('markets as m', 'm.id', 'c.market_id')
    .leftJoin('capture_parses as p', 'p.capture_id', 'c.id')
    .leftJoin('captures as orig', 'orig.id', 'c.refers_to')
    .select(['c.id', 'c.url', 'c.agency_id', 'c.tlp', 'c.market_id', 'c.content_type', 'c.fetched_at', 'c.payload_sha256', 'm.adapter as market_adapter', 'p.adapter as parsed_by'])
    // A revisit's payload is its original's: read that record.
    .select((eb) => [
      eb.fn.coalesce('orig.warc_file', 'c.warc_file').as('warc_file'),
      eb.fn.coalesce('orig.warc_offset', 'c.warc_offset').as('warc_offset'),
      eb.fn.coalesce('orig.warc_length', 'c.warc_length').as('warc_length'),
    ])
    // Our own crawl's pages, and pages others archived (saved page folders, their WARC records).
    .where((eb) => eb.or([eb.and([eb('c.kind', '=', 'http'), eb('c.http_status', '=', 200)]), eb.and([eb('c.kind', '=', 'archive'), eb.or([eb('c.http_status', 'is', null), eb('c.http_status', '=', 200)])])]))
    .where('c.warc_file', 'is not', null)
    .where('c.market_id', 'is not', null)
    .$if(opts.marketId !== undefined, (q) => q.where('c.market_id', '=', opts.marketId!))
    .$if(opts.crawlJobId !== undefined, (q) => q.where('c.job_id', '=', opts.crawlJobId!))
    .where(sql<boolean>`coalesce(c.content_type, 'text/html') ilike '%html%'`)
    .orderBy('c.id')
    .execute();

  const work = candidates.filter((c) => {
    const adapter = adapterFor(c);
    const current = adapter ? `${adapter.id}@${adapter.version}` : GENERIC_REF;
    if (!c.parsed_by) return true;
    if (opts.all) return true;
    return opts.reparse === true && c.parsed_by !== current;
  });
  report.captures = work.length;

  let done = 0;
  for (const c of work) {
    const adapter = adapterFor(c);
    done++;
    const record = readRecordAt(join(opts.evidenceDir, c.warc_file!), Number(c.warc_offset), Number(c.warc_length));
    const body = pageBody(record.header.get('WARC-Type'), record.block);
    const input = {
      url: c.url,
      html: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      capturedAt: opts.observedAt ? opts.observedAt(c.id, c.fetched_at) : c.fetched_at,
      captureDigest: `sha256:${c.payload_sha256}`,
      contentType: c.content_type ?? undefined,
    };
    // A market with no adapter is read by the generic extractor.
    if (!adapter) report.skippedNoAdapter++;
    const result = adapter ? extractPage(adapter, input) : extractGeneric(input);
    report.byPageType[result.pageType] = (report.byPageType[result.pageType] ?? 0) + 1;
    await store.db.transaction().execute(async (trx) => {
      if (result.ok) {
        const saved = await saveExtraction(trx, { agencyId: c.agency_id, marketId: c.market_id!, captureId: c.id, tlp: c.tlp, fx: opts.fx, classify: opts.classify }, result);
        for (const k of ['vendors', 'listings', 'snapshots', 'feedback', 'selectors'] as const) report[k] += saved[k];
      }
      await trx
        .insertInto('capture_parses')
        .values({ capture_id: c.id, adapter: result.provenance.adapter, page_type: result.pageType, ok: result.ok, errors: JSON.stringify(result.errors) })
        .onConflict((oc) =>
          oc.column('capture_id').doUpdateSet((eb) => ({
            adapter: eb.ref('excluded.adapter'),
            page_type: eb.ref('excluded.page_type'),
            ok: eb.ref('excluded.ok'),
            errors: eb.ref('excluded.errors'),
            parsed_at: sql`now()`,
          })),
        )
        .execute();
    });
    if (result.ok) report.parsed++;
    else report.failed++;
    opts.onProgress?.(done, work.length);
  }
  // A crawl's extract job, `extract` and the demo write here page by page; on the embedded engine nothing else would
  // ever merge the GIN pending lists this left behind.
  if (report.parsed > 0) await maintainAfterBulkWrite(store.db);
  return report;
}

/** The page a record holds: an HTTP response's content (de-chunked, Content-Encoding undone) or a resource as stored. */
function pageBody(type: string | undefined, block: Buffer): Buffer {
  if (type === 'resource') return block;
  const http = readHttpResponse(block);
  return decodeContent(http.payload, http.header('Content-Encoding'));
}
