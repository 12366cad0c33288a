import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/index.ts';
import type { Tlp } from '../domain/tlp.ts';
import { appendEvidence, appendEvidenceGroups, EVIDENCE_HEAD, EVIDENCE_LOCK } from './log.ts';
import { captureSeals, sealOf, sealSelect, type SealRow } from './seal.ts';
import { httpPayload, isChunked, newRecordId, type WarcRecordInput } from './warc/record.ts';
import { WarcWriter, type VerbatimRecord, type WarcWriterOptions, type WrittenRecord } from './warc/writer.ts';

/** One HTTP exchange as it went over the wire. */
export interface HttpExchange {
  url: string;
  /** Raw request bytes as sent (request line, headers, body). */
  request: Buffer;
  /** Raw response bytes as received (status line, headers, body as transferred). */
  response: Buffer;
  /** SHA-256 (hex) of the entity body after transfer decoding. */
  payloadSha256: string;
  payloadSize: number;
  httpStatus: number;
  contentType: string | null;
  fetchedAt: Date;
}

/** Who fetched it and how: written to the metadata record and the captures row. */
export interface ExchangeContext {
  agencyId: number;
  tlp?: Tlp;
  marketId: number | null;
  jobId?: string;
  account?: string;
  /** The proxy as used, without its password (e.g. "socks5h://market-7@127.0.0.1:9050"). */
  proxy?: string;
  /** More metadata fields (name: value). */
  meta?: Record<string, string>;
}

export interface RecordedCapture {
  captureId: number;
  records: WrittenRecord[];
  response: WrittenRecord;
}

export type EvidenceRecorderOptions = WarcWriterOptions;

/** The capture an archived page becomes (its original URL, status and date). */
export interface ArchivedCapture {
  url: string;
  httpStatus: number | null;
  contentType: string | null;
  fetchedAt: Date;
  /** SHA-256 (hex) of the payload: the HTTP entity body after transfer decoding, or the resource itself. */
  payloadSha256: string;
  payloadSize: number;
  /** A revisit: the capture whose payload it repeats. */
  refersTo?: number | null;
}

/** The captures row of a payload (a fetched exchange or an archived page) whose WARC record is `record`. */
function captureRow(
  kind: 'http' | 'archive',
  context: { agencyId: number; tlp?: Tlp; marketId: number | null; jobId?: string },
  c: Pick<ArchivedCapture, 'url' | 'httpStatus' | 'contentType' | 'payloadSha256' | 'payloadSize' | 'fetchedAt'>,
  record: WrittenRecord,
) {
  return {
    agency_id: context.agencyId,
    tlp: context.tlp,
    kind,
    market_id: context.marketId,
    url: c.url,
    http_status: c.httpStatus,
    content_type: c.contentType,
    warc_file: record.file,
    warc_offset: record.offset,
    warc_length: record.length,
    warc_record_id: record.recordId,
    payload_sha256: c.payloadSha256,
    block_sha256: record.blockSha256,
    payload_size: c.payloadSize,
    fetched_at: c.fetchedAt,
    job_id: context.jobId ?? null,
  };
}

/** At most this many exchanges, or about this many bytes, go into one group commit. */
const MAX_GROUP = 64;
const MAX_GROUP_BYTES = 16 * 1024 * 1024;

/**
 * Work that the exchanges of one group commit share, done once for the whole group in its transaction (the crawler
 * completes every page's frontier entry and queues every page's links in one statement). `run` gets the group's
 * items of this work in arrival order with their capture ids; when the transaction then rolls back (the group is
 * retried exchange by exchange), `rolledBack` gets what `run` returned, to take back what it counted in memory;
 * once it committed, `committed` gets it (before the group's exchanges resolve), to hand on what it made durable.
 */
export interface GroupWork<T, R = void> {
  run(trx: Transaction<Database>, items: ReadonlyArray<{ item: T; captureId: number }>): Promise<R>;
  rolledBack?(result: R): void;
  committed?(result: R): void;
}

/** What an exchange's capture brings into its transaction: a callback of its own, or an item of a shared work. */
export type InTransaction<T = unknown, R = unknown> = ((trx: Transaction<Database>, captureId: number) => Promise<void>) | { work: GroupWork<T, R>; item: T };

