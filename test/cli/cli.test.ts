import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../../src/cli/index.ts';

function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(allCommands)];
}

/** Runs the CLI in-process, capturing what it prints. */
async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'darkpatrol', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('darkpatrol CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dp-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('describes every command in its --help', () => {
    for (const cmd of allCommands(buildProgram())) {
      if (cmd.name() === 'help') continue;
      expect(cmd.description(), `command ${cmd.name()} has no description`).not.toBe('');
      expect(cmd.helpInformation()).toContain('Usage:');
    }
  });

  it('exits 0 on --help and 2 with a clear message on bad input', async () => {
    expect((await run(['--help'])).code).toBe(0);
    const bad = await run(['--data-dir', join(dir, 'db'), 'agency', 'add', '--code', '!', '--name', 'x', '--country', 'NL']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--code "!" must be/);
    expect(bad.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace for user errors
    const unknown = await run(['no-such-command']);
    expect(unknown.code).toBe(2);
  });

  it('adds and lists agencies, with --json for scripts', { timeout: 300_000 }, async () => {
    const db = ['--data-dir', join(dir, 'db')];
    const added = await run([...db, 'agency', 'add', '--code', 'de-bka', '--name', 'BKA', '--country', 'de', '--json']);
    expect(added.code, added.err).toBe(0);
    expect(JSON.parse(added.out)).toMatchObject({ code: 'DE-BKA', country: 'DE' });
    const dup = await run([...db, 'agency', 'add', '--code', 'DE-BKA', '--name', 'BKA', '--country', 'DE']);
    expect(dup.code).toBe(2);
    expect(dup.err).toContain('already exists');
    const status = await run([...db, 'db', 'status', '--json']);
    expect(status.code, status.err).toBe(0);
    const parsed = JSON.parse(status.out) as { engine: string; counts: Record<string, number>; pending: number[] };
    expect(parsed.engine).toBe('pglite');
    expect(parsed.counts.agencies).toBe(1);
    expect(parsed.pending).toEqual([]);
  });
});
