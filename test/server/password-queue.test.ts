import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServer,
  DEFAULT_HASH_LIMIT,
  hashPassword,
  login,
  PasswordHashBusyError,
  passwordHashStats,
  setPasswordHashLimit,
  verifyPassword,
  withPasswordHashSlot,
  type App,
} from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { PASSWORD, seed, TEST_SCRYPT, type Seeded } from './seed.ts';

let store: TestStore;
let app: App;
let s: Seeded;

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
});
afterAll(async () => {
  setPasswordHashLimit();
  await app?.close();
  await store?.close();
});
afterEach(() => setPasswordHashLimit());

/** Holds one hash slot until the returned function is called (what a long scrypt does, without the timing). */
function holdSlot(): { release: () => void; done: Promise<void> } {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  return { release, done: withPasswordHashSlot(() => held) };
}

describe('password hash queue', () => {
  it('leaves a core free by default and bounds the queue', () => {
    expect(DEFAULT_HASH_LIMIT.concurrent).toBeGreaterThanOrEqual(1);
    expect(DEFAULT_HASH_LIMIT.queued).toBeGreaterThan(0);
    expect(Number.isFinite(DEFAULT_HASH_LIMIT.queued)).toBe(true);
  });

  it('runs at most `concurrent` hashes at once, and every queued one completes in arrival order', async () => {
    setPasswordHashLimit({ concurrent: 2, queued: 100 });
    const order: number[] = [];
    const hashes = await Promise.all(Array.from({ length: 12 }, (_, i) => hashPassword(`${PASSWORD} ${i}`, TEST_SCRYPT).then((h) => (order.push(i), h))));
    const st = passwordHashStats();
    expect(st.started).toBe(12);
    expect(st.peakRunning).toBe(2);
    expect(st.peakWaiting).toBe(10);
    expect(st.refused).toBe(0);
    expect([st.running, st.waiting]).toEqual([0, 0]);
    expect(await Promise.all(hashes.map((h, i) => verifyPassword(`${PASSWORD} ${i}`, h)))).toEqual(hashes.map(() => true));

    setPasswordHashLimit({ concurrent: 1, queued: 100 });
    order.length = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => hashPassword(`${PASSWORD} ${i}`, TEST_SCRYPT).then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(passwordHashStats().peakRunning).toBe(1);
  });

  it('refuses past `queued` waiting hashes with a clear error and a retry delay, and still finishes the others', async () => {
    setPasswordHashLimit({ concurrent: 1, queued: 2 });
    const stored = await hashPassword(PASSWORD, TEST_SCRYPT);
    const held = holdSlot();
    const attempts = Array.from({ length: 5 }, () => verifyPassword(PASSWORD, stored).then((ok) => ok, (e: unknown) => e));
    await new Promise((r) => setImmediate(r));
    expect(passwordHashStats()).toMatchObject({ running: 1, waiting: 2, refused: 3 });
    held.release();
    await held.done;
    const results = await Promise.all(attempts);
    expect(results.slice(0, 2)).toEqual([true, true]);
    for (const e of results.slice(2)) {
      expect(e).toBeInstanceOf(PasswordHashBusyError);
      expect((e as PasswordHashBusyError).message).toBe('too many password checks are waiting; try again shortly');
      expect((e as PasswordHashBusyError).retryAfterMs).toBeGreaterThan(0);
    }
    expect([passwordHashStats().running, passwordHashStats().waiting]).toEqual([0, 0]);
  });

  it('lets a new password (user creation) wait however full the queue is: only password checks are refused', async () => {
    setPasswordHashLimit({ concurrent: 1, queued: 1 });
    const stored = await hashPassword(PASSWORD, TEST_SCRYPT);
    const held = holdSlot();
    const creations = Array.from({ length: 4 }, (_, i) => hashPassword(`${PASSWORD} new ${i}`, TEST_SCRYPT));
    await new Promise((r) => setImmediate(r));
    expect(passwordHashStats()).toMatchObject({ running: 1, waiting: 4, refused: 0 });
    await expect(verifyPassword(PASSWORD, stored)).rejects.toBeInstanceOf(PasswordHashBusyError);
    held.release();
    await held.done;
    const hashes = await Promise.all(creations);
    for (const [i, h] of hashes.entries()) expect(await verifyPassword(`${PASSWORD} new ${i}`, h)).toBe(true);
    expect(passwordHashStats().refused).toBe(1);
  });

  it('sends unknown users, wrong passwords and right ones through the same queue, one hash each', async () => {
    setPasswordHashLimit({ concurrent: 1, queued: 100 });
    const known = s.username('NL-POL', 'analyst');
    const started = () => passwordHashStats().started;
    const cases: Array<[string, string, string]> = [
      [known, PASSWORD, 'ok'],
      [known, 'wrong password here', 'wrong-password'],
      ['nobody-by-this-name', PASSWORD, 'unknown-user'],
    ];
    for (const [username, password, expected] of cases) {
      const before = started();
      const r = await login(store.db, username, password, { ip: '10.7.0.1' });
      expect(r.ok ? 'ok' : r.reason === 'invalid' ? r.why : r.reason).toBe(expected);
      expect(started() - before).toBe(1);
    }
    // While the queue is full, every one of them is refused the same way, before any hash, and counts as no failure.
    setPasswordHashLimit({ concurrent: 1, queued: 0 });
    const held = holdSlot();
    const refused = [];
    for (const [username, password] of cases) refused.push(await login(store.db, username, password, { ip: '10.7.0.2' }));
    held.release();
    await held.done;
    for (const r of refused) expect(r).toMatchObject({ ok: false, reason: 'busy' });
    expect(passwordHashStats().refused).toBe(3);
    const throttled = await store.db.selectFrom('login_throttle').select('key').where('key', 'like', '%10.7.0.2%').execute();
    expect(throttled).toEqual([]);
  });

  it('answers a login refused by a full queue with 503 login_busy and Retry-After, and audits it', async () => {
    setPasswordHashLimit({ concurrent: 1, queued: 0 });
    const held = holdSlot();
    const r = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: s.username('DE-BKA', 'analyst'), password: PASSWORD } });
    held.release();
    await held.done;
    expect(r.statusCode).toBe(503);
    expect(r.json().error).toBe('login_busy');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const audit = await store.db.selectFrom('audit_log').select(['action', 'detail']).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(audit.action).toBe('auth.login.busy');
    // The queue drained: the same login goes through.
    const ok = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: s.username('DE-BKA', 'analyst'), password: PASSWORD } });
    expect(ok.statusCode).toBe(200);
  });
});
