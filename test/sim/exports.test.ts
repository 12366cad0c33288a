import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import StreamJson from 'stream-json';
import Pick from 'stream-json/filters/Pick.js';
import StreamArray from 'stream-json/streamers/StreamArray.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlString, writeSimOutputs, type SimOutputManifest, type TelegramMessage } from '../../src/sim/exports/index.ts';
import { generateWorld, toUsd, type GroundTruth, type World } from '../../src/sim/world/index.ts';

let world: World;
let dirA: string;
let dirB: string;
let manifest: SimOutputManifest;

function treeHashes(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, treeHashes(dir, p));
    else out[p] = createHash('sha256').update(readFileSync(join(dir, p))).digest('hex');
  }
  return out;
}

beforeAll(async () => {
  world = generateWorld({ seed: 'exports', scale: 'tiny' });
  dirA = mkdtempSync(join(tmpdir(), 'dp-sim-a-'));
  dirB = mkdtempSync(join(tmpdir(), 'dp-sim-b-'));
  manifest = await writeSimOutputs(world, dirA);
  await writeSimOutputs(generateWorld({ seed: 'exports', scale: 'tiny' }), dirB);
});

afterAll(() => {
  rmSync(dirA, { recursive: true, force: true });
  rmSync(dirB, { recursive: true, force: true });
});

