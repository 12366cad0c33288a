import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { EvidenceRecorder, verifyEvidence, type HttpExchange } from '../../src/evidence/index.ts';
import { FrontierCompletions, FrontierSize, type FrontierEntry } from '../../src/collect/crawl/frontier.ts';

function exchange(url: string): HttpExchange {
  const body = `<html><body>${url}</body></html>`;
  return {
    url,
    request: Buffer.from(`GET / HTTP/1.1\r\nhost: claims.onion\r\n\r\n`),
    response: Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    payloadSha256: createHash('sha256').update(body).digest('hex'),
    payloadSize: Buffer.byteLength(body),
    httpStatus: 200,
    contentType: 'text/html',
    fetchedAt: new Date(),
  };
}

describe(`entries claimed in a group commit on ${testEngine}`, () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;
  const job = 'job-claims';

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-claims-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'CLM', name: 'C', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const market = await store.db.insertInto('markets').values({ agency_id: agencyId, slug: 'claims', name: 'Claims' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('crawl_jobs').values({ id: job, market_id: market.id }).execute();
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('claims one ready entry per committed page, hands them out only after the commit; a rolled-back group claims nothing', async () => {
    const url = (p: string) => `http://claims.onion/${p}`;
    const rows = await store.db
      .insertInto('crawl_frontier')
      .values(['a', 'b', 'f', 'c', 'd', 'e', 'g'].map((p) => ({ job_id: job, url: url(p), state: ['a', 'b', 'f'].includes(p) ? ('claimed' as const) : ('queued' as const), claimed_by: 'w' })))
      .returning(['id', 'url'])
      .execute();
    const id = (p: string) => Number((rows.find((r) => r.url === url(p)) as { id: number }).id);
    const work = new FrontierCompletions(job, new FrontierSize(job, 1000));
    const handed: FrontierEntry[] = [];
    const resolvedWith: number[] = [];
    work.claims = { workerId: 'w', leaseMs: 60_000, want: (pages) => pages, take: (entries) => handed.push(...entries) };
    const recorder = new EvidenceRecorder(store.db, { dir });
    const page = (p: string) => recorder.recordExchange(exchange(url(p)), { agencyId, marketId: null, jobId: job }, { work, item: { id: id(p), httpStatus: 200, note: null, links: [], depth: 1 } }).then((c) => {
      // Handed out before the page's own promise settles (a worker asks for its next entry then).
      resolvedWith.push(handed.length);
      return c;
    });
    // a commits alone; b, f and a failing exchange arrive meanwhile and go as one group, which rolls back: then each
    // is retried alone (b and f commit, claiming one entry each; the failing one fails alone).
    const settled = await Promise.allSettled([
      page('a'),
      page('b'),
      page('f'),
      recorder.recordExchange(exchange(url('bad')), { agencyId, marketId: null, jobId: job }, async (trx) => {
        await sql`select 1/0`.execute(trx);
      }),
    ]);
    await recorder.close();
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    expect(resolvedWith).toEqual([1, 2, 3]);
    // Three pages committed, three entries claimed, in frontier order; none claimed twice, none by the rolled-back group.
    expect(handed.map((e) => e.url)).toEqual([url('c'), url('d'), url('e')]);
    const state = await store.db.selectFrom('crawl_frontier').select(['url', 'state', 'claimed_by', 'attempts']).where('job_id', '=', job).orderBy('id').execute();
    expect(state.map((s) => [s.url.slice(-1), s.state])).toEqual([
      ['a', 'done'],
      ['b', 'done'],
      ['f', 'done'],
      ['c', 'claimed'],
      ['d', 'claimed'],
      ['e', 'claimed'],
      ['g', 'queued'],
    ]);
    expect(state.filter((s) => s.state === 'claimed').map((s) => s.attempts)).toEqual([1, 1, 1]);
    // No claims while the crawl stops.
    work.claims = { workerId: 'w', leaseMs: 60_000, want: () => 0, take: (entries) => handed.push(...entries) };
    await store.db.insertInto('crawl_frontier').values({ job_id: job, url: url('h'), state: 'claimed', claimed_by: 'w' }).execute();
    const h = Number((await store.db.selectFrom('crawl_frontier').select('id').where('url', '=', url('h')).executeTakeFirstOrThrow()).id);
    const again = new EvidenceRecorder(store.db, { dir });
    await again.recordExchange(exchange(url('h')), { agencyId, marketId: null, jobId: job }, { work, item: { id: h, httpStatus: 200, note: null, links: [], depth: 1 } });
    await again.close();
    expect(handed).toHaveLength(3);
    const g = await store.db.selectFrom('crawl_frontier').select('state').where('url', '=', url('g')).executeTakeFirstOrThrow();
    expect(g.state).toBe('queued');
    const report = await verifyEvidence(store.db, { dir });
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.detail)).toEqual([]);
  });
});
