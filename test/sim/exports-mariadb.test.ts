import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSimOutputs, type SimOutputManifest } from '../../src/sim/exports/index.ts';
import { generateWorld, type World } from '../../src/sim/world/index.ts';

// Loads the seized-market dump into a real, throwaway MariaDB server (Debian's mariadb-server) and compares
// row counts and the bytes of hostile strings with the world they came from.

function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const bins = { server: findBinary('mariadbd'), install: findBinary('mariadb-install-db'), client: findBinary('mariadb') };
const missing = Object.entries(bins).filter(([, v]) => !v).map(([k]) => k);

describe.skipIf(missing.length > 0)(`seized dump in a real MariaDB${missing.length ? ` (skipped: no ${missing.join(', ')} binary; apt-get install mariadb-server)` : ''}`, () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let world: World;
  let manifest: SimOutputManifest;
  const socket = () => join(dir, 'mysqld.sock');

  function sql(db: string, query: string): string {
    const r = spawnSync(bins.client as string, ['--no-defaults', '-S', socket(), '-uroot', '-N', '-B', db, '-e', query], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
    return r.stdout.trim();
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dp-mariadb-'));
    const user = userInfo().username;
    const install = spawnSync(bins.install as string, ['--no-defaults', `--datadir=${join(dir, 'data')}`,
      '--auth-root-authentication-method=normal', `--user=${user}`], { encoding: 'utf8' });
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
    server = spawn(bins.server as string, ['--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${socket()}`,
      '--skip-networking', `--pid-file=${join(dir, 'mysqld.pid')}`, `--user=${user}`, '--innodb-buffer-pool-size=64M',
      `--log-error=${join(dir, 'error.log')}`], { stdio: 'ignore' });
    for (let i = 0; i < 120 && !existsSync(socket()); i++) await new Promise((r) => setTimeout(r, 250));
    if (!existsSync(socket())) throw new Error(`mariadbd did not start; see ${join(dir, 'error.log')}`);

    world = generateWorld({ seed: 'mariadb', scale: 'tiny' });
    manifest = await writeSimOutputs(world, join(dir, 'out'));
    sql('', `CREATE DATABASE \`${world.timeline.seizedMarket}\` CHARACTER SET utf8mb4`);
    const fd = openSync(join(dir, 'out', 'seized', `${world.timeline.seizedMarket}.sql`), 'r');
    try {
      const load = spawnSync(bins.client as string, ['--no-defaults', '-S', socket(), '-uroot', world.timeline.seizedMarket],
        { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      if (load.status !== 0) throw new Error(`loading the dump failed: ${load.stderr}`);
    } finally {
      closeSync(fd);
    }
  }, 180_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has as many rows in every table as the world says', () => {
    const db = world.timeline.seizedMarket;
    const counts = manifest.seized[db]!;
    for (const [table, n] of Object.entries(counts)) expect(Number(sql(db, `SELECT COUNT(*) FROM \`${table}\``)), table).toBe(n);
    const seized = world.seized[0]!;
    expect(counts.users).toBe(seized.users.length);
    expect(counts.messages).toBe(seized.messages.length);
    expect(counts.wallets).toBe(seized.wallets.length);
    expect(counts.orders).toBe(world.sales.filter((s) => s.market === db).length);
    expect(counts.vendors).toBe(world.accounts.filter((a) => a.market === db).length);
    expect(Number(sql(db, "SELECT COUNT(*) FROM users WHERE role='vendor'"))).toBe(counts.vendors);
    // Buyer shipping countries survive.
    const countries = sql(db, 'SELECT ship_country, COUNT(*) FROM orders GROUP BY ship_country ORDER BY ship_country').split('\n');
    const expected = new Map<string, number>();
    for (const s of world.sales) if (s.market === db) expected.set(s.buyerCountry, (expected.get(s.buyerCountry) ?? 0) + 1);
    expect(countries.map((l) => l.split('\t'))).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, n]) => [c, String(n)]));
  });

  it('keeps every message body byte for byte, including quotes, backslashes, NUL, Ctrl-Z and CR LF', () => {
    const db = world.timeline.seizedMarket;
    const stored = new Map(sql(db, 'SELECT id, HEX(body), HEX(subject) FROM messages').split('\n').map((l) => {
      const [id, body, subject] = l.split('\t');
      return [Number(id), { body, subject }];
    }));
    const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex').toUpperCase();
    for (const m of world.seized[0]!.messages) expect(stored.get(m.id)).toEqual({ body: hex(m.body), subject: hex(m.subject) });
    for (const c of ['\0', '\x1a', '\r\n', "'", '"', '\\']) expect(world.seized[0]!.messages.some((m) => m.body.includes(c)), JSON.stringify(c)).toBe(true);
  });

  it('stores vendors with their PGP keys and listings with their external ids', () => {
    const db = world.timeline.seizedMarket;
    const fps = sql(db, 'SELECT pgp_fingerprint FROM vendors WHERE pgp_fingerprint IS NOT NULL').split('\n');
    const known = new Set(world.identities.flatMap((i) => i.pgpKeys.map((k) => k.fingerprint)));
    for (const fp of fps) expect(known.has(fp)).toBe(true);
    expect(sql(db, "SELECT COUNT(*) FROM vendors WHERE pgp_key LIKE '-----BEGIN PGP PUBLIC KEY BLOCK-----%'")).toBe(String(fps.length));
    const ext = new Set(sql(db, 'SELECT external_id FROM listings').split('\n'));
    for (const l of world.listings) if (l.market === db && l.openDay <= world.timeline.seizureDay) expect(ext.has(l.externalId)).toBe(true);
  });
});
