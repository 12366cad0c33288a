/**
 * What a Telegram Desktop "Export chat history" (JSON) message carries, and how to read it: text flattened from
 * entities, hidden link targets, dates, edits, forwards, replies and media references.
 */
import { createReadStream } from 'node:fs';
import StreamJson from 'stream-json';
import type { MessageMedia } from '../../store/index.ts';
import { ImportFormatError } from './sql-tokenizer.ts';

export interface TgEntity {
  type?: string;
  text?: string;
  href?: string;
  user_id?: number | string;
}

export interface TgMessage {
  id?: number;
  type?: string;
  date?: string;
  date_unixtime?: string;
  edited?: string;
  edited_unixtime?: string;
  from?: string | null;
  from_id?: string;
  actor?: string;
  actor_id?: string;
  author?: string;
  forwarded_from?: string | null;
  forwarded_from_id?: string;
  saved_from?: string;
  text?: string | Array<string | TgEntity>;
  text_entities?: TgEntity[];
  reply_to_message_id?: number;
  photo?: string;
  photo_file_size?: number;
  file?: string;
  file_name?: string;
  file_size?: number;
  media_type?: string;
  mime_type?: string;
  via_bot?: string;
}

/** The chat an export holds, read from the top of the file. */
export interface TgChat {
  name: string | null;
  type: string | null;
  /** Telegram's own id of the chat or channel: the same chat exported twice has the same id. */
  id: string | null;
}

export function messageText(m: TgMessage): string {
  const t = m.text;
  const raw = typeof t === 'string' ? t : Array.isArray(t) ? t.map((p) => (typeof p === 'string' ? p : (p.text ?? ''))).join('') : '';
  return raw.replaceAll('\0', '\uFFFD');
}

/** Targets of `text_link` entities (a word linked to a hidden URL such as t.me/shop_bot) and mention_name user ids. */
export function hiddenLinks(m: TgMessage): string[] {
  const out = new Set<string>();
  const parts = [...(Array.isArray(m.text) ? m.text : []), ...(m.text_entities ?? [])];
  for (const p of parts) {
    if (typeof p === 'string' || !p) continue;
    if (typeof p.href === 'string' && p.href.length > 0 && p.href !== p.text) out.add(p.href.replaceAll('\0', ''));
  }
  return [...out];
}

function unixOrIso(unix: string | undefined, iso: string | undefined): Date | null {
  if (unix && /^\d+$/.test(unix)) return new Date(Number(unix) * 1000);
  if (iso) {
    // Telegram Desktop writes local time without a zone; read as UTC (the exporter's zone is not in the file).
    const d = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  return null;
}

export const messageDate = (m: TgMessage): Date | null => unixOrIso(m.date_unixtime, m.date);
export const editedDate = (m: TgMessage): Date | null => unixOrIso(m.edited_unixtime, m.edited);

const MEDIA_KIND: Record<string, MessageMedia['kind']> = {
  sticker: 'sticker',
  video_file: 'video',
  video_message: 'video',
  voice_message: 'voice',
  animation: 'animation',
  audio_file: 'audio',
};

/** Photo and file references as the export writes them (paths relative to the export folder). */
export function mediaRefs(m: TgMessage): MessageMedia[] {
  const out: MessageMedia[] = [];
  if (typeof m.photo === 'string' && m.photo) {
    const p: MessageMedia = { kind: 'photo', path: m.photo };
    if (typeof m.photo_file_size === 'number') p.size = m.photo_file_size;
    out.push(p);
  }
  if (typeof m.file === 'string' && m.file) {
    const f: MessageMedia = { kind: (m.media_type && MEDIA_KIND[m.media_type]) || 'file', path: m.file };
    if (typeof m.mime_type === 'string') f.mime = m.mime_type;
    if (typeof m.file_size === 'number') f.size = m.file_size;
    out.push(f);
  }
  return out;
}

/**
 * Reads the top of an export up to its `messages` array: the chat's name, type and id. A bare message array, a
 * full-account export or any other JSON is refused here with a clear error, before anything is imported.
 */
export async function readChatHead(file: string): Promise<TgChat> {
  const source = createReadStream(file, { highWaterMark: 64 * 1024 });
  const parser = StreamJson.parser({ packKeys: true, packValues: true, streamKeys: false, streamValues: false });
  const chat: TgChat = { name: null, type: null, id: null };
  let depth = 0;
  let key: string | null = null;
  let first = true;
  let verdict: 'messages' | 'array' | 'account' | 'scalar' | null = null;
  let bytes = 0;
  source.on('data', (c) => (bytes += (c as Buffer).length));
  source.pipe(parser);
  const tokens = parser as AsyncIterable<{ name: string; value?: string }>;
  try {
    for await (const t of tokens) {
      if (first) {
        first = false;
        if (t.name === 'startArray') verdict = 'array';
        else if (t.name !== 'startObject') verdict = 'scalar';
        if (verdict) break;
      }
      if (t.name === 'startObject' || t.name === 'startArray') {
        if (depth === 1 && key === 'messages' && t.name === 'startArray') {
          verdict = 'messages';
          break;
        }
        depth++;
        key = null;
        continue;
      }
      if (t.name === 'endObject' || t.name === 'endArray') {
        depth--;
        continue;
      }
      if (depth !== 1) continue;
      if (t.name === 'keyValue') {
        key = t.value ?? null;
        if (key === 'chats' || key === 'personal_information') verdict = 'account';
        continue;
      }
      if (key === 'name' && t.name === 'stringValue') chat.name = t.value ?? null;
      else if (key === 'type' && t.name === 'stringValue') chat.type = t.value ?? null;
      else if (key === 'id' && (t.name === 'numberValue' || t.name === 'stringValue')) chat.id = t.value ?? null;
      key = null;
    }
  } catch (err) {
    throw new ImportFormatError(`not a Telegram Desktop export: the file is not valid JSON (${(err as Error).message})`, 1, bytes);
  } finally {
    source.destroy();
  }
  if (verdict === 'messages') return chat;
  if (verdict === 'array') {
    throw new ImportFormatError('not a Telegram Desktop export: the file is a bare JSON array; export the chat with Telegram Desktop ("Export chat history", JSON), whose result.json is an object with name, type, id and messages', 1, 0);
  }
  if (verdict === 'account') {
    throw new ImportFormatError('this is a full-account Telegram export (chats.list); export the chat or channel itself ("Export chat history") and import its result.json', 1, 0);
  }
  throw new ImportFormatError('not a Telegram Desktop export: no "messages" array at the top level (result.json has name, type, id and messages)', 1, bytes);
}

/**
 * The texts of a Telegram Desktop export held in memory (for `darkpatrol selectors`): each message's text and
 * hidden link targets; null when the text is not such an export.
 */
export function telegramExportTexts(text: string): string[] | null {
  if (!/^\uFEFF?\s*\{/.test(text)) return null;
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return null;
  }
  const messages = (data as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return null;
  return messages
    .filter((m): m is TgMessage => m !== null && typeof m === 'object' && (m as TgMessage).type === 'message')
    .map((m) => [messageText(m), ...hiddenLinks(m)].filter(Boolean).join('\n'))
    .filter((t) => t.length > 0);
}