describe('writeSimOutputs', () => {
  it('writes byte-identical trees for the same seed, matching the manifest', () => {
    const a = treeHashes(dirA);
    expect(a).toEqual(treeHashes(dirB));
    for (const f of manifest.files) expect(a[f.path], f.path).toBe(f.sha256);
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['truth.json', 'rates.json', 'manifest.json',
      `seized/${world.timeline.seizedMarket}.sql`, ...world.channels.map((c) => `telegram/${c.id}/result.json`)]));
  });

  it('writes the same bytes in a separate Node process (no hidden per-process state)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-sim-proc-'));
    try {
      const root = fileURLToPath(new URL('../../', import.meta.url));
      const script = `const { generateWorld } = await import(${JSON.stringify(join(root, 'src/sim/world/index.ts'))});
        const { writeSimOutputs } = await import(${JSON.stringify(join(root, 'src/sim/exports/index.ts'))});
        await writeSimOutputs(generateWorld({ seed: 'exports', scale: 'tiny' }), ${JSON.stringify(dir)});`;
      const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(treeHashes(dir)).toEqual(treeHashes(dirA));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes a different tree for another seed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-sim-c-'));
    try {
      await writeSimOutputs(generateWorld({ seed: 'exports-2', scale: 'tiny' }), dir);
      expect(treeHashes(dir)['truth.json']).not.toBe(treeHashes(dirA)['truth.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Telegram Desktop result.json', () => {
  it('streams through stream-json with the real export layout', async () => {
    for (const ch of world.channels) {
      const file = join(dirA, 'telegram', ch.id, 'result.json');
      const topKeys: string[] = [];
      let depth = 0;
      await pipeline(createReadStream(file), StreamJson.parser({ packValues: true, streamValues: false }), new Writable({
        objectMode: true,
        write(tok: { name: string; value?: string }, _enc, cb) {
          if (tok.name === 'startObject' || tok.name === 'startArray') depth++;
          else if (tok.name === 'endObject' || tok.name === 'endArray') depth--;
          else if (tok.name === 'keyValue' && depth === 1) topKeys.push(tok.value ?? '');
          cb();
        },
      }));
      expect(topKeys).toEqual(['name', 'type', 'id', 'messages']);
      const messages: TelegramMessage[] = [];
      await pipeline(createReadStream(file), StreamJson.parser(), Pick.pick({ filter: 'messages' }), StreamArray.streamArray(),
        new Writable({ objectMode: true, write(item: { value: TelegramMessage }, _e, cb) { messages.push(item.value); cb(); } }));
      expect(messages.length).toBe(world.messages.filter((m) => m.channelId === ch.id).length);
      for (const m of messages) {
        expect(m.type).toBe('message');
        expect(m.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        expect(m.date_unixtime).toMatch(/^\d+$/);
        expect(new Date(Number(m.date_unixtime) * 1000).toISOString().slice(0, 19)).toBe(m.date);
        expect(m.from_id).toMatch(ch.type === 'public_channel' ? new RegExp(`^channel${ch.numericId}$`) : /^user\d+$/);
        const flat = typeof m.text === 'string' ? m.text : m.text.map((t) => (typeof t === 'string' ? t : t.text)).join('');
        expect(m.text_entities.map((e) => e.text).join('')).toBe(flat);
        for (const e of m.text_entities) expect(['plain', 'bold', 'italic', 'link', 'mention', 'hashtag', 'code', 'phone', 'email', 'text_link']).toContain(e.type);
        if (typeof m.text === 'string') expect(m.text_entities.every((e) => e.type === 'plain')).toBe(true);
      }
    }
  });

  it('uses one-space indentation like Telegram Desktop', () => {
    const text = readFileSync(join(dirA, 'telegram', world.channels[0]!.id, 'result.json'), 'utf8');
    expect(text.startsWith('{\n "name": ')).toBe(true);
  });
});

describe('MySQL string escapes', () => {
  it('escapes exactly what mysqldump escapes', () => {
    expect(sqlString(`it's "x" \\ \n \r \0 \x1a\ttab`)).toBe(`'it\\'s \\"x\\" \\\\ \\n \\r \\0 \\Z\ttab'`);
  });

  it('dump has mysqldump structure and the hostile strings escaped', () => {
    const sql = readFileSync(join(dirA, 'seized', `${world.timeline.seizedMarket}.sql`), 'utf8');
    expect(sql.startsWith('-- MySQL dump 10.13')).toBe(true);
    expect(sql).toMatch(/DROP TABLE IF EXISTS `users`;\n[\s\S]*CREATE TABLE `users` \(\n {2}`id` int\(11\) NOT NULL AUTO_INCREMENT,/);
    expect(sql).toMatch(/\) ENGINE=InnoDB AUTO_INCREMENT=\d+ DEFAULT CHARSET=utf8mb4;/);
    expect(sql).toMatch(/LOCK TABLES `orders` WRITE;\n\/\*!40000 ALTER TABLE `orders` DISABLE KEYS \*\/;\nINSERT INTO `orders` VALUES \(1,/);
    expect(sql).toContain("\\'; DROP TABLE users; --");
    expect(sql).toContain('\\0 with a NUL and a Ctrl-Z \\Z');
    expect(sql).toContain('line\\r\\nendings');
    for (const raw of ['\0', '\x1a', '\r']) expect(sql.includes(raw)).toBe(false);
    expect(sql.trimEnd().split('\n').at(-1)).toMatch(/^-- Dump completed on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const [table, counts] = Object.entries(manifest.seized)[0]!;
    expect(table).toBe(world.timeline.seizedMarket);
    expect(counts.users).toBe(world.seized[0]!.users.length);
    expect(counts.orders).toBe(world.sales.filter((s) => s.market === table).length);
  });
});

describe('truth.json', () => {
  it('parses and is consistent with the world', () => {
    const truth = JSON.parse(readFileSync(join(dirA, 'truth.json'), 'utf8')) as GroundTruth;
    expect(truth.accounts.length).toBe(world.accounts.length);
    expect(truth.listings.length).toBe(world.listings.length);
    const finalized = world.sales.filter((s) => s.status === 'finalized');
    const total = Object.values(truth.revenue.byIdentity).reduce((s, r) => s + r.revenueUsd, 0);
    expect(total).toBeCloseTo(finalized.reduce((s, x) => s + x.priceUsd, 0), 0);
    expect(Object.values(truth.revenue.byAccount).reduce((s, r) => s + r.sales, 0)).toBe(finalized.length);
    for (const [id, months] of Object.entries(truth.revenue.byIdentityMonth)) {
      const sum = Object.values(months).reduce((s, r) => s + r.revenueUsd, 0);
      expect(sum).toBeCloseTo(truth.revenue.byIdentity[id]!.revenueUsd, 1);
    }
    for (const link of truth.aliasLinks) {
      const a = truth.accounts.find((x) => x.accountId === link.accountId)!;
      const anchor = truth.accounts.find((x) => x.accountId === link.anchorAccountId)!;
      expect(a.identityId).toBe(anchor.identityId);
      expect(anchor.aliasKind).toBe('anchor');
    }
    for (const l of truth.listings) {
      // A displayed price converts back to the USD price within rounding of the display currency.
      const back = toUsd(l.priceDisplay.currency, l.priceDisplay.amount, l.priceDisplay.day);
      expect(Math.abs(back - l.priceUsd)).toBeLessThanOrEqual(Math.max(0.01, l.priceUsd * 0.0005));
    }
    expect(truth.feedbackRate).toBeGreaterThan(0);
    expect(truth.feedbackRate).toBeLessThan(1);
    expect(truth.migrations.some((m) => m.cause === 'takedown')).toBe(true);
    expect(Object.keys(truth.seizedUsers)).toEqual([world.timeline.seizedMarket]);
  });
});
