/**
 * The custody floor of bench/collect.bench.ts: what keeping evidence costs at the least, with none of the crawler's
 * own work. Each fetched page becomes a WARC response and request record (serialised with their SHA-256 block
 * digests, gzipped, one positional write and one fsync per group, as the evidence recorder does), and once that group
 * is on disk one minimal transaction inserts one row per page (begin, one multi-row insert, commit). Groups form the
 * way the recorder's do: pages handed in while a group commits go together as the next (at most 64). No page
 * analysis, no frontier, no capture seals, no hash-chained log.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/index.ts';
import { newRecordId, WarcWriter, type WarcRecordInput } from '../src/evidence/index.ts';
import type { SocksResponse } from '../src/collect/index.ts';

const MAX_GROUP = 64;

interface Kept {
  url: string;
  res: SocksResponse;
  fetchedAt: Date;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class CustodyFloor {
  groups = 0;
  pages = 0;
  readonly #db: Kysely<Database>;
  readonly #writer: WarcWriter;
  readonly #pending: Kept[] = [];
  #flushing = false;

  private constructor(db: Kysely<Database>, writer: WarcWriter) {
    this.#db = db;
    this.#writer = writer;
  }

  /** Creates its table (in the bench's scratch store) and its WARC directory. */
  static async open(db: Kysely<Database>, dir: string): Promise<CustodyFloor> {
    await sql`create table custody_floor (id bigserial primary key, url text not null, warc_file text not null, warc_offset int8 not null,
      warc_length int8 not null, block_sha256 text not null, payload_sha256 text not null, fetched_at timestamptz not null)`.execute(db);
    return new CustodyFloor(db, new WarcWriter({ dir, prefix: 'floor' }));
  }

  /** Settles once the page's records are fsynced and its row committed. */
  keep(url: string, res: SocksResponse): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ url, res, fetchedAt: new Date(), resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const group = this.#pending.splice(0, MAX_GROUP);
        try {
          await this.#commit(group);
          for (const k of group) k.resolve();
        } catch (err) {
          for (const k of group) k.reject(err);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  #commit(group: readonly Kept[]): Promise<void> {
    const records = group.flatMap(({ url, res, fetchedAt }): WarcRecordInput[] => {
      const responseId = newRecordId();
      return [
        { type: 'response', recordId: responseId, targetUri: url, date: fetchedAt, block: res.rawResponse, contentType: 'application/http;msgtype=response', payloadSha256: res.payloadSha256 },
        { type: 'request', targetUri: url, date: fetchedAt, block: res.rawRequest, contentType: 'application/http;msgtype=request', concurrentTo: [responseId] },
      ];
    });
    return this.#writer.writeAndCommit(records, async (written) => {
      const responses = written.filter((r) => r.type === 'response');
      await this.#db.transaction().execute((trx) =>
        sql`insert into custody_floor (url, warc_file, warc_offset, warc_length, block_sha256, payload_sha256, fetched_at)
          select * from unnest(${group.map((k) => k.url)}::text[], ${responses.map((r) => r.file)}::text[], ${responses.map((r) => r.offset)}::int8[],
            ${responses.map((r) => r.length)}::int8[], ${responses.map((r) => r.blockSha256)}::text[], ${group.map((k) => k.res.payloadSha256)}::text[],
            ${group.map((k) => k.fetchedAt.toISOString())}::timestamptz[])`.execute(trx),
      );
      this.groups++;
      this.pages += group.length;
    });
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
