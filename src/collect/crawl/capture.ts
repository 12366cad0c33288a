import type { EvidenceRecorder, ExchangeContext, InTransaction, RecordedCapture } from '../../evidence/index.ts';
import type { FetchedPage } from './fetcher.ts';
import type { CrawlStats } from './types.ts';

/**
 * Where a page is recorded: the exchange becomes WARC records, a captures row and evidence-log entries, tagged
 * with the crawl's market, job, account and proxy circuit.
 */
export class CaptureWriter {
  readonly #recorder: EvidenceRecorder;
  readonly #context: ExchangeContext;
  readonly #stats: CrawlStats;

  constructor(recorder: EvidenceRecorder, context: ExchangeContext, stats: CrawlStats) {
    this.#recorder = recorder;
    this.#context = context;
    this.#stats = stats;
  }

  /**
   * `inTx`: work done in the capture's own transaction (frontier bookkeeping: a page is captured exactly once).
   * `notes` go into the capture's WARC metadata record (e.g. why its links were not followed).
   */
  async record<T = never, R = void>(page: FetchedPage, inTx?: InTransaction<T, R>, notes?: Record<string, string>): Promise<RecordedCapture> {
    const { res } = page;
    const capture = await this.#recorder.recordExchange(
      {
        url: page.url,
        request: res.rawRequest,
        response: res.rawResponse,
        payloadSha256: res.payloadSha256,
        payloadSize: res.entityBody.length,
        httpStatus: res.status,
        contentType: res.headers['content-type'] ?? null,
        fetchedAt: page.fetchedAt,
      },
      notes ? { ...this.#context, meta: { ...this.#context.meta, ...notes } } : this.#context,
      inTx,
    );
    this.#stats.bytes += res.rawResponse.length;
    return capture;
  }

  close(): Promise<void> {
    return this.#recorder.close();
  }
}
