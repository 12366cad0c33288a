import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

// GET /api/captchas?job=: the Collection screen shows a paused crawl's own CAPTCHA in its row. The job queue's crawl
// job names its crawl (crawl_jobs) in its checkpoint; a parked CAPTCHA names the crawl that parked it. Runs on the
// server's own queue (crawl_captchas), not an in-memory one.
let store: TestStore;
let app: App;
let s: Seeded;
let nl: SessionHeaders;
let de: SessionHeaders;
const job = { a: randomUUID(), b: randomUUID(), bka: randomUUID() };
const captcha = {} as Record<'a' | 'b' | 'none', string>;

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
  const market = s.rows['NL-POL'].AMBER.market;
  for (const id of ['crawl-a', 'crawl-b']) await store.db.insertInto('crawl_jobs').values({ id, market_id: market }).execute();
  const queueJob = (id: string, agency: number, crawlJobId: string) =>
    store.db.insertInto('jobs').values({ id, kind: 'crawl', agency_id: agency, requested_by: 'user:test', payload: JSON.stringify({ market }), state: 'paused', checkpoint: JSON.stringify({ crawlJobId }) }).execute();
  await queueJob(job.a, s.agencyIds['NL-POL'], 'crawl-a');
  await queueJob(job.b, s.agencyIds['NL-POL'], 'crawl-b');
  await queueJob(job.bka, s.agencyIds['DE-BKA'], 'crawl-a'); // another agency's job naming NL's crawl
  const img = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  for (const [k, crawl] of [['a', 'crawl-a'], ['b', 'crawl-b'], ['none', null]] as const) {
    const r = await store.db.insertInto('crawl_captchas').values({ market_id: market, job_id: crawl, image: img, image_type: 'image/png', image_sha256: createHash('sha256').update(img).digest('hex'), form: '{}' }).returning('id').executeTakeFirstOrThrow();
    captcha[k] = String(r.id);
  }
  nl = await loginCookie(app, 'analyst-nl-pol');
  de = await loginCookie(app, 'analyst-de-bka');
});
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const ids = async (query: string, headers: SessionHeaders) => {
  const r = await app.inject({ method: 'GET', url: `/api/captchas${query}`, headers });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { items: { id: string }[] }).items.map((x) => x.id).sort();
};

describe('GET /api/captchas?job=', () => {
  it("lists only the CAPTCHAs the job's crawl parked; without it, the agency's whole queue", async () => {
    expect(await ids(`?job=${job.a}`, nl)).toEqual([captcha.a]);
    expect(await ids(`?job=${job.b}`, nl)).toEqual([captcha.b]);
    expect(await ids('', nl)).toEqual([captcha.a, captcha.b, captcha.none].sort());
    expect(await ids(`?job=${randomUUID()}`, nl)).toEqual([]);
  });

  it("gives nothing of another agency's crawl, whichever job names it", async () => {
    expect(await ids(`?job=${job.a}`, de)).toEqual([]);
    expect(await ids(`?job=${job.bka}`, de)).toEqual([]);
    expect(await ids(`?job=${job.bka}`, nl)).toEqual([]);
  });

  it('refuses a job id that is not a job id', async () => {
    const r = await app.inject({ method: 'GET', url: "/api/captchas?job=x'%20or%201=1", headers: nl });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ error: 'validation_failed' });
  });

  it('an answered CAPTCHA leaves the pending list of its job; a second answer is refused with 409', async () => {
    const solve = (answer: string) => app.inject({ method: 'POST', url: `/api/captchas/${captcha.a}/solve`, headers: nl, payload: { answer } });
    expect((await solve('k7x2p')).statusCode).toBe(200);
    expect(await ids(`?job=${job.a}`, nl)).toEqual([]);
    expect(await ids(`?job=${job.a}&status=solved`, nl)).toEqual([captcha.a]);
    const again = await solve('again');
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ message: `captcha ${captcha.a} is no longer pending` });
  });
});
