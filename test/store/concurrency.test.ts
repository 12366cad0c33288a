import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, DataDirLockedError, MIGRATIONS, openStore, verifyAuditChain } from '../../src/store/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';

const WRITER = join(import.meta.dirname, 'writer-process.ts');
/** node itself with tsx's loader, so the child's pid is the process that holds the lock and kill reaches it. */
const NODE_ARGS = ['--import', 'tsx', WRITER];

function runWriter(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_ARGS, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe.runIf(process.env.DATABASE_URL)('two processes writing through PostgreSQL', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore();
    const agency = await store.db.insertInto('agencies').values({ code: 'RACE', name: 'Race', country: 'NL' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('markets').values({ agency_id: agency.id, slug: 'race', name: 'Race' }).execute();
  });
  afterAll(async () => {
    await store.close();
  });

  it('upsert the same accounts and append to one audit chain without corrupting either', async () => {
    const url = store.databaseUrl!;
    const results = await Promise.all([runWriter([url, '-', 'a', '120']), runWriter([url, '-', 'b', '120'])]);
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const vendors = await store.db.selectFrom('vendors').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(vendors.n).toBe(50);
    const chain = await verifyAuditChain(store.db);
    expect(chain).toEqual({ ok: true, entries: 240 });
  });

  it('apply each migration exactly once when two processes open a fresh database at the same moment', async () => {
    const scratch = await createScratchDatabase(process.env.DATABASE_URL!, 'dp_race');
    try {
      const results = await Promise.all([runWriter([scratch.url, '-', 'a', '0']), runWriter([scratch.url, '-', 'b', '0'])]);
      for (const r of results) expect(r.stderr).toContain('RACE'); // both migrated, then found no agency: fine
      const check = await openStore({ databaseUrl: scratch.url });
      const rows = await check.db.selectFrom('schema_migrations').select('id').execute();
      expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(MIGRATIONS.map((m) => m.id));
      await check.close();
    } finally {
      await scratch.drop();
    }
  });
});

describe('a second process on the embedded data directory', () => {
  it('gets a clear error instead of corrupting the database', { timeout: 300_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dp-two-'));
    const child = spawn(process.execPath, [...NODE_ARGS, '-', dir, 'holder', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('holder did not start')), 120_000);
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const err = await openStore({ dataDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataDirLockedError);
      expect((err as Error).message).toContain(String(child.pid));
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
