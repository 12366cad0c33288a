import { join } from 'node:path';
import { sql } from 'kysely';
import type { FxTable } from '../../domain/money.ts';
import { httpPayload, readRecordAt } from '../../evidence/index.ts';
import type { Store } from '../../store/index.ts';
import type { Adapter } from '../adapter/types.ts';
import { extractPage } from '../adapter/run.ts';
import { getAdapter, adapterForUrl } from '../adapters/index.ts';
import { saveExtraction, type ListingClass, type SaveReport } from './save.ts';

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
  /** Captures handled per batch (bounded memory on large runs). */
  batchSize?: number;
}

export interface ExtractCapturesReport extends SaveReport {
  captures: number;
  parsed: number;
  failed: number;
  skippedNoAdapter: number;
  byPageType: Record<string, number>;
}

/**
 * Runs the adapters over stored evidence: reads each capture's HTTP response from its WARC record, extracts,
 * saves the facts with the capture and adapter version as provenance, and records which adapter parsed it.
 * Idempotent: a capture already parsed by the current adapter version is skipped unless `all` is set.
 */
export async function extractCaptures(store: Store, opts: ExtractCapturesOptions): Promise<ExtractCapturesReport> {
  const lookup = opts.adapters ?? getAdapter;
  const report: ExtractCapturesReport = { captures: 0, parsed: 0, failed: 0, skippedNoAdapter: 0, byPageType: {}, vendors: 0, listings: 0, snapshots: 0, feedback: 0, selectors: 0 };
  const candidates = await store.db
    .selectFrom('captures as c')
    .leftJoin('markets as m', 'm.id', 'c.market_id')
    .leftJoin('capture_parses as p', 'p.capture_id', 'c.id')
    .select(['c.id', 'c.url', 'c.agency_id', 'c.tlp', 'c.market_id', 'c.content_type', 'c.fetched_at', 'c.warc_file', 'c.warc_offset', 'c.warc_length', 'c.payload_sha256', 'm.adapter as market_adapter', 'p.adapter as parsed_by'])
    .where('c.kind', '=', 'http')
    .where('c.http_status', '=', 200)
    .where('c.warc_file', 'is not', null)
    .where('c.market_id', 'is not', null)
    .$if(opts.marketId !== undefined, (q) => q.where('c.market_id', '=', opts.marketId!))
    .$if(opts.crawlJobId !== undefined, (q) => q.where('c.job_id', '=', opts.crawlJobId!))
    .where(sql<boolean>`coalesce(c.content_type, 'text/html') ilike '%html%'`)
    .orderBy('c.id')
    .execute();

  const work = candidates.filter((c) => {
    const adapter = (c.market_adapter ? lookup(c.market_adapter) : undefined) ?? adapterForUrl(c.url);
    if (!adapter) return true; // counted as skipped below
    const current = `${adapter.id}@${adapter.version}`;
    if (!c.parsed_by) return true;
    if (opts.all) return true;
    return opts.reparse === true && c.parsed_by !== current;
  });
  report.captures = work.length;

  let done = 0;
  for (const c of work) {
    const adapter = (c.market_adapter ? lookup(c.market_adapter) : undefined) ?? adapterForUrl(c.url);
    done++;
    if (!adapter) {
      report.skippedNoAdapter++;
      opts.onProgress?.(done, work.length);
      continue;
    }
    const record = readRecordAt(join(opts.evidenceDir, c.warc_file!), c.warc_offset!, c.warc_length!);
    const body = httpPayload(record.block);
    const result = extractPage(adapter, {
      url: c.url,
      html: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      capturedAt: c.fetched_at,
      captureDigest: `sha256:${c.payload_sha256}`,
      contentType: c.content_type ?? undefined,
    });
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
  return report;
}
