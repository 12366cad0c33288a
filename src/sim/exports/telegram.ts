import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { SimChannel, SimTextPart, World } from '../world/index.ts';

/** A text entity as Telegram Desktop writes it in `text_entities` (and inside `text` arrays). */
export interface TelegramEntity {
  type: SimTextPart['type'];
  text: string;
  href?: string;
}

export interface TelegramMessage {
  id: number;
  type: 'message';
  date: string;
  date_unixtime: string;
  from: string;
  from_id: string;
  text: string | Array<string | TelegramEntity>;
  text_entities: TelegramEntity[];
}

/** The top level of Telegram Desktop's "Export chat history" → JSON (`result.json`). */
export interface TelegramExport {
  name: string;
  type: 'public_channel' | 'public_supergroup';
  id: number;
  messages: TelegramMessage[];
}

/** Telegram's numeric user id for a world account or buyer (stable per world). */
export function telegramUserId(world: World, id: string): number {
  const h = sha256(utf8ToBytes(`${world.seed}/tg-user/${id}`));
  return 100_000_000 + (((h[0] as number) << 24 | (h[1] as number) << 16 | (h[2] as number) << 8 | (h[3] as number)) >>> 0) % 6_000_000_000;
}

/** Local time as Telegram Desktop writes it (no zone; the simulated exporter's clock runs on UTC). */
function localIso(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(0, 19);
}

function mergePlain(parts: SimTextPart[]): SimTextPart[] {
  const out: SimTextPart[] = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (p.type === 'plain' && last?.type === 'plain') last.text += p.text;
    else if (p.text.length > 0) out.push({ ...p });
  }
  return out;
}

function entity(p: SimTextPart): TelegramEntity {
  return p.href !== undefined ? { type: p.type, text: p.text, href: p.href } : { type: p.type, text: p.text };
}

/** One channel's export object. */
export function telegramExport(world: World, channel: SimChannel): TelegramExport {
  const accounts = new Map(world.accounts.map((a) => [a.id, a]));
  const buyers = new Map(world.buyers.map((b) => [b.id, b]));
  const messages: TelegramMessage[] = [];
  for (const m of world.messages) {
    if (m.channelId !== channel.id) continue;
    let from: string;
    let fromId: string;
    if (channel.type === 'public_channel') {
      from = channel.name;
      fromId = `channel${channel.numericId}`;
    } else if (m.accountId) {
      from = accounts.get(m.accountId)?.handle ?? 'Deleted Account';
      fromId = `user${telegramUserId(world, m.accountId)}`;
    } else {
      from = buyers.get(m.buyerId ?? '')?.handle ?? 'Deleted Account';
      fromId = `user${telegramUserId(world, m.buyerId ?? '')}`;
    }
    const parts = mergePlain(m.parts);
    const onlyPlain = parts.every((p) => p.type === 'plain');
    messages.push({
      id: m.id,
      type: 'message',
      date: localIso(m.at),
      date_unixtime: String(m.at),
      from,
      from_id: fromId,
      text: onlyPlain ? parts.map((p) => p.text).join('') : parts.map((p) => (p.type === 'plain' ? p.text : entity(p))),
      text_entities: parts.map(entity),
    });
  }
  return { name: channel.name, type: channel.type, id: channel.numericId, messages };
}

/** Serialised as Telegram Desktop does: one-space indentation, UTF-8, no escaping of non-ASCII. */
export function renderTelegramJson(e: TelegramExport): string {
  return `${JSON.stringify(e, null, 1)}\n`;
}
