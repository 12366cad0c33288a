import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, realpathSync } from 'node:fs';
import { Transform } from 'node:stream';
import path from 'node:path';
import StreamJson from 'stream-json';
import Pick from 'stream-json/filters/Pick.js';
import StreamValues from 'stream-json/streamers/StreamValues.js';
import { sql, type Insertable, type Transaction } from 'kysely';
import { maintainAfterBulkWrite, type Database, type MessageMedia, type MessagesTable } from '../../store/index.ts';
import { saveSightings, type TextToScan } from '../../extract/store/index.ts';
import { advanceSeen, beginImport, normHandle, noteSeen, saveCheckpoint, type ImportOptions, type ImportSummary } from './common.ts';
import { ImportFormatError } from './sql-tokenizer.ts';
import { editedDate, hiddenLinks, mediaRefs, messageDate, messageText, readChatHead, type TgMessage } from './telegram-format.ts';

/**
 * Imports one Telegram Desktop chat/channel export (result.json), streaming. The chat is identified by its
 * Telegram id (source slug `tg-<id>`), so the same chat exported twice is one source and its messages are not
 * duplicated. Each sender becomes an account keyed by its Telegram id, each message a `messages` row with its
 * edit time, reply, forward (credited to the original author; the forwarder kept in `forwarded_by`) and media
 * references (with the SHA-256 of files present in the export folder). Selectors are read from every message's
 * text and hidden link targets. Resumable by message count; a malformed or truncated file fails with the byte
 * offset and line reached, after importing every complete message before the fault.
 */
