/**
 * The embedded engine has no autovacuum: the pipeline's bulk writers vacuum and analyse the searched tables when they
 * finish (maintainAfterBulkWrite), so the GIN indexes' pending lists are merged and the planner has statistics. On
 * PostgreSQL that is the server's autovacuum, and the call does nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';
import { importTelegramExport } from '../../src/collect/index.ts';
import { maintainAfterBulkWrite, SEARCHED_TABLES } from '../../src/store/index.ts';

const FIXTURE = new URL('../../../shared/fixtures/telegram-chat-analytics/DM_2A_7M.json', import.meta.url).pathname;

describe(`store maintenance after bulk writes (${testEngine})`, () => {
  let store: TestStore;
  let dir: string;
  let agencyId: number;

  beforeAll(async () => {
    store = await openTestStore();
    dir = mkdtempSync(path.join(tmpdir(), 'dp-maint-'));
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NLPOL', name: 'Test', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const vacuumed = async () =>
    (await sql<{ relname: string; last_vacuum: Date | null; last_analyze: Date | null }>`select relname, last_vacuum, last_analyze from pg_stat_user_tables where relname in (${sql.join([...SEARCHED_TABLES])})`.execute(store.db)).rows;

  it('an import of the real Telegram export ends with the searched tables vacuumed and analysed on PGlite, and leaves it to autovacuum on PostgreSQL (the call does nothing there)', async () => {
    if (testEngine === 'pglite') expect((await vacuumed()).every((t) => t.last_vacuum === null)).toBe(true);
    const r = await importTelegramExport({ db: store.db, evidenceDir: path.join(dir, 'warc'), agencyId, file: FIXTURE, market: 'tg-maint' });
    expect(r.rows).toBeGreaterThan(0);
    const after = await vacuumed();
    expect(after.map((t) => t.relname).sort()).toEqual([...SEARCHED_TABLES].sort());
    if (testEngine === 'pglite') for (const t of after) expect(t, t.relname).toMatchObject({ last_vacuum: expect.any(Date), last_analyze: expect.any(Date) });
    expect(await maintainAfterBulkWrite(store.db)).toBe(testEngine === 'pglite');
  }, 120_000);

  it.runIf(testEngine === 'pglite')('after a bulk load the vendor handle probe reads its trigram index instead of scanning the table', async () => {
    await store.execScript(`insert into vendors (agency_id, tlp, market_id, handle, handle_norm, profile_text, first_seen, last_seen)
      select ${agencyId}, 'AMBER', (select id from markets limit 1), 'bulk' || g, 'bulk' || g, 'Stealth shipping, PGP ' || md5(g::text), now(), now()
      from generate_series(1, 20000) g`);
    const plan = async () => JSON.stringify((await sql`explain (format json) select id from vendors where handle_norm like '%bulk12345%'`.execute(store.db)).rows);
    const before = await plan();
    await maintainAfterBulkWrite(store.db);
    const after = await plan();
    expect(before).toContain('Seq Scan');
    expect(after).toContain('Bitmap Index Scan');
    expect(after).toContain('vendors_handle_trgm');
  }, 120_000);
});
