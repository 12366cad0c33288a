// The defences of post-2018 markets in the sim, reached as a client reaches them: real curl through the SOCKS5
// proxy (socks5h, by onion name). Each defence is switched on per market; the others stay as they were.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDefences } from '../../src/sim/index.ts';
import { serveWorld, type ServedMarket, type SimServing } from '../../src/sim/serve.ts';
import { fixtureWorld } from './markets-fixture.ts';

process.env.DARKPATROL_SIM_TEST_HOOKS = '1';

interface CurlResult { code: number; status: number; location: string; body: string }

describe('market defences', () => {
  let sim: SimServing;
  let dir: string;
  let front: ServedMarket; // anti-DDoS front only
  let full: ServedMarket; // two-factor, mirrors, clones, forced logouts
  let plain: ServedMarket;

  /** curl through the proxy with a cookie jar; the SOCKS username picks the circuit. */
  function curl(jar: string, url: string, o: { user?: string; form?: Record<string, string> } = {}): Promise<CurlResult> {
    const args = ['--silent', '--max-time', '10', '--socks5-hostname', `${sim.proxy.host}:${sim.proxy.port}`,
      '--proxy-user', `${o.user ?? 'alice'}:${sim.proxy.password}`, '-c', path.join(dir, jar), '-b', path.join(dir, jar),
      '-w', '\n%{http_code} %{redirect_url}'];
    for (const [k, v] of Object.entries(o.form ?? {})) args.push('--data-urlencode', `${k}=${v}`);
    args.push(url);
    return new Promise((resolve) => {
      execFile('curl', args, { timeout: 15_000 }, (error, stdout) => {
        const i = stdout.lastIndexOf('\n');
        const [status, location] = stdout.slice(i + 1).split(' ');
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, status: Number(status), location: location ?? '', body: stdout.slice(0, i) });
      });
    });
  }

  /** Waits out the queue and solves the front's CAPTCHA with the test hook (the human). */
  async function passFront(m: ServedMarket, jar: string, user = 'alice'): Promise<void> {
    const base = m.url.replace(/\/$/, '');
    let page = await curl(jar, `${base}/`, { user });
    for (let i = 0; i < 10 && /http-equiv="refresh"/.test(page.body); i++) {
      const wait = Number(/content="(\d+)"/.exec(page.body)?.[1] ?? '1');
      await new Promise((r) => setTimeout(r, wait * 1000));
      page = await curl(jar, `${base}/`, { user });
    }
    const id = /name="ticket" value="([0-9a-f]+)"/.exec(page.body)?.[1];
    if (!id) throw new Error(`no front CAPTCHA: ${page.body.slice(0, 300)}`);
    const posted = await curl(jar, `${base}/ddos/verify`, { user, form: { ticket: id, return: '/', captcha: sim.peekCaptchaAnswer(m.slug, id) ?? '' } });
    expect(posted.status).toBe(302);
  }

  beforeAll(async () => {
    const world = fixtureWorld('defences');
    const [a, b] = [world.markets[0]!.slug, world.markets[2]!.slug];
    sim = await serveWorld(world, {
      faults: false,
      rateLimit: false,
      defences: {
        [a]: { antiDdos: { queueSeconds: 1, accessTtlMs: 2500 } },
        [b]: { twoFactor: true, mirrors: { live: 2, rotateEveryDays: 10 }, phishingClones: { count: 2 }, forcedLogout: { everyRequests: 6 } },
      },
    });
    [front, full, plain] = [sim.markets[0]!, sim.markets[2]!, sim.markets[4]!];
    dir = mkdtempSync(path.join(tmpdir(), 'dp-sim-defences-'));
  });
  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are off unless switched on, and seeded: the same market always gets the same parameters', async () => {
    const m = sim.world.markets[0]!;
    expect(resolveDefences(m, undefined)).toBeUndefined();
    expect(resolveDefences(m, {})).toBeUndefined();
    expect(resolveDefences(m, { antiDdos: true })).toEqual(resolveDefences(m, { antiDdos: true }));
    expect(resolveDefences(m, { antiDdos: true, mirrors: true })?.antiDdos).toEqual(resolveDefences(m, { antiDdos: true })?.antiDdos);
    expect(plain.defences).toBeUndefined();
    expect(plain.credentials[0]!.pgpPrivateKey).toBeUndefined();
    await expect(serveWorld(sim.world, { defences: { nosuchmarket: { antiDdos: true } } })).rejects.toThrow(/unknown market/);
  });

  it('anti-DDoS front: a queue page that refreshes itself, then a CAPTCHA, then an access cookie', async () => {
    const base = front.url.replace(/\/$/, '');
    const queue = await curl('q', `${base}/login`);
    expect(queue.status).toBe(200);
    expect(queue.body).toMatch(/<meta http-equiv="refresh" content="1">/);
    expect(queue.body).toContain('queue');
    expect(queue.body).not.toContain('type="password"');
    await new Promise((r) => setTimeout(r, 1100));
    const challenge = await curl('q', `${base}/login`);
    const id = /name="ticket" value="([0-9a-f]+)"/.exec(challenge.body)?.[1] ?? '';
    expect(challenge.body).toContain(`src="/ddos/captcha/${id}.png"`);
    const image = await curl('q', `${base}/ddos/captcha/${id}.png`);
    expect(image.status).toBe(200);
    const wrong = await curl('q', `${base}/ddos/verify`, { form: { ticket: id, return: '/login', captcha: 'WRONG1' } });
    expect(wrong.status).toBe(403);
    const id2 = /name="ticket" value="([0-9a-f]+)"/.exec(wrong.body)?.[1] ?? '';
    const ok = await curl('q', `${base}/ddos/verify`, { form: { ticket: id2, return: '/login', captcha: sim.peekCaptchaAnswer(front.slug, id2) ?? '' } });
    expect(ok).toMatchObject({ status: 302, location: `${base}/login` });
    const login = await curl('q', `${base}/login`);
    expect(login.body).toContain('type="password"');
  });

  it('binds the access cookie to the circuit of the SOCKS credentials, and lets it expire', async () => {
    await passFront(front, 'bound', 'bob');
    const base = front.url.replace(/\/$/, '');
    expect((await curl('bound', `${base}/login`, { user: 'bob' })).body).toContain('type="password"');
    // the same cookie jar on another circuit (other SOCKS username) is back in the queue
    expect((await curl('bound', `${base}/login`, { user: 'mallory' })).body).toContain('http-equiv="refresh"');
    await new Promise((r) => setTimeout(r, 2600));
    expect((await curl('bound', `${base}/login`, { user: 'bob' })).body).toContain('http-equiv="refresh"');
  });

  it('two-factor: the code is encrypted to the account key; decrypting it with the account secret key logs in', async () => {
    const base = full.url.replace(/\/$/, '');
    const cred = full.credentials[0]!;
    const form = await curl('tf', `${base}${full.loginPath}`);
    const csrf = new RegExp(`name="${full.loginFields.csrf}" value="([^"]+)"`).exec(form.body)?.[1] ?? '';
    const captcha = /src="\/captcha\/([0-9a-f]+)\.png"/.exec(form.body)?.[1] ?? '';
    const f = full.loginFields;
    const post = await curl('tf', `${base}${full.loginPath}`, { form: { [f.username]: cred.username, [f.password]: cred.password, [f.captcha]: sim.peekCaptchaAnswer(full.slug, captcha) ?? '', [f.csrf]: csrf } });
    const tf = full.defences!.twoFactor!;
    expect(post).toMatchObject({ status: 302, location: `${base}${tf.path}` });
    const challenge = await curl('tf', `${base}${tf.path}`);
    const armored = /-----BEGIN PGP MESSAGE-----[\s\S]+?-----END PGP MESSAGE-----/.exec(challenge.body)?.[0] ?? '';
    const key = await openpgp.readPrivateKey({ armoredKey: cred.pgpPrivateKey! });
    expect(key.getFingerprint().toUpperCase()).toBe(cred.pgpFingerprint);
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys: key });
    const code = /code: ([A-Z0-9]+)/.exec(String(data))?.[1] ?? '';
    expect(code).toHaveLength(10);
    // not logged in before the code
    expect((await curl('tf', `${base}/`)).status).toBe(302);
    const csrf2 = new RegExp(`name="${f.csrf}" value="([^"]+)"`).exec(challenge.body)?.[1] ?? '';
    const bad = await curl('tf', `${base}${tf.path}`, { form: { [tf.field]: 'AAAAAAAAAA', [f.csrf]: csrf2 } });
    expect(bad.status).toBe(403);
    const good = await curl('tf', `${base}${tf.path}`, { form: { [tf.field]: code.toLowerCase(), [f.csrf]: csrf2 } });
    expect(good).toMatchObject({ status: 302, location: `${base}/` });
    expect((await curl('tf', `${base}/`)).status).toBe(200);
    expect(sim.server(full.slug).loginEvents().map((e) => e.reason)).toEqual(['two-factor-pending', 'two-factor', 'ok']);
    // forced logout: after a few authenticated requests the market ends the session on its own
    let status = 200;
    for (let i = 0; i < 12 && status === 200; i++) status = (await curl('tf', `${base}/`)).status;
    expect(status).toBe(302);
    expect(sim.server(full.slug).forcedLogouts).toBe(1);
  });

  it('publishes a mirror list signed with the market key; onions rotate with the sim day', async () => {
    const d = full.defences!;
    const key = await openpgp.readKey({ armoredKey: d.signingKey });
    const listOf = async (onion: string) => {
      const page = await curl('m', `http://${onion}${d.mirrorsPath}`);
      const block = /-----BEGIN PGP SIGNED MESSAGE-----[\s\S]+?-----END PGP SIGNATURE-----/.exec(page.body.replace(/&quot;/g, '"'))?.[0] ?? '';
      const message = await openpgp.readCleartextMessage({ cleartextMessage: block });
      const v = await openpgp.verify({ message, verificationKeys: key, expectSigned: true });
      return [...String(v.data).matchAll(/http:\/\/([a-z2-7]{56}\.onion)/g)].map((x) => x[1]);
    };
    const day0 = sim.liveOnions(full.slug);
    expect(day0).toEqual(d.onionsAtStart);
    expect(await listOf(day0[0]!)).toEqual(day0);
    sim.setDay(25); // two rotations later: the first two onions are gone, two new ones are listed
    try {
      const later = sim.liveOnions(full.slug);
      expect(later.some((o) => day0.includes(o))).toBe(false);
      expect(await listOf(later[1]!)).toEqual(later);
      const dead = await curl('m', `http://${day0[0]}/`);
      expect(dead.code).not.toBe(0); // the proxy answers host unreachable, like Tor for a vanished onion
    } finally {
      sim.setDay(0);
    }
  });

  it('phishing clones serve the market through a relay, rewrite its onions, break or forge its list, and keep credentials', async () => {
    const d = full.defences!;
    expect(d.phishingClones.map((c) => c.kind).sort()).toEqual(['resign', 'rewrite']);
    for (const c of d.phishingClones) {
      const login = await curl(`clone-${c.kind}`, `http://${c.onion}${full.loginPath}`);
      expect(login.status).toBe(200);
      expect(login.body).toContain(full.name);
      expect(login.body).toContain(c.onion);
      expect(login.body).not.toContain(sim.liveOnions(full.slug)[0]);
      expect(login.body).toContain('You have been phished'); // the warning the market hides with CSS on its real onion
      const mirrors = await curl(`clone-${c.kind}`, `http://${c.onion}${d.mirrorsPath}`);
      const block = /-----BEGIN PGP SIGNED MESSAGE-----[\s\S]+?-----END PGP SIGNATURE-----/.exec(mirrors.body)?.[0] ?? '';
      expect(block).toContain(c.onion);
      const v = await openpgp.verify({ message: await openpgp.readCleartextMessage({ cleartextMessage: block }), verificationKeys: await openpgp.readKey({ armoredKey: d.signingKey }) });
      await expect(v.signatures[0]!.verified).rejects.toThrow();
    }
    const clone = sim.clones(full.slug)[0]!;
    // the session cookie curl got with the clone's login page came back with the next request: stolen too
    expect(clone.captured().map((s) => s.kind)).toEqual(['cookie']);
    const f = full.loginFields;
    await curl(`clone-${clone.kind}`, `http://${clone.onion}${full.loginPath}`, { form: { [f.username]: 'victim', [f.password]: 'hunter2', [f.captcha]: 'x', [f.csrf]: 'y' } });
    const stolen = clone.captured();
    expect(stolen.map((s) => s.kind)).toEqual(['cookie', 'cookie', 'password']);
    expect(stolen[2]).toMatchObject({ username: 'victim', secret: 'hunter2' });
  });
});