export async function importTelegramExport(o: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const chat = await readChatHead(o.file);
  const defaultSlug = chat.id ? `tg-${chat.id.replace(/^-/, '')}` : `tg-${path.basename(path.dirname(path.resolve(o.file)))}`;
  const run = await beginImport('telegram', { ...o, marketName: o.marketName ?? chat.name ?? undefined }, 'messenger', defaultSlug, 'application/json');
  const base = { kind: 'telegram' as const, file: o.file, fileSha256: run.fileSha256, marketId: run.marketId, market: run.slug, captureId: run.captureId };
  if (run.done) return { ...base, rows: run.rows, counts: {}, resumedFrom: run.position, alreadyImported: true, durationMs: Date.now() - started, bytes: 0 };
  if (chat.name) await o.db.updateTable('markets').set({ name: chat.name.slice(0, 200) }).where('id', '=', run.marketId).execute();
  // Media files are hashed only when reading the analyst's export folder (not a copy read back from evidence).
  const exportDir = o.rederive ? null : path.dirname(path.resolve(o.file));

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
  const pick = Pick.pick({ filter: (stack: ReadonlyArray<string | number | null>) => stack.length === 2 && stack[0] === 'messages' });
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

  const batchSize = o.batchSize ?? 500;
  let index = 0;
  let rows = run.rows;
  const accounts = new TelegramAccounts(run.marketId, { agencyId: o.agencyId, tlp: o.tlp, captureId: run.captureId });
  const counts: Record<string, number> = { messages: 0, senders: 0, forwards: 0, edited: 0, media: 0, selectors: 0, sightings: 0, rejects: 0 };
  let batch: TgMessage[] = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const todo = batch;
    batch = [];
    await o.db.transaction().execute(async (trx) => {
      const seen = new Map<number, { first: Date; last: Date }>();
      const values: Insertable<MessagesTable>[] = [];
      for (const msg of todo) {
        const at = messageDate(msg);
        const senderId = msg.from_id ?? msg.actor_id ?? null;
        const senderName = msg.from ?? msg.actor ?? null;
        const sender = senderId || senderName ? await accounts.get(trx, senderId, senderName, at) : null;
        // A forward is the original author's text: credit them, keep who forwarded it.
        const forwarded = msg.forwarded_from !== undefined && msg.forwarded_from !== null;
        const author = forwarded ? await accounts.get(trx, msg.forwarded_from_id ?? null, msg.forwarded_from ?? null, at) : sender;
        if (sender !== null && at) noteSeen(seen, sender, at);
        const media = await hashMedia(mediaRefs(msg), exportDir);
        if (forwarded) counts.forwards = (counts.forwards ?? 0) + 1;
        if (msg.edited_unixtime || msg.edited) counts.edited = (counts.edited ?? 0) + 1;
        counts.media = (counts.media ?? 0) + media.length;
        values.push({
          agency_id: o.agencyId,
          tlp: o.tlp,
          market_id: run.marketId,
          external_id: String(msg.id ?? `idx-${index}`),
          vendor_id: author,
          sender: forwarded ? (msg.forwarded_from ?? null) : senderName,
          thread: chat.name,
          sent_at: at,
          edited_at: editedDate(msg),
          body: messageText(msg),
          reply_to: msg.reply_to_message_id === undefined ? null : String(msg.reply_to_message_id),
          forwarded_from: forwarded ? (msg.forwarded_from ?? null) : null,
          forwarded_from_id: forwarded ? (msg.forwarded_from_id ?? null) : null,
          forwarded_by: forwarded ? sender : null,
          media: JSON.stringify(media),
          capture_id: run.captureId,
        });
      }
      const ids = new Map<string, number>();
      if (values.length) {
        const saved = await trx
          .insertInto('messages')
          .values(values)
          .onConflict((oc) =>
            oc.columns(['market_id', 'external_id']).doUpdateSet((eb) => ({
              body: eb.ref('excluded.body'),
              edited_at: sql`coalesce(excluded.edited_at, messages.edited_at)`,
              vendor_id: eb.ref('excluded.vendor_id'),
              sender: eb.ref('excluded.sender'),
              forwarded_from: eb.ref('excluded.forwarded_from'),
              forwarded_from_id: eb.ref('excluded.forwarded_from_id'),
              forwarded_by: eb.ref('excluded.forwarded_by'),
              // A copy read back from evidence has no export folder: keep the hashes taken from the real one.
              media: exportDir ? eb.ref('excluded.media') : eb.ref('messages.media'),
            })),
          )
          .returning(['id', 'external_id'])
          .execute();
        for (const s of saved) ids.set(s.external_id, s.id);
      }
      const texts: TextToScan[] = todo.flatMap((msg, i) => {
        const v = values[i]!;
        const text = [v.body, ...hiddenLinks(msg)].filter(Boolean).join('\n');
        if (!text) return [];
        const scan: TextToScan = { text, html: false, messenger: 'telegram', source: 'message', vendorId: v.vendor_id ?? null, messageId: ids.get(v.external_id) ?? null, rowRef: `message:${v.external_id}`, observedAt: messageDate(msg) ?? new Date(0) };
        return [scan];
      });
      const found = await saveSightings(trx, { agencyId: o.agencyId, tlp: o.tlp, captureId: run.captureId }, texts);
      counts.selectors = (counts.selectors ?? 0) + found.selectors;
      counts.sightings = (counts.sightings ?? 0) + found.sightings;
      counts.rejects = (counts.rejects ?? 0) + found.rejects;
      await advanceSeen(trx, seen);
      rows += values.length;
      counts.messages = (counts.messages ?? 0) + values.length;
      counts.senders = accounts.size;
      await saveCheckpoint(trx, run.checkpointId, index, rows);
    });
    o.onProgress?.({ bytes, totalBytes: run.totalBytes, rows });
  };

  try {
    for await (const item of values as AsyncIterable<{ key: number; value: unknown }>) {
      const v = item.value;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
      const msg = v as TgMessage;
      index++;
      if (index <= run.position) continue; // already imported before the interruption
      if (msg.type !== 'message') continue; // service messages (joins, pins, calls) carry no text of interest
      batch.push(msg);
      if (batch.length >= batchSize) await flush();
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
  await maintainAfterBulkWrite(o.db);
  return { ...base, rows, counts, resumedFrom: run.position, alreadyImported: false, durationMs: Date.now() - started, bytes: run.totalBytes };
}

/**
 * Accounts of one chat keyed by Telegram id (`user123`, `channel456`): display names are not unique, so two
 * people called "Alex" stay two accounts (the second gets its id in the handle key), and a renamed user stays one.
 * Without an id (old exports, forwards from hidden users) the display name is the key.
 */
class TelegramAccounts {
  readonly #byKey = new Map<string, number>();
  constructor(
    readonly marketId: number,
    readonly owned: { agencyId: number; tlp?: ImportOptions['tlp']; captureId: number },
  ) {}

  get size(): number {
    return this.#byKey.size;
  }

  async get(trx: Transaction<Database>, telegramId: string | null, name: string | null, at: Date | null): Promise<number> {
    const key = telegramId ? `id:${telegramId}` : `name:${normHandle(name ?? '')}`;
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    const handle = (name || telegramId || '(unnamed)').slice(0, 200);
    let id: number | undefined;
    if (telegramId) {
      id = (await trx.selectFrom('vendors').select('id').where('market_id', '=', this.marketId).where('external_id', '=', telegramId).executeTakeFirst())?.id;
    }
    if (id === undefined) {
      const when = at ?? new Date(0);
      const insert = (norm: string) =>
        trx
          .insertInto('vendors')
          .values({ agency_id: this.owned.agencyId, tlp: this.owned.tlp, market_id: this.marketId, handle, handle_norm: norm, external_id: telegramId, first_seen: when, last_seen: when, capture_id: this.owned.captureId, adapter: 'import:telegram' })
          .onConflict((oc) => oc.columns(['market_id', 'handle_norm']).doNothing())
          .returning('id')
          .executeTakeFirst();
      const norm = normHandle(handle) || '(unnamed)';
      if (!telegramId) {
        await insert(norm);
        id = (await trx.selectFrom('vendors').select('id').where('market_id', '=', this.marketId).where('handle_norm', '=', norm).executeTakeFirstOrThrow()).id;
      } else {
        // The name may belong to another account already (same display name, other id): then key by name + id.
        const taken = await trx.selectFrom('vendors').select(['id', 'external_id']).where('market_id', '=', this.marketId).where('handle_norm', '=', norm).executeTakeFirst();
        if (taken && taken.external_id === null) {
          // An account known by name only (a forward without id) is this one: give it its id.
          await trx.updateTable('vendors').set({ external_id: telegramId }).where('id', '=', taken.id).execute();
          id = taken.id;
        } else {
          id = (await insert(taken ? `${norm} [${telegramId}]` : norm))?.id;
          id ??= (await trx.selectFrom('vendors').select('id').where('market_id', '=', this.marketId).where('handle_norm', '=', `${norm} [${telegramId}]`).executeTakeFirstOrThrow()).id;
        }
      }
    }
    this.#byKey.set(key, id);
    return id;
  }
}

/**
 * SHA-256 of each referenced file that is in the export folder. Paths come from the file: one that leaves the
 * folder (`../`, absolute, a symlink out) is not read.
 */
async function hashMedia(media: MessageMedia[], exportDir: string | null): Promise<MessageMedia[]> {
  if (!exportDir) return media;
  for (const m of media) {
    if (m.path.startsWith('(') || path.isAbsolute(m.path)) continue; // "(File not included…)"
    const full = path.resolve(exportDir, m.path);
    if (!full.startsWith(exportDir + path.sep)) continue;
    try {
      const st = lstatSync(full);
      if (!st.isFile() || !realpathSync(full).startsWith(realpathSync(exportDir) + path.sep)) continue;
      const h = createHash('sha256');
      for await (const chunk of createReadStream(full)) h.update(chunk as Buffer);
      m.sha256 = h.digest('hex');
      m.size ??= st.size;
    } catch {
      // missing file: the reference is kept without a hash
    }
  }
  return media;
}
