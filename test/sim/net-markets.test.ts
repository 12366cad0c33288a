// The markets reached the way a crawler reaches them: real curl through the sim's SOCKS5 proxy (socks5h),
// by .onion name, with a cookie jar, through the login form.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWorld, type SimServing } from '../../src/sim/serve.ts';
import { fixtureWorld } from './markets-fixture.ts';
import { parseLoginForm } from './markets-helpers.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['--silent', '--show-error', '--max-time', '10', ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('markets through the SOCKS5 proxy with real curl', () => {
  let sim: SimServing;
  let dir: string;

  beforeAll(async () => {
    sim = await serveWorld(fixtureWorld('curl'), { faults: false, rateLimit: false });
    dir = mkdtempSync(path.join(tmpdir(), 'dp-sim-curl-'));
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in to every market by its onion name and reads a page', async () => {
    const proxy = ['--socks5-hostname', `${sim.proxy.host}:${sim.proxy.port}`, '--proxy-user', `${sim.proxy.username}:${sim.proxy.password}`];
    for (const market of sim.markets) {
      const jar = path.join(dir, `${market.slug}.jar`);
      const form = await curl([...proxy, '-c', jar, '-b', jar, `${market.url.replace(/\/$/, '')}${market.loginPath}`]);
      expect(form.code, form.stderr).toBe(0);
      const { csrf, captchaId } = parseLoginForm(form.stdout, market);
      const answer = sim.peekCaptchaAnswer(market.slug, captchaId)!;
      const f = market.loginFields;
      const cred = market.credentials[1]!;
      const post = await curl([...proxy, '-c', jar, '-b', jar, '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}',
        '--data-urlencode', `${f.username}=${cred.username}`, '--data-urlencode', `${f.password}=${cred.password}`,
        '--data-urlencode', `${f.captcha}=${answer}`, '--data-urlencode', `${f.csrf}=${csrf}`,
        `${market.url.replace(/\/$/, '')}${market.loginPath}`]);
      expect(post.stdout).toBe(`302 ${market.url}`);
      const home = await curl([...proxy, '-b', jar, '-w', '\n%{http_code}', market.url]);
      expect(home.stdout.endsWith('\n200')).toBe(true);
      expect(home.stdout).toContain(market.name);
    }
    // each curl authenticated with the same username: the proxy counted them all under it
    expect(sim.proxyServer.connectionCount(sim.proxy.username!)).toBe(sim.markets.length * 3);
  });

  it('refuses clearnet names, IP literals (even a market port) and a wrong proxy password', async () => {
    const proxy = ['--socks5-hostname', `${sim.proxy.host}:${sim.proxy.port}`, '--proxy-user', `x:${sim.proxy.password}`];
    expect((await curl([...proxy, 'http://example.com/'])).code).not.toBe(0);
    expect((await curl([...proxy, `http://127.0.0.1:${sim.markets[0]!.port}/`])).code).not.toBe(0);
    const wrong = await curl(['--socks5-hostname', `${sim.proxy.host}:${sim.proxy.port}`, '--proxy-user', 'x:wrong', sim.markets[0]!.url]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toBe('');
    // socks5 without "-hostname" resolves names locally: an onion never resolves, as with real Tor
    const local = await curl(['--socks5', `${sim.proxy.host}:${sim.proxy.port}`, '--proxy-user', `x:${sim.proxy.password}`, sim.markets[0]!.url]);
    expect(local.code).not.toBe(0);
    expect(local.stdout).toBe('');
  });

  it('makes a seized market show its banner and an exit-scammed one unreachable, as the clock advances', async () => {
    const proxy = ['--socks5-hostname', `${sim.proxy.host}:${sim.proxy.port}`, '--proxy-user', `x:${sim.proxy.password}`];
    const seized = sim.markets.find((m) => sim.world.markets.find((w) => w.slug === m.slug)!.fate === 'seized')!;
    const scam = sim.markets.find((m) => sim.world.markets.find((w) => w.slug === m.slug)!.fate === 'exit_scam')!;
    sim.setDay(sim.lastDay);
    try {
      const banner = await curl([...proxy, seized.url]);
      expect(banner.stdout).toContain('THIS HIDDEN SITE HAS BEEN SEIZED');
      const gone = await curl([...proxy, scam.url]);
      expect(gone.code).not.toBe(0);
      expect(sim.proxyServer.connectionLog().at(-1)!.reason).toMatch(/offline/);
    } finally {
      sim.setDay(0);
    }
  });
});
