import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DataDirLockedError,
  MIGRATIONS,
  MigrationFailedError,
  openStore,
  SchemaTooNewError,
  type Store,
} from '../../src/store/index.ts';
import { lockDataDir } from '../../src/store/lock.ts';
import { openTestStore, testEngine } from '../helpers/store.ts';

describe(`store on ${testEngine}`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('has every built-in migration applied, and re-running applies nothing', async () => {
    const rows = await store.db.selectFrom('schema_migrations').select('id').orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual(MIGRATIONS.map((m) => m.id));
    const again = await store.runMigrations(MIGRATIONS);
    expect(again.applied).toEqual([]);
  });

  it('rolls a failing migration back completely, leaving the database unchanged', async () => {
    const broken = { id: 99_001, name: 'broken', up: 'create table half_done (a int); select 1/0;' };
    await expect(store.runMigrations([...MIGRATIONS, broken])).rejects.toBeInstanceOf(MigrationFailedError);
    const table = await sql<{ n: number }>`select count(*)::int as n from pg_tables where tablename = 'half_done'`.execute(
      store.db,
    );
    expect(table.rows[0]?.n).toBe(0);
    const recorded = await store.db.selectFrom('schema_migrations').select('id').where('id', '=', 99_001).execute();
    expect(recorded).toEqual([]);
  });

  it('refuses a database made by a newer version, naming the unknown migration', async () => {
    const newer = { id: 99_002, name: 'from-the-future', up: 'create table future_thing (a int);' };
    await store.runMigrations([...MIGRATIONS, newer]);
    const err = await store.runMigrations(MIGRATIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SchemaTooNewError);
    expect((err as Error).message).toContain('99002');
    expect((err as Error).message).toContain('newer version of DarkPatrol');
  });

  it('enforces agency ownership and TLP markings on owned rows', async () => {
    const agency = await store.db
      .insertInto('agencies')
      .values({ code: 'NL-POL', name: 'Politie', country: 'NL' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const market = await store.db
      .insertInto('markets')
      .values({ agency_id: agency.id, slug: 'agora', name: 'Agora' })
      .returning(['id', 'tlp'])
      .executeTakeFirstOrThrow();
    expect(market.tlp).toBe('AMBER');
    await expect(
      store.db
        .insertInto('markets')
        .values({ agency_id: agency.id, slug: 'x', name: 'X', tlp: 'PURPLE' as 'RED' })
        .execute(),
    ).rejects.toThrow(/check constraint/);
    await expect(
      store.db.insertInto('markets').values({ agency_id: 999_999, slug: 'y', name: 'Y' }).execute(),
    ).rejects.toThrow(/foreign key/);
  });

  it('keeps numeric prices and bigint counts as numbers on both engines', async () => {
    const r = await sql<{ price: number; n: number }>`select 0.01230000::numeric as price, count(*) as n from (values (1), (2)) as v(x)`.execute(
      store.db,
    );
    expect(r.rows[0]).toEqual({ price: 0.0123, n: 2 });
  });
});

describe('embedded data directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dp-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second opener while the first holds the directory', () => {
    const release = lockDataDir(dir);
    try {
      expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    } finally {
      release();
    }
    lockDataDir(dir)();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    writeFileSync(join(dir, 'darkpatrol.lock'), '2147483646');
    const release = lockDataDir(dir);
    release();
  });

  it('rejects a DATABASE_URL that is not a PostgreSQL URL, without printing its password', async () => {
    const err = await openStore({ databaseUrl: 'mysql://bob:secret@127.0.0.1/db' }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('postgres://');
    expect((err as Error).message).not.toContain('secret');
  });
});

describe('PGlite on the caller\'s thread or in a worker thread (pgliteThread)', () => {
  for (const thread of ['main', 'worker'] as const) {
    it(`${thread}: rows, errors with their SQLSTATE, atomic transactions, data kept across reopening`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `dp-thread-${thread}-`));
      try {
        let s = await openStore({ dataDir: dir, pgliteThread: thread });
        await s.execScript('create table t (a int primary key, b text)');
        await s.db.transaction().execute(async (trx) => {
          await sql`insert into t values (${1}, ${'one'})`.execute(trx);
          await sql`insert into t values (${2}, ${null})`.execute(trx);
        });
        const failed = await s.db.transaction().execute(async (trx) => {
          await sql`insert into t values (${3}, ${'three'})`.execute(trx);
          await sql`insert into t values (${1}, ${'again'})`.execute(trx);
        }).catch((e: unknown) => e);
        expect((failed as { code?: string }).code).toBe('23505');
        await expect(sql`select * from no_such_table`.execute(s.db)).rejects.toMatchObject({ code: '42P01' });
        // concurrent transactions on the one session stay serialised and atomic
        await Promise.all([4, 5, 6].map((a) => s.db.transaction().execute((trx) => sql`insert into t values (${a}, ${String(a)})`.execute(trx))));
        await s.close();
        s = await openStore({ dataDir: dir, pgliteThread: thread });
        const rows = await sql<{ a: number; b: string | null }>`select a, b from t order by a`.execute(s.db);
        expect(rows.rows).toEqual([{ a: 1, b: 'one' }, { a: 2, b: null }, { a: 4, b: '4' }, { a: 5, b: '5' }, { a: 6, b: '6' }]);
        await s.close();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
