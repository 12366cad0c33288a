import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

// A throwaway MariaDB server (Debian's mariadb-server) on a Unix socket only, for tests that need the real thing.

function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export const mariadbBins = { server: findBinary('mariadbd'), install: findBinary('mariadb-install-db'), client: findBinary('mariadb'), dump: findBinary('mariadb-dump') };
/** Binaries missing on this machine (the suite skips the MariaDB tests and says which). */
export const mariadbMissing = Object.entries(mariadbBins).filter(([, v]) => !v).map(([k]) => k);

export interface MariaDb {
  dir: string;
  /** Runs one query (batch, no column names) and returns its output. */
  sql(db: string, query: string): string;
  /** Loads a SQL file into a database with the `mariadb` client. */
  load(db: string, file: string): void;
  /** `mariadb-dump` of one database into a file (the real tool's output). */
  dump(db: string, file: string, extra?: string[]): void;
  stop(): Promise<void>;
}

export async function startMariaDb(): Promise<MariaDb> {
  const dir = mkdtempSync(join(tmpdir(), 'dp-mariadb-'));
  const socket = join(dir, 'mysqld.sock');
  const user = userInfo().username;
  const install = spawnSync(mariadbBins.install as string, ['--no-defaults', `--datadir=${join(dir, 'data')}`, '--auth-root-authentication-method=normal', `--user=${user}`], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr}`);
  const server: ChildProcess = spawn(mariadbBins.server as string, ['--no-defaults', `--datadir=${join(dir, 'data')}`, `--socket=${socket}`, '--skip-networking',
    `--pid-file=${join(dir, 'mysqld.pid')}`, `--user=${user}`, '--innodb-buffer-pool-size=64M', `--log-error=${join(dir, 'error.log')}`], { stdio: 'ignore' });
  for (let i = 0; i < 120 && !existsSync(socket); i++) await new Promise((r) => setTimeout(r, 250));
  if (!existsSync(socket)) throw new Error(`mariadbd did not start; see ${join(dir, 'error.log')}`);
  const client = ['--no-defaults', '-S', socket, '-uroot'];
  return {
    dir,
    sql(db, query) {
      const r = spawnSync(mariadbBins.client as string, [...client, '-N', '-B', ...(db ? [db] : []), '-e', query], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mariadb: ${r.stderr}`);
      return r.stdout.trim();
    },
    load(db, file) {
      const fd = openSync(file, 'r');
      try {
        const r = spawnSync(mariadbBins.client as string, [...client, db], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
      } finally {
        closeSync(fd);
      }
    },
    dump(db, file, extra = []) {
      const fd = openSync(file, 'w');
      try {
        const r = spawnSync(mariadbBins.dump as string, [...client, ...extra, db], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`mariadb-dump failed: ${r.stderr}`);
      } finally {
        closeSync(fd);
      }
    },
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once('exit', r));
        server.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (server.exitCode === null) server.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
