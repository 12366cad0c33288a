// `darkpatrol sim` as a user runs it: a child process, reached with real curl through its proxy.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = path.resolve('bin/darkpatrol.js');

function curl(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--max-time', '10', ...args], { timeout: 15_000 }, (error, stdout) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout });
    });
  });
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 150_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
    });
  });
}

interface SimJson {
  seed: string;
  day: number;
  proxy: { host: string; port: number; username: string; password: string; url: string };
  markets: Array<{ slug: string; onion: string; url: string; loginPath: string; state: string; credentials: Array<{ username: string }> }>;
  outDir: string | null;
  outputs: Array<{ path: string; sha256: string }>;
  curlExample: string;
}

/** Reads stdout until `accept` parses something from it, or fails after `ms`. */
function waitFor<T>(child: ChildProcessWithoutNullStreams, accept: (text: string) => T | undefined, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      child.stdout.off('data', onData);
      reject(new Error(`timed out; stdout so far: ${text.slice(0, 500)}`));
    }, ms);
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const value = accept(text);
      if (value !== undefined) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(value);
      }
    };
    child.stdout.on('data', onData);
  });
}

describe('darkpatrol sim (child process)', () => {
  let child: ChildProcessWithoutNullStreams;
  let info: SimJson;
  let out: string;

  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'dp-sim-cli-'));
    child = spawn(process.execPath, [BIN, 'sim', '--seed', '1', '--scale', 'tiny', '--port-base', '0', '--no-faults', '--json', '--out', out]);
    info = await waitFor(child, (text) => {
      try {
        return JSON.parse(text) as SimJson;
      } catch {
        return undefined;
      }
    }, 180_000);
  }, 200_000);

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(out, { recursive: true, force: true });
  });

  it('prints the proxy, every market onion and login, and writes the outputs', () => {
    expect(info.seed).toBe('1');
    expect(info.markets.length).toBe(5);
    for (const m of info.markets) {
      expect(m.url).toBe(`http://${m.onion}/`);
      expect(m.onion).toMatch(/^[a-z2-7]{55}d\.onion$/);
      expect(m.credentials.length).toBeGreaterThanOrEqual(3);
    }
    expect(info.proxy.url).toBe(`socks5h://${info.proxy.username}:${info.proxy.password}@127.0.0.1:${info.proxy.port}`);
    expect(info.curlExample).toContain('--socks5-hostname');
    expect(info.outDir).toBe(out);
    const files = info.outputs.map((f) => f.path);
    expect(files).toContain('truth.json');
    expect(files.some((f) => /^seized\/.+\.sql$/.test(f))).toBe(true);
    expect(files.some((f) => /^telegram\/.+\/result\.json$/.test(f))).toBe(true);
    for (const f of files) expect(existsSync(path.join(out, f))).toBe(true);
  });

  it('serves a market page to curl --socks5-hostname by its onion name; refuses clearnet and IP literals', async () => {
    const market = info.markets.find((m) => m.state === 'up')!;
    const proxy = ['--socks5-hostname', `127.0.0.1:${info.proxy.port}`, '--proxy-user', `${info.proxy.username}:${info.proxy.password}`];
    const page = await curl([...proxy, '-w', '\n%{http_code}', `${market.url.replace(/\/$/, '')}${market.loginPath}`]);
    expect(page.code).toBe(0);
    expect(page.stdout).toMatch(/\n200$/);
    expect(page.stdout).toContain('/captcha/');
    // the printed example works as printed
    const example = info.curlExample.split(' ').slice(1);
    expect((await curl(example)).code).toBe(0);
    expect((await curl([...proxy, 'http://example.com/'])).code).not.toBe(0);
    expect((await curl([...proxy, 'http://127.0.0.1/'])).code).not.toBe(0);
    expect((await curl(['--socks5-hostname', `127.0.0.1:${info.proxy.port}`, '--proxy-user', 'a:wrong', market.url])).code).not.toBe(0);
  });

  it('moves the sim clock from stdin ("day +N") and stops cleanly on SIGINT', async () => {
    const event = waitFor(child, (text) => {
      const line = text.split('\n').find((l) => l.startsWith('{"event":"day"'));
      return line ? (JSON.parse(line) as { day: number; markets: Array<{ slug: string; state: string }> }) : undefined;
    }, 10_000);
    child.stdin.write('day +119\n');
    const moved = await event;
    expect(moved.day).toBe(119);
    expect(moved.markets.map((m) => m.state).sort()).toEqual(['gone', 'seized', 'up', 'up', 'up']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('rejects bad options with a clear message and exit code 2', async () => {
    const [badScale, badPort, badDay] = await Promise.all([
      run(['sim', '--seed', '1', '--scale', 'huge', '--port-base', '0']),
      run(['sim', '--seed', '1', '--port-base', 'abc']),
      run(['sim', '--seed', '1', '--scale', 'tiny', '--port-base', '0', '--day', '5000']),
    ]);
    expect(badScale.code).toBe(2);
    expect(badScale.stderr).toMatch(/unknown scale "huge"/);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port-base must be an integer/);
    expect(badDay.code).toBe(2);
    expect(badDay.stderr).toMatch(/outside the simulated period/);
  }, 180_000);
});
