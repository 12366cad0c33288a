import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.ts';
import { dayToUnix, generateWorld } from '../../src/sim/index.ts';
import { createScratchDatabase, openStore, type ScratchDatabase, type Store } from '../../src/store/index.ts';
import { testEngine } from '../helpers/store.ts';

/** Runs the CLI in-process (stdout is not a terminal here, as in a pipe or CI), capturing what it prints. */
async function run(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'darkpatrol', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const SEED = 3;

describe(`darkpatrol demo (${testEngine})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-demo-'));
  let scratch: ScratchDatabase | undefined;
  let result: { code: number; out: string; err: string };
  let store: Store;

  beforeAll(async () => {
    // On PostgreSQL the demo runs on the server it is given (an empty database); else on its embedded one.
    if (process.env.DATABASE_URL) scratch = await createScratchDatabase(process.env.DATABASE_URL, 'dp_demo');
    const db = scratch ? ['--database-url', scratch.url] : [];
    result = await run([...db, 'demo', '--seed', String(SEED), '--no-serve', '--dir', join(dir, 'demo'), '--progress-every', '200'], { DATABASE_URL: undefined });
    store = await openStore(scratch ? { databaseUrl: scratch.url } : { dataDir: join(dir, 'demo', 'data') });
  }, 900_000);

  afterAll(async () => {
    await store?.close();
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs to the end and prints progress lines while steps run, with no terminal', () => {
    expect(result.code, result.err).toBe(0);
    expect(process.stdout.isTTY).toBeFalsy();
    expect(result.out).toMatch(/^ {2}crawl d\d+: \S+ \d+ page\(s\) fetched, \d+ queued \(\d+s\)$/m);
    expect(result.out).toMatch(/✔ extract/);
    expect(store.engine).toBe(scratch ? 'postgres' : 'pglite');
    if (scratch) expect(result.out).toContain('--database-url');
  });

  it('dates what it learns on the simulated days, not all on today', async () => {
    const world = generateWorld({ seed: SEED, scale: 'tiny' });
    const t = world.timeline;
    const last = world.days - 1;
    const simDays = [...new Set([Math.max(0, t.seizureDay - 20), Math.min(last, t.seizureDay + 30), last])].map((d) => new Date(dayToUnix(d) * 1000).toISOString().slice(0, 10));
    const snapDays = (await store.db.selectFrom('listing_snapshots').select('observed_at').execute()).map((r) => new Date(r.observed_at).toISOString().slice(0, 10));
    expect([...new Set(snapDays)].sort()).toEqual([...new Set(simDays)].sort());
    const today = new Date().toISOString().slice(0, 10);
    const vendors = await store.db.selectFrom('vendors').select(['first_seen', 'last_seen']).execute();
    expect(vendors.length).toBeGreaterThan(0);
    for (const v of vendors) expect(new Date(v.first_seen!).toISOString().slice(0, 10)).not.toBe(today);
    expect(vendors.some((v) => new Date(v.last_seen!).getTime() - new Date(v.first_seen!).getTime() >= 20 * 86_400_000)).toBe(true);
    // The seizure is observed on the crawl day after it, not today.
    const seized = await store.db.selectFrom('market_events as e').innerJoin('markets as m', 'm.id', 'e.market_id').select(['e.observed_at']).where('m.slug', '=', t.seizedMarket).where('e.kind', '=', 'seized').executeTakeFirst();
    expect(seized && new Date(seized.observed_at).toISOString().slice(0, 10)).toBe(simDays[1]);
    // Evidence keeps the real fetch time.
    const caps = await store.db.selectFrom('captures').select('fetched_at').limit(5).execute();
    for (const c of caps) expect(new Date(c.fetched_at).toISOString().slice(0, 10)).toBe(today);
  });

  it.runIf(testEngine === 'postgres')('refuses, in one line, a server database that is not empty', async () => {
    const r = await run(['--database-url', scratch!.url, 'demo', '--no-serve', '--dir', join(dir, 'demo2')]);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/already holds 1 agencie\(s\); the demo writes a simulated world only into an empty database/);
  });

  it('refuses an unusable DATABASE_URL in one line instead of ignoring it', async () => {
    const r = await run(['demo', '--no-serve', '--dir', join(dir, 'demo3')], { DATABASE_URL: 'mysql://nope' });
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/must start with postgres:\/\//);
  });
});
