import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/store/index.ts';

/**
 * What a crawl produced, independent of timing (capture ids, WARC record ids, offsets and fetch dates vary from run
 * to run): how many captures, log entries (by record type) and frontier entries (by state), and one SHA-256 over
 * the sorted lines "url status payload-digest" of the captures, the payload digest being the WARC-Payload-Digest of
 * each response record.
 */
export async function crawlOutput(db: Kysely<Database>): Promise<Record<string, unknown>> {
  const captures = await db.selectFrom('captures').select(['url', 'http_status', 'payload_sha256']).execute();
  const lines = captures.map((c) => `${c.url} ${c.http_status} ${c.payload_sha256}`).sort();
  const log = await sql<{ record_type: string; n: string }>`select record_type, count(*) as n from evidence_log group by record_type order by record_type`.execute(db);
  const frontier = await sql<{ state: string; n: string }>`select state, count(*) as n from crawl_frontier group by state order by state`.execute(db);
  return {
    captures: captures.length,
    capturesSha256: createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16),
    logEntries: Object.fromEntries(log.rows.map((r) => [r.record_type, Number(r.n)])),
    frontier: Object.fromEntries(frontier.rows.map((r) => [r.state, Number(r.n)])),
  };
}