interface PendingExchange {
  exchange: HttpExchange;
  context: ExchangeContext;
  work?: { work: GroupWork<unknown, unknown>; item: unknown };
  /** performance.now() when it was handed in. */
  arrivedAt: number;
  resolve: (r: RecordedCapture) => void;
  reject: (err: unknown) => void;
}

/** An exchange's WARC records: response, request, metadata (fresh record ids on each call). */
function exchangeRecords(exchange: HttpExchange, context: ExchangeContext): { records: WarcRecordInput[]; responseId: string } {
  const responseId = newRecordId();
  const meta: Record<string, string> = {
    'via-proxy': context.proxy ?? '',
    'crawl-job': context.jobId ?? '',
    account: context.account ?? '',
    'fetched-at': exchange.fetchedAt.toISOString(),
    ...context.meta,
  };
  const metaBlock = Object.entries(meta)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`)
    .join('');
  const records: WarcRecordInput[] = [
    {
      type: 'response',
      recordId: responseId,
      targetUri: exchange.url,
      date: exchange.fetchedAt,
      block: exchange.response,
      contentType: 'application/http;msgtype=response',
      payloadSha256: warcPayloadSha256(exchange),
    },
    {
      type: 'request',
      targetUri: exchange.url,
      date: exchange.fetchedAt,
      block: exchange.request,
      contentType: 'application/http;msgtype=request',
      concurrentTo: [responseId],
    },
    {
      type: 'metadata',
      targetUri: exchange.url,
      date: exchange.fetchedAt,
      block: Buffer.from(metaBlock),
      contentType: 'application/warc-fields',
      concurrentTo: [responseId],
    },
  ];
  return { records, responseId };
}

/**
 * Turns fetched exchanges and imported files into evidence: WARC records (request, response, metadata / resource),
 * a `captures` row and hash-chained evidence-log entries, the database part in one transaction.
 */
export class EvidenceRecorder {
  readonly writer: WarcWriter;
  readonly #db: Kysely<Database>;
  readonly #timeline: EvidenceRecorderOptions['timeline'];

  constructor(db: Kysely<Database>, options: EvidenceRecorderOptions) {
    this.#db = db;
    this.writer = new WarcWriter(options);
    this.#timeline = options.timeline;
  }

  /**
   * Writes one exchange. `inTransaction` runs in the same database transaction as the capture row and the log
   * entries (the crawler marks its frontier entry done there, so a capture is recorded exactly once): a callback,
   * or an item of a `GroupWork` that runs once for all its items of the group.
   *
   * Group commit: exchanges that arrive while a commit is in flight wait and go together as the next group — their
   * records in one WARC batch (one write, one fsync), then one transaction: one statement takes the log's lock,
   * inserts every capture row and returns their seals and the chain head; one inserts the log entries; then each
   * work once (callbacks and works in the order of their first exchange). The custody guarantee is the
   * single exchange's: no capture row commits before its WARC bytes are fsynced, and a group that fails to commit
   * leaves only an unlogged tail in a file nobody writes to again; its exchanges are then retried one by one (new
   * records in a new file), so one failing exchange fails alone.
   */
  recordExchange<T, R>(exchange: HttpExchange, context: ExchangeContext, inTransaction?: InTransaction<T, R>): Promise<RecordedCapture> {
    // A callback is a work of its own with one item.
    const work =
      typeof inTransaction === 'function'
        ? { work: { run: (trx: Transaction<Database>, items: ReadonlyArray<{ captureId: number }>) => inTransaction(trx, (items[0] as { captureId: number }).captureId) }, item: undefined }
        : inTransaction;
    return new Promise<RecordedCapture>((resolve, reject) => {
      this.#pending.push({ exchange, context, work: work as PendingExchange['work'], arrivedAt: performance.now(), resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  readonly #pending: PendingExchange[] = [];
  #flushing = false;

  /** The next group: the pending exchanges in arrival order, at most MAX_GROUP of them or about MAX_GROUP_BYTES. */
  #takeGroup(): PendingExchange[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#pending.length && n < MAX_GROUP && (n === 0 || bytes < MAX_GROUP_BYTES)) {
      const e = (this.#pending[n] as PendingExchange).exchange;
      bytes += e.request.length + e.response.length;
      n++;
    }
    const group = this.#pending.splice(0, n);
    if (this.#timeline) {
      const now = performance.now();
      this.#timeline.groupStarted(group.length, group.reduce((ms, p) => ms + (now - p.arrivedAt), 0));
    }
    return group;
  }

  #groupEnded(group: readonly PendingExchange[]): void {
    if (!this.#timeline) return;
    const now = performance.now();
    this.#timeline.groupEnded(group.reduce((ms, p) => ms + (now - p.arrivedAt), 0));
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const group = this.#takeGroup();
        try {
          const results = await this.#commitGroup(group);
          group.forEach((p, i) => p.resolve(results[i] as RecordedCapture));
        } catch (err) {
          if (group.length === 1) {
            (group[0] as PendingExchange).reject(err);
            continue;
          }
          for (const p of group) {
            try {
              p.resolve(((await this.#commitGroup([p])) as RecordedCapture[])[0] as RecordedCapture);
            } catch (e) {
              p.reject(e);
            }
          }
        } finally {
          this.#groupEnded(group);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** One group: WARC batch (fsynced), then one transaction for the captures, the log and the callbacks. */
  #commitGroup(group: readonly PendingExchange[]): Promise<RecordedCapture[]> {
    const built = group.map((p) => exchangeRecords(p.exchange, p.context));
    const all = built.flatMap((b) => b.records);
    // The capture rows and their log entries commit before the next record enters this file (no unlogged gaps).
    return this.writer.writeAndCommit(all, async (written) => {
      // warcinfo records (a new file) come first; each exchange's records follow in order (three each).
      const info = written.slice(0, written.length - all.length);
      let start = info.length;
      const per = built.map((b) => {
        const own = written.slice(start, (start += b.records.length));
        return { own, response: own.find((r) => r.recordId === b.responseId) as WrittenRecord };
      });
      // Works that ran in a transaction that then failed: told, so they take back what they counted in memory.
      const ran: Array<{ work: GroupWork<unknown, unknown>; result: unknown }> = [];
      let ids: number[];
      try {
        ids = await this.#db.transaction().execute(async (trx) => {
          const insert = trx
            .insertInto('captures')
            .values(
              group.map(({ exchange, context }, i) => ({
                ...captureRow('http', context, exchange, (per[i] as (typeof per)[number]).response),
                account: context.account ?? null,
              })),
            )
            .returningAll();
          // One statement: the log's lock (held to the commit), the capture rows, their seals, the chain head.
          const { rows } = await sql<SealRow & { head: string | null }>`
            with log_lock as materialized (select ${EVIDENCE_LOCK} as held), ins as (${insert})
            select s.*, ${EVIDENCE_HEAD} as head from (${sealSelect(sql`ins`)}) s cross join log_lock`.execute(trx);
          // Matched by record id: a multi-row insert's RETURNING order is not promised.
          const byRecord = new Map(rows.map((r) => [r.warc_record_id, r]));
          const sealed = per.map((p) => byRecord.get(p.response.recordId) as SealRow);
          const captureIds = sealed.map((r) => r.id);
          await appendEvidenceGroups(
            trx,
            group.map(({ context }, i) => ({
              records: i === 0 ? [...info, ...(per[i] as (typeof per)[number]).own] : (per[i] as (typeof per)[number]).own,
              context: { jobId: context.jobId, captureId: captureIds[i], seal: sealOf(sealed[i] as SealRow) },
            })),
            { expectedHead: (rows[0] as { head: string | null }).head },
          );
          const works = new Map<GroupWork<unknown, unknown>, Array<{ item: unknown; captureId: number }>>();
          for (const [i, p] of group.entries()) {
            if (!p.work) continue;
            const items = works.get(p.work.work) ?? [];
            items.push({ item: p.work.item, captureId: captureIds[i] as number });
            works.set(p.work.work, items);
          }
          for (const [work, items] of works) ran.push({ work, result: await work.run(trx, items) });
          return captureIds;
        });
      } catch (err) {
        for (const { work, result } of ran) work.rolledBack?.(result);
        throw err;
      }
      for (const { work, result } of ran) work.committed?.(result);
      return group.map((_, i) => {
        const p = per[i] as (typeof per)[number];
        return { captureId: ids[i] as number, records: i === 0 ? [...info, ...p.own] : p.own, response: p.response };
      });
    });
  }

  /** Preserves a whole file (an import source) as one WARC resource record, streaming, with a captures row. */
  async recordFile(
    file: string,
    context: { agencyId: number; tlp?: Tlp; marketId: number | null; targetUri: string; contentType?: string; jobId?: string; account?: string },
  ): Promise<RecordedCapture> {
    const fetchedAt = new Date();
    const written = await this.writer.writeFileResource(file, {
      targetUri: context.targetUri,
      contentType: context.contentType,
      date: fetchedAt,
    });
    const resource = written.at(-1) as WrittenRecord;
    const captureId = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('captures')
        .values({
          agency_id: context.agencyId,
          tlp: context.tlp,
          kind: 'import',
          market_id: context.marketId,
          url: context.targetUri,
          content_type: context.contentType ?? null,
          warc_file: resource.file,
          warc_offset: resource.offset,
          warc_length: resource.length,
          warc_record_id: resource.recordId,
          payload_sha256: resource.blockSha256,
          block_sha256: resource.blockSha256,
          payload_size: resource.blockSize,
          fetched_at: fetchedAt,
          job_id: context.jobId ?? null,
          account: context.account ?? null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvidence(trx, written, { jobId: context.jobId, captureId: row.id, seal: (await captureSeals(trx, [row.id])).get(row.id) });
      return row.id;
    });
    return { captureId, records: written, response: resource };
  }

  /**
   * Preserves a page someone else captured: a record of another tool's WARC copied verbatim, or a saved page file
   * as a `resource` record with its original URL and date; then a `metadata` record saying where it came from
   * (origin file, offset, digest checks); then, when it is a page, a capture of kind `archive` with its original
   * date. The database part is one transaction, like a crawl's.
   */
  async recordArchived(
    input: {
      record: { verbatim: VerbatimRecord } | { resource: { block: Buffer; targetUri: string; date: Date; contentType: string } };
      origin: Record<string, string>;
      capture: ArchivedCapture | null;
    },
    context: { agencyId: number; tlp?: Tlp; marketId: number | null; jobId?: string },
  ): Promise<{ captureId: number | null; records: WrittenRecord[] }> {
    const main =
      'verbatim' in input.record
        ? await this.writer.writeVerbatim(input.record.verbatim)
        : await this.writer.write([{ type: 'resource', targetUri: input.record.resource.targetUri, date: input.record.resource.date, block: input.record.resource.block, contentType: input.record.resource.contentType }]);
    const record = main.at(-1) as WrittenRecord;
    const metaBlock = Object.entries(input.origin)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v.replace(/[\r\n]+/g, ' ')}\r\n`)
      .join('');
    const meta = await this.writer.write([
      { type: 'metadata', targetUri: record.targetUri, date: record.date, block: Buffer.from(metaBlock), contentType: 'application/warc-fields', concurrentTo: [record.recordId] },
    ]);
    const written = [...main, ...meta];
    const c = input.capture;
    const captureId = await this.#db.transaction().execute(async (trx) => {
      if (!c) {
        await appendEvidence(trx, written, { jobId: context.jobId });
        return null;
      }
      const row = await trx
        .insertInto('captures')
        .values({ ...captureRow('archive', context, c, record), refers_to: c.refersTo ?? null })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendEvidence(trx, written, { jobId: context.jobId, captureId: row.id, seal: (await captureSeals(trx, [row.id])).get(row.id) });
      return row.id;
    });
    return { captureId, records: written };
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}

/**
 * The WARC-Payload-Digest of a response record, as WARC 1.1 §6.3.2 defines the payload of an http(s) response:
 * the entity body with any transfer encoding removed — a chunked body de-chunked, its Content-Encoding (gzip)
 * kept. The record's block keeps the message exactly as received (chunk framing included), which the
 * WARC-Block-Digest covers. The capture row and the log keep the same payload digest. (Until 2026-12-05 a chunked
 * body was digested with its chunk framing, as Python warcio's `check` still does; verify accepts that form in
 * files written then.)
 */
export function warcPayloadSha256(exchange: Pick<HttpExchange, 'response' | 'payloadSha256'>): string {
  const head = exchange.response.subarray(0, Math.min(exchange.response.length, 64 * 1024)).toString('latin1');
  const end = head.indexOf('\r\n\r\n');
  if (end < 0 || !isChunked(head.slice(0, end))) return exchange.payloadSha256;
  return createHash('sha256').update(httpPayload(exchange.response)).digest('hex');
}
