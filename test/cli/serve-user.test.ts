import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cliDatabase, ROOT, runCli, type CliDatabase } from '../helpers/cli.ts';

/**
 * `darkpatrol user …` and `darkpatrol serve` as an operator runs them: the real CLI in child processes, on a
 * throwaway data directory (or a scratch PostgreSQL database when DATABASE_URL is set), then a login over HTTP.
 */
const PASSWORD = 'correct horse battery';

let cdb: CliDatabase;

beforeAll(async () => {
  cdb = await cliDatabase('dp-cli-serve-');
}, 120_000);
afterAll(async () => {
  await cdb?.drop();
});

const cli = (args: string[], stdin?: string) => runCli([...cdb.args, ...args], stdin);

const login = (url: string, username: string, password: string) =>
  fetch(`${url}api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });

describe('darkpatrol user … and serve (real processes)', () => {
  let bobPassword = '';

  it('creates an agency and users; refuses bad input with exit 2 and a clear message', { timeout: 600_000 }, async () => {
    const agency = await cli(['agency', 'add', '--code', 'NL-POL', '--name', 'Dutch police', '--country', 'NL', '--json']);
    expect(agency.code, agency.err).toBe(0);

    const anna = await cli(['user', 'add', '--agency', 'nl-pol', '--username', 'anna', '--role', 'analyst', '--password-stdin', '--display-name', 'Anna', '--json'], `${PASSWORD}\n`);
    expect(anna.code, anna.err).toBe(0);
    const a = JSON.parse(anna.out) as Record<string, unknown>;
    expect(a).toMatchObject({ username: 'anna', role: 'analyst', agency: 'NL-POL' });
    expect(a).not.toHaveProperty('password'); // the operator typed it; it is never echoed

    const bob = await cli(['user', 'add', '--agency', 'NL-POL', '--username', 'bob', '--role', 'supervisor', '--json']);
    expect(bob.code, bob.err).toBe(0);
    bobPassword = (JSON.parse(bob.out) as { password: string }).password;
    expect(bobPassword.length).toBeGreaterThanOrEqual(16); // generated, shown once

    const badRole = await cli(['user', 'add', '--agency', 'NL-POL', '--username', 'carl', '--role', 'wizard']);
    expect(badRole.code).toBe(2);
    expect(badRole.err).toMatch(/--role "wizard" must be one of/);
    expect(badRole.err).not.toMatch(/at .*\.ts:\d+/);

    const list = await cli(['user', 'list', '--json']);
    expect(list.code, list.err).toBe(0);
    const users = JSON.parse(list.out) as { username: string; role: string; code: string }[];
    expect(users.map((u) => [u.username, u.role, u.code])).toEqual([['anna', 'analyst', 'NL-POL'], ['bob', 'supervisor', 'NL-POL']]);
  });

  it('serves on 127.0.0.1 on a free port; users log in over HTTP under a 30/min login limit and login throttling; logs JSON lines with request ids; SIGTERM stops it cleanly; user unlock lifts a delay', { timeout: 600_000 }, async () => {
    let requestId: string | null = null;
    let err = '';
    /** Starts `serve` and waits for its first line (the JSON with the URL). */
    const startServe = async (): Promise<{ child: ChildProcess; exited: Promise<number | null>; url: string; docs: string }> => {
      const child = spawn(process.execPath, [BIN, ...cdb.args, 'serve', '--host', '127.0.0.1', '--port', '0', '--no-web', '--json'], {
        cwd: ROOT,
        env: { ...process.env, DARKPATROL_LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      const first = await new Promise<string>((done, fail) => {
        createInterface({ input: child.stdout! }).once('line', done);
        void exited.then((code) => fail(new Error(`serve exited ${code} before listening: ${err}`)));
      });
      return { child, exited, ...(JSON.parse(first) as { url: string; docs: string }) };
    };
    let serve = await startServe();
    try {
      const { url, docs } = serve;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(new URL(url).port).not.toBe('8080');
      expect(docs).toBe(`${url}docs`);

      const ok = await login(url, 'anna', PASSWORD);
      expect(ok.status).toBe(200);
      // The login route's own rate limit is on in serve (it was 1e9 before): 30 a minute per client.
      expect(ok.headers.get('x-ratelimit-limit')).toBe('30');
      requestId = ok.headers.get('x-request-id');
      expect(requestId).toMatch(/^[0-9a-f]{12}$/);
      const cookie = ok.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/dp_session=.+HttpOnly/i);
      const me = await fetch(`${url}api/auth/me`, { headers: { cookie: cookie.split(';')[0]! } });
      expect(await me.json()).toMatchObject({ user: { username: 'anna', role: 'analyst', agencyCode: 'NL-POL' } });
      expect((await login(url, 'bob', bobPassword)).status).toBe(200);
      expect((await fetch(`${url}docs`)).status).toBe(200);

      // Wrong passwords from this address: three free, then a delay for anna from here (a 429, not a lockout).
      // The delay starts at 1 s and doubles per failure, so on a slow machine a request may arrive after it ran
      // out: keep failing until one is refused (the doubling outruns any latency within a few tries).
      const statuses: number[] = [];
      let refused: Response | undefined;
      let refusedSent = 0;
      for (let i = 0; i < 10 && !refused; i++) {
        refusedSent = Date.now();
        const r = await login(url, 'anna', 'wrong password!');
        statuses.push(r.status);
        if (r.status === 429) refused = r;
      }
      expect(statuses.slice(0, 4)).toEqual([401, 401, 401, 401]);
      expect(statuses.at(-1)).toBe(429);
      const retryAfter = Number(refused?.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      const body = (await refused?.json()) as { error: string; details: { retryAfterMs: number } };
      expect(body).toMatchObject({ error: 'throttled' });
      expect(retryAfter).toBe(Math.max(1, Math.ceil(body.details.retryAfterMs / 1000)));
      // While the delay runs even the right password is refused before it is looked at. The delay ends no earlier
      // than retryAfterMs after the refused request was sent (the header is rounded up, so it cannot bound this),
      // and the server saw the next request no later than its answer arrived.
      const right = await login(url, 'anna', PASSWORD);
      if (Date.now() < refusedSent + body.details.retryAfterMs) expect(right.status).toBe(429);
      if (!cdb.server) {
        // The embedded database serves one process at a time: `user unlock` beside a running serve is refused
        // with a clear message (an operator on the embedded engine stops serve, or uses Administration).
        const busy = await cli(['user', 'unlock', '--username', 'anna']);
        expect(busy.code).not.toBe(0);
        expect(busy.err).toMatch(/in use by another DarkPatrol process/);
        expect(busy.err).not.toMatch(/\n\s+at /);
        serve.child.kill('SIGTERM');
        expect(await serve.exited, err).toBe(0);
      }
      // The delay is kept in the database, so it outlives a restart until someone lifts it.
      const unlock = await cli(['user', 'unlock', '--username', 'anna']);
      expect(unlock.code, unlock.err).toBe(0);
      expect(unlock.out).toContain('unlocked anna');
      if (!cdb.server) serve = await startServe();
      expect((await login(serve.url, 'anna', PASSWORD)).status).toBe(200);
    } finally {
      serve.child.kill('SIGTERM');
    }
    expect(await serve.exited, err).toBe(0);
    // Structured logs on stderr: JSON lines carrying the request id, never the password.
    const lines = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { reqId?: string; req?: { path?: string } });
    expect(lines.some((l) => l.reqId === requestId && l.req?.path === '/api/auth/login')).toBe(true);
    expect(err).not.toContain(PASSWORD);
    expect(err).not.toContain('wrong password!');
    const nobody = await cli(['user', 'unlock', '--username', 'nobody']);
    expect(nobody.code).toBe(2);
    expect(nobody.err).toContain('no user nobody');
  });

  it('serve on a busy port says so in one line (no stack trace) and exits 2', { timeout: 300_000 }, async () => {
    const busy = createServer();
    await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', ok));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await cli(['serve', '--host', '127.0.0.1', '--port', String(port), '--no-web', '--jobs', 'off', '--log-level', 'silent']);
      expect(r.code, r.err).toBe(2);
      const lines = r.err.trim().split('\n').filter((l) => !l.startsWith('{'));
      expect(lines).toEqual([expect.stringContaining(`port ${port} on 127.0.0.1 is already in use`)]);
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      busy.close();
    }
  });
});
