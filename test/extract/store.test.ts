import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvidenceRecorder } from '../../src/evidence/index.ts';
import { agoraAdapter, type Adapter } from '../../src/extract/index.ts';
import { extractCaptures, loadFxTable } from '../../src/extract/store/index.ts';
import { SEARCHED_TABLES } from '../../src/store/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

const FIXTURES = new URL('../../../shared/fixtures/agora-2014-04-06', import.meta.url).pathname;
const HOST = 'http://agorahooawayyfoe.onion';

/** Records each fixture page as a real HTTP exchange in WARC evidence, as the crawler would. */
async function captureFixtures(store: TestStore, evidenceDir: string, agencyId: number, marketId: number): Promise<number> {
  const recorder = new EvidenceRecorder(store.db, { dir: evidenceDir, fsync: false });
  let n = 0;
  for (const kind of ['vendor', 'p', 'cat']) {
    for (const name of readdirSync(join(FIXTURES, kind))) {
      const body = readFileSync(join(FIXTURES, kind, name));
      const url = `${HOST}/${kind}/${name}`;
      const head = `HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${body.length}\r\n\r\n`;
      await recorder.recordExchange(
        {
          url,
          request: Buffer.from(`GET /${kind}/${name} HTTP/1.1\r\nHost: agorahooawayyfoe.onion\r\n\r\n`),
          response: Buffer.concat([Buffer.from(head), body]),
          payloadSha256: createHash('sha256').update(body).digest('hex'),
          payloadSize: body.length,
          httpStatus: 200,
          contentType: 'text/html; charset=utf-8',
          fetchedAt: new Date('2014-04-06T12:00:00Z'),
        },
        { agencyId, marketId, jobId: 'test' },
      );
      n++;
    }
  }
  return n;
}

describe(`extracting stored evidence on ${testEngine}`, () => {
  let store: TestStore;
  let evidenceDir: string;
  let pages = 0;
  beforeAll(async () => {
    store = await openTestStore();
    evidenceDir = mkdtempSync(join(tmpdir(), 'dp-extract-'));
    const agency = await store.db.insertInto('agencies').values({ code: 'NL-X', name: 'X', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
    const market = await store.db
      .insertInto('markets')
      .values({ agency_id: agency.id, slug: 'agora', name: 'Agora', adapter: agoraAdapter.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    pages = await captureFixtures(store, evidenceDir, agency.id, market.id);
  });
  afterAll(async () => {
    await store.close();
    rmSync(evidenceDir, { recursive: true, force: true });
  });

  it('turns every captured page into facts that point back at their capture and adapter version', async () => {
    const report = await extractCaptures(store, { evidenceDir, fx: await loadFxTable(store.db) });
    expect(report.captures).toBe(pages);
    expect(report.parsed).toBe(pages);
    expect(report.listings).toBeGreaterThan(20);
    const listings = await store.db.selectFrom('listings').selectAll().execute();
    expect(listings.length).toBeGreaterThan(20);
    for (const l of listings) {
      expect(l.capture_id).not.toBeNull();
      expect(l.adapter).toBe(`${agoraAdapter.id}@${agoraAdapter.version}`);
    }
    const snaps = await store.db.selectFrom('listing_snapshots').selectAll().where('currency', '=', 'BTC').execute();
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps.every((s) => s.price_usd !== null && s.price_usd > 0)).toBe(true);
    const pgp = await store.db.selectFrom('selectors').selectAll().where('kind', '=', 'pgp_key').execute();
    expect(pgp.length).toBeGreaterThan(0);
    const sightings = await store.db.selectFrom('selector_sightings').select(['vendor_id', 'capture_id']).execute();
    expect(sightings.every((s) => s.capture_id !== null)).toBe(true);
  });

  it('ends with the searched tables vacuumed and analysed on the embedded engine (no autovacuum there), and leaves them to autovacuum on PostgreSQL', async () => {
    const stats = async () =>
      (await sql<{ relname: string; vacuums: string; analyzes: string }>`select relname, vacuum_count::text as vacuums, analyze_count::text as analyzes from pg_stat_user_tables where relname in (${sql.join([...SEARCHED_TABLES])}) order by relname`.execute(store.db)).rows;
    const before = await stats();
    const nothingToDo = await extractCaptures(store, { evidenceDir });
    expect(nothingToDo.parsed).toBe(0);
    expect(await stats()).toEqual(before);
    await extractCaptures(store, { evidenceDir, all: true });
    const after = await stats();
    expect(after.map((t) => t.relname)).toEqual([...SEARCHED_TABLES].sort());
    for (const [i, t] of after.entries()) {
      const grew = { vacuums: Number(t.vacuums) - Number(before[i]!.vacuums), analyzes: Number(t.analyzes) - Number(before[i]!.analyzes) };
      expect(grew, t.relname).toEqual(testEngine === 'pglite' ? { vacuums: 1, analyzes: 1 } : { vacuums: 0, analyzes: 0 });
    }
  });

  it('is idempotent: running again parses nothing, and --all re-parses without duplicating a fact', async () => {
    const count = async () => ({
      vendors: (await store.db.selectFrom('vendors').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      listings: (await store.db.selectFrom('listings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      snapshots: (await store.db.selectFrom('listing_snapshots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      feedback: (await store.db.selectFrom('feedback').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
      sightings: (await store.db.selectFrom('selector_sightings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n,
    });
    const before = await count();
    const again = await extractCaptures(store, { evidenceDir });
    expect(again.captures).toBe(0);
    await extractCaptures(store, { evidenceDir, all: true });
    expect(await count()).toEqual(before);
  });

  it('re-parses with a newer adapter version and records the new version as provenance', async () => {
    const newer: Adapter = { ...agoraAdapter, version: '99.0.0' };
    const lookup = (id: string) => (id === newer.id ? newer : undefined);
    const plain = await extractCaptures(store, { evidenceDir, adapters: lookup });
    expect(plain.captures).toBe(0); // without --reparse, parsed captures are left alone
    const re = await extractCaptures(store, { evidenceDir, adapters: lookup, reparse: true });
    expect(re.captures).toBe(pages);
    const versions = await store.db.selectFrom('listings').select('adapter').distinct().execute();
    expect(versions.map((v) => v.adapter)).toEqual([`${newer.id}@99.0.0`]);
    const parses = await store.db.selectFrom('capture_parses').select('adapter').distinct().execute();
    expect(parses.map((p) => p.adapter)).toEqual([`${newer.id}@99.0.0`]);
  });
});
