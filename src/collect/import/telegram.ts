import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import path from 'node:path';
import StreamJson from 'stream-json';
import Pick from 'stream-json/filters/Pick.js';
import StreamValues from 'stream-json/streamers/StreamValues.js';
import { beginImport, saveCheckpoint, upsertVendor, type ImportOptions, type ImportSummary } from './common.ts';
import { ImportFormatError } from './sql-tokenizer.ts';

interface TgMessage {
  id?: number;
  type?: string;
  date?: string;
  date_unixtime?: string;
  from?: string | null;
  from_id?: string;
  actor?: string;
  actor_id?: string;
  text?: string | Array<string | { text?: string }>;
  reply_to_message_id?: number;
}

function messageText(t: TgMessage['text']): string {
  return rawText(t).replaceAll('\0', '\uFFFD');
}

function rawText(t: TgMessage['text']): string {
  if (typeof t === 'string') return t;
  if (!Array.isArray(t)) return '';
  return t.map((p) => (typeof p === 'string' ? p : (p.text ?? ''))).join('');
}

function messageDate(m: TgMessage): Date | null {
  if (m.date_unixtime && /^\d+$/.test(m.date_unixtime)) return new Date(Number(m.date_unixtime) * 1000);
  if (m.date) {
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(m.date) ? m.date : `${m.date}Z`);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

/**
 * Imports one Telegram Desktop chat/channel export (result.json), streaming: the chat becomes a 'messenger'
 * source, each sender an account, each message a `messages` row. Resumable by message count; a malformed or
 * truncated file fails with the byte offset and line reached.
 */
export async function importTelegramExport(o: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const run = await beginImport('telegram', o, 'messenger', `tg-${path.basename(path.dirname(path.resolve(o.file)))}`, 'application/json');
  const base = { kind: 'telegram' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0 };

  let bytes = 0;
  let lines = 1;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      for (const b of chunk) if (b === 10) lines++;
      cb(null, chunk);
    },
  });
  const source = createReadStream(o.file, { highWaterMark: 16 * 1024 });
  const parser = StreamJson.parser();
  const pick = Pick.pick({ filter: (stack: ReadonlyArray<string | number | null>) => (stack.length === 1 && ['name', 'type', 'id'].includes(String(stack[0]))) || (stack.length === 2 && stack[0] === 'messages') });
  const values = StreamValues.streamValues();
  // A truncated or malformed file fails in the parser. Rather than letting the error tear down the value stream
  // (which would drop messages parsed but not yet written), end the downstream stages: every complete message
  // before the fault is still imported, then the fault is reported with its position.
  let failure: Error | undefined;
  const stop = (err: Error) => {
    failure ??= err;
    pick.end();
  };
  for (const s of [source, counter, parser]) s.on('error', stop);
  source.pipe(counter).pipe(parser).pipe(pick).pipe(values);
  const fail = (err: Error) => new ImportFormatError(`malformed Telegram export: ${err.message}`, lines, bytes);

  const meta: { name?: string; type?: string; id?: string } = {};
  const batchSize = o.batchSize ?? 500;
  let index = 0;
  let rows = run.rows;
  const senders = new Map<string, number>();
  const counts: Record<string, number> = { messages: 0, senders: 0 };
  let batch: TgMessage[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const todo = batch;
    batch = [];
    await o.db.transaction().execute(async (trx) => {
      const values = [];
      for (const msg of todo) {
        const sender = msg.from ?? msg.actor ?? null;
        const senderId = msg.from_id ?? msg.actor_id ?? null;
        const at = messageDate(msg) ?? new Date(0);
        let vendorId: number | null = null;
        if (sender || senderId) {
          const key = senderId ?? sender ?? '';
          vendorId = senders.get(key) ?? null;
          if (vendorId === null) {
            vendorId = await upsertVendor(trx, { agencyId: o.agencyId, tlp: o.tlp, marketId: run.marketId, handle: sender ?? key, externalId: senderId, at, captureId: run.captureId });
            senders.set(key, vendorId);
            counts.senders = senders.size;
          }
        }
        values.push({
          agency_id: o.agencyId,
          tlp: o.tlp,
          market_id: run.marketId,
          external_id: String(msg.id ?? `idx-${index}`),
          vendor_id: vendorId,
          sender,
          thread: meta.name ?? null,
          sent_at: messageDate(msg),
          body: messageText(msg.text),
          reply_to: msg.reply_to_message_id === undefined ? null : String(msg.reply_to_message_id),
          capture_id: run.captureId,
        });
      }
      if (values.length) await trx.insertInto('messages').values(values).onConflict((oc) => oc.columns(['market_id', 'external_id']).doNothing()).execute();
      rows += values.length;
      counts.messages = (counts.messages ?? 0) + values.length;
      await saveCheckpoint(trx, run.checkpointId, index, rows);
    });
    o.onProgress?.({ bytes, totalBytes: run.totalBytes, rows });
  };

  try {
    for await (const item of values as AsyncIterable<{ key: number; value: unknown }>) {
      const v = item.value;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const msg = v as TgMessage;
        index++;
        if (index <= run.position) continue; // already imported before the interruption
        if (msg.type !== 'message') continue; // service messages (joins, pins) carry no text of interest
        batch.push(msg);
        if (batch.length >= batchSize) await flush();
      } else if (meta.name === undefined && typeof v === 'string') {
        meta.name = v;
        await o.db.updateTable('markets').set({ name: v.slice(0, 200) }).where('id', '=', run.marketId).execute();
      } else if (meta.type === undefined && typeof v === 'string') meta.type = v;
    }
  } catch (err) {
    failure ??= err as Error;
  }
  if (failure) {
    await flush();
    const e = fail(failure);
    await saveCheckpoint(o.db, run.checkpointId, index, rows, 'failed', e.message);
    throw e;
  }
  await flush();
  await saveCheckpoint(o.db, run.checkpointId, index, rows, 'done');
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes };
}
