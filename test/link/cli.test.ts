// `darkpatrol eval link` and `darkpatrol link …` as a user runs them: child processes, a throwaway data directory.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/darkpatrol.js');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 280_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('darkpatrol eval link / link', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-link-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('evaluates a tiny world and prints P/R/F1 by alias kind as JSON', async () => {
    const r = await run(['eval', 'link', '--seed', 'cli-link-1', '--scale', 'tiny', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { evaluation: { pairwise: { precision: number }; byKind: Array<{ group: string }> }; accounts: number };
    expect(out.accounts).toBeGreaterThan(0);
    expect(out.evaluation.pairwise.precision).toBeGreaterThan(0.9);
    expect(out.evaluation.byKind.map((k) => k.group)).toEqual(expect.arrayContaining(['style-only', 'hard (observed in store)']));
  }, 300_000);

  it('refuses the training seed, a bad scale and a missing vendor with exit code 2', async () => {
    const bad = await run(['eval', 'link', '--seed', 'x', '--scale', 'huge']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scale must be one of/);
    const training = await run(['eval', 'link', '--seed', 'train-m1', '--scale', 'tiny']);
    expect(training.code).toBe(2);
    expect(training.stderr).toMatch(/training seed/);
    const missing = await run(['--data-dir', dir, 'link', 'show', '12345']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no vendor 12345/);
  }, 300_000);
});
