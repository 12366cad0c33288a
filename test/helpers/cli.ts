import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createScratchDatabase, openStore, type Store } from '../../src/store/index.ts';

/** The repository root and the CLI entry point the operator runs. */
export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/darkpatrol.js');

/**
 * A throwaway database for CLI tests that run bin/darkpatrol.js in child processes: a data directory under a fresh
 * temp folder, or a scratch PostgreSQL database when DATABASE_URL is set (CI runs the suite both ways).
 */
export interface CliDatabase {
  /** The temp folder (the data directory is `db` inside it); removed by `drop`. */
  dir: string;
  /** `--data-dir …` or `--database-url …`, to put before the command. */
  args: string[];
  /** True on PostgreSQL, where several processes may open the database at once. */
  server: boolean;
  /** Opens the same database in-process (for setting up rows). */
  open(): Promise<Store>;
  drop(): Promise<void>;
}

export async function cliDatabase(prefix: string): Promise<CliDatabase> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const scratch = process.env.DATABASE_URL ? await createScratchDatabase(process.env.DATABASE_URL, 'dp_test') : undefined;
  const dataDir = join(dir, 'db');
  return {
    dir,
    args: scratch ? ['--database-url', scratch.url] : ['--data-dir', dataDir],
    server: scratch !== undefined,
    open: () => openStore(scratch ? { databaseUrl: scratch.url } : { dataDir }),
    async drop() {
      await scratch?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CliResult { code: number | null; out: string; err: string }

/** Runs one CLI command to its end (stdin closed at once, or given `stdin`). */
export function runCli(args: string[], stdin?: string): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, out, err }));
    child.stdin.end(stdin ?? '');
  });
}
