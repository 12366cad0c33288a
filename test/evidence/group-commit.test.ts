import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { EvidenceRecorder, verifyEvidence, type GroupWork, type HttpExchange } from '../../src/evidence/index.ts';
import { appendEvidenceGroups } from '../../src/evidence/log.ts';

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

describe(`group commit: shared work, rollback, chain head on ${testEngine}`, () => {
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

  it('runs a shared work once per group with every item of it and the capture ids', async () => {
    const calls: Array<Array<{ item: number; captureId: number }>> = [];
    const work: GroupWork<number, number> = {
      async run(trx, items) {
        calls.push(items.map((i) => ({ ...i })));
        // In the group's transaction: the capture rows are there.
        const n = await trx.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', items.map((i) => i.captureId)).executeTakeFirstOrThrow();
        expect(Number(n.n)).toBe(items.length);
        return items.length;
      },
    };
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc') });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => recorder.recordExchange(exchange(i), { agencyId, marketId: null }, { work, item: i })));
    await recorder.close();
    // The first exchange commits alone; the five that arrived meanwhile form the next group: one run for them.
    expect(calls.map((c) => c.length)).toEqual([1, 5]);
    const byItem = new Map(calls.flat().map((c) => [c.item, c.captureId]));
    expect(results.map((r, i) => byItem.get(i) === r.captureId)).toEqual(results.map(() => true));
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.detail)).toEqual([]);
  });

  it('a failing group is rolled back (works told) and retried exchange by exchange: the bad one fails alone', async () => {
    const rolledBack: number[] = [];
    const counted: GroupWork<number, number> = {
      run: async (_trx, items) => items.length,
      rolledBack: (n) => rolledBack.push(n),
    };
    const failing: GroupWork<number> = {
      async run(trx, items) {
        if (items.some((i) => i.item === 13)) await sql`select 1/0`.execute(trx);
      },
    };
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc') });
    const before = Number((await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const settled = await Promise.allSettled(
      [10, 11, 12, 13, 14].map((i) =>
        i === 11 || i === 12 ? recorder.recordExchange(exchange(i), { agencyId, marketId: null }, { work: counted, item: i }) : recorder.recordExchange(exchange(i), { agencyId, marketId: null }, { work: failing, item: i }),
      ),
    );
    await recorder.close();
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // The group [11..14] ran `counted` for 11 and 12, then failed: its count was taken back.
    expect(rolledBack).toEqual([2]);
    const after = Number((await store.db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    expect(after - before).toBe(4);
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.detail)).toEqual([]);
  });

  it('entries chained on a head read before another append committed are chained again on the real head', async () => {
    const recorder = new EvidenceRecorder(store.db, { dir: path.join(dir, 'warc') });
    await recorder.recordExchange(exchange(20), { agencyId, marketId: null });
    const written = await recorder.writer.write([{ type: 'resource', targetUri: 'file:///x', date: new Date(), block: Buffer.from('x'), contentType: 'text/plain' }]);
    await recorder.close();
    await store.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(7304221100)`.execute(trx);
      // A stale head (as if read before another process's entries committed).
      await appendEvidenceGroups(trx, [{ records: written, context: {} }], { expectedHead: 'f'.repeat(64) });
    });
    const report = await verifyEvidence(store.db, { dir: path.join(dir, 'warc') });
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.detail)).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
