import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { EvidenceRecorder, UncommittedTailError, WarcWriter, readWarcFile, verifyEvidence, type HttpExchange, type WarcRecordInput, type WrittenRecord } from '../../src/evidence/index.ts';

function exchange(i: number): HttpExchange {
  const body = `<html><body>group page ${i}</body></html>`;
  return {
    url: `http://group.onion/page/${i}`,
    request: Buffer.from(`GET /page/${i} HTTP/1.1\r\nhost: group.onion\r\n\r\n`),
    response: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    payloadSha256: createHash('sha256').update(body).digest('hex'),
    payloadSize: Buffer.byteLength(body),
    httpStatus: 200,
    contentType: 'text/html',
    fetchedAt: new Date(Date.UTC(2026, 0, 2, 0, 0, i)),
  };
}

const resource = (name: string): WarcRecordInput => ({ type: 'resource', targetUri: `file:///${name}`, date: new Date(), block: Buffer.from(name), contentType: 'text/plain' });

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('pipelined WARC batches: the next written while a commit runs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dp-pipeline-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes and fsyncs the next batch while the previous commit runs; commits run one at a time in write order', async () => {
    const writer = new WarcWriter({ dir: path.join(dir, 'order') });
    const steps: string[] = [];
    const held = gate();
    const a = writer.writeThenCommit([resource('a')], async () => {
      steps.push('a start');
      await held.wait;
      steps.push('a end');
      return 'a';
    });
    const b = writer.writeThenCommit([resource('b')], async () => {
      steps.push('b start');
      return 'b';
    });
    await b.durable;
    expect(steps).toEqual(['a start']);
    held.open();
    expect(await Promise.all([a.committed, b.committed])).toEqual(['a', 'b']);
    expect(steps).toEqual(['a start', 'a end', 'b start']);
    await writer.close();
  });

  it('after a failed commit, a batch written behind it in the same file is not committed, and the next write starts a new file', async () => {
    const writer = new WarcWriter({ dir: path.join(dir, 'fail') });
    const held = gate();
    let fileA = '';
    const a = writer.writeThenCommit([resource('a')], async (w) => {
      fileA = (w[0] as WrittenRecord).file;
      await held.wait;
      throw new Error('a failed');
    });
    let bCommitted = false;
    const b = writer.writeThenCommit([resource('b')], async (w) => {
      bCommitted = true;
      return w;
    });
    await b.durable;
    held.open();
    await expect(a.committed).rejects.toThrow('a failed');
    await expect(b.committed).rejects.toBeInstanceOf(UncommittedTailError);
    expect(bCommitted).toBe(false);
    const c = await writer.writeThenCommit([resource('c')], async (w) => w).committed;
    expect(c.map((r) => r.type)).toEqual(['warcinfo', 'resource']);
    expect((c[0] as WrittenRecord).file).not.toBe(fileA);
    await writer.close();
  });
});

describe(`group commit, pipelined, on ${testEngine}`, () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-group-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'GRP', name: 'G', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a group written behind one that fails to commit is retried exchange by exchange in a new file: only the bad exchange fails, verify passes', async () => {
    const warc = path.join(dir, 'warc');
    const recorder = new EvidenceRecorder(store.db, { dir: warc });
    const held = gate();
    let firstFile = '';
    const bad = recorder.recordExchange(exchange(1), { agencyId, marketId: null }, async (trx) => {
      firstFile = recorder.writer.currentFile;
      await held.wait;
      await sql`select 1/0`.execute(trx);
    });
    const good = [2, 3].map((i) => recorder.recordExchange(exchange(i), { agencyId, marketId: null }));
    // The second group (2, 3) is written behind the first in the same file while the first's transaction is held:
    // warcinfo, the first exchange's three records, the second group's six.
    const recordsInFirst = () => (firstFile ? readWarcFile(path.join(warc, firstFile)).length : 0);
    for (let i = 0; i < 500 && recordsInFirst() < 10; i++) await new Promise((r) => setTimeout(r, 10));
    expect(recordsInFirst()).toBe(10);
    held.open();
    await expect(bad).rejects.toThrow(/division by zero/);
    const captured = await Promise.all(good);
    await recorder.close();
    const rows = await store.db.selectFrom('captures').select(['id', 'url', 'warc_file']).where('id', 'in', captured.map((c) => c.captureId)).orderBy('id').execute();
    expect(rows.map((r) => r.url)).toEqual(['http://group.onion/page/2', 'http://group.onion/page/3']);
    const badRows = (await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).where('url', '=', 'http://group.onion/page/1').executeTakeFirstOrThrow()).n;
    expect(Number(badRows)).toBe(0);
    // Retried in a new file: nothing in the first file is logged.
    expect(new Set(rows.map((r) => r.warc_file)).size).toBe(1);
    expect(rows[0]?.warc_file).not.toBe(firstFile);
    const logged = await store.db.selectFrom('evidence_log').select('warc_file').distinct().execute();
    expect(logged.map((l) => l.warc_file)).toEqual([rows[0]?.warc_file]);
    const report = await verifyEvidence(store.db, { dir: warc });
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.detail)).toEqual([]);
    expect(report.problems.filter((p) => p.kind === 'unlogged-file')).toHaveLength(1);
  });
});
