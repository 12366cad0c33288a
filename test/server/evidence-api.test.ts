import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { recordCaptures } from './evidence-seed.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

// Evidence and court export per case through the API: only the case's agency reaches it, captures are attached
// with their actor, verification re-reads the case's WARC records against the hash chain (and finds an edit),
// the custody report shows captured text as text, and every step is in the audit log.
let store: TestStore;
let app: App;
let s: Seeded;
let captures: number[];
let caseId: number;
const NL = 'investigator-nl-pol';
const DE = 'investigator-de-bka';
const h = new Map<string, SessionHeaders>();

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-ev-api-'));
  captures = await recordCaptures(store.db, dir, s.agencyIds['NL-POL'], s.rows['NL-POL'].AMBER.market, 3);
  app = await buildServer({ store, webRoot: false, rateLimit: false, warcRoot: dir });
  await app.ready();
  for (const u of [NL, DE, 'analyst-nl-pol']) h.set(u, await loginCookie(app, u));
  const r = await app.inject({ method: 'POST', url: '/api/deconflict/cases', headers: h.get(NL), payload: { reference: 'NL-EV-1', title: 'Evidence case', contactPoint: 'desk@politie.invalid' } });
  caseId = r.json().id;
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

const call = (user: string, method: 'GET' | 'POST', url: string, payload?: Record<string, unknown>) => app.inject({ method, url: `/api${url}`, headers: h.get(user), ...(payload === undefined ? {} : { payload }) });

describe('case evidence API', () => {
  it('an empty case lists nothing and has nothing to verify or export', async () => {
    const list = await call(NL, 'GET', `/cases/${caseId}/evidence`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 0, captures: [], verification: null });
    expect((await call(NL, 'POST', `/cases/${caseId}/evidence/verify`)).statusCode).toBe(422);
    expect((await call(NL, 'POST', `/cases/${caseId}/evidence/export`)).statusCode).toBe(422);
  });

  it('attaches own captures with the actor; other agencies neither see the case nor attach to it', async () => {
    const foreignCapture = s.rows['DE-BKA'].GREEN.capture;
    const r = await call(NL, 'POST', `/cases/${caseId}/evidence`, { captureIds: [captures[0], captures[1], foreignCapture] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ attached: [captures[0], captures[1]], alreadyAttached: [], notFound: [foreignCapture] });
    expect((await call(NL, 'POST', `/cases/${caseId}/evidence`, { captureIds: [captures[0]] })).json().alreadyAttached).toEqual([captures[0]]);
    for (const [m, u] of [['GET', ''], ['POST', '/verify'], ['POST', '/export'], ['GET', '/report']] as const) {
      const other = await call(DE, m, `/cases/${caseId}/evidence${u}`);
      expect(other.statusCode, `${m} ${u}`).toBe(404);
      expect(other.body).not.toContain('NL-EV-1');
    }
    expect((await call(DE, 'POST', `/cases/${caseId}/evidence`, { captureIds: [captures[2]] })).statusCode).toBe(404);
    expect((await call('analyst-nl-pol', 'GET', `/cases/${caseId}/evidence`)).statusCode).toBe(403);
    const list = (await call(NL, 'GET', `/cases/${caseId}/evidence`)).json();
    expect(list.total).toBe(2);
    expect(list.captures.map((c: { id: number }) => c.id)).toEqual([captures[0], captures[1]]);
    const first = list.captures[0];
    expect(first).toMatchObject({ via: 'attached', attachedBy: expect.stringContaining(NL), verification: 'unverified' });
    // request + response (+ metadata) records, each a link of the chain
    expect(first.entries.length).toBeGreaterThanOrEqual(2);
    expect(first.entries.some((e: { sealed: boolean; recordType: string }) => e.sealed && e.recordType === 'response')).toBe(true);
    expect(first.entries[1].prevHash).toBe(first.entries[0].hash);
  });

  it('verifies the case, then finds a capture edited after it was sealed', async () => {
    const ok = await call(NL, 'POST', `/cases/${caseId}/evidence/verify`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, chainOk: true, failedCaptures: [], problems: [] });
    expect(ok.json().records).toBeGreaterThanOrEqual(4);
    const list = (await call(NL, 'GET', `/cases/${caseId}/evidence`)).json();
    expect(list.verification).toMatchObject({ ok: true, by: expect.stringContaining(NL) });
    expect(list.captures.map((c: { verification: string }) => c.verification)).toEqual(['verified', 'verified']);

    await sql`update captures set url = 'http://elsewhere.onion/' where id = ${captures[1]}`.execute(store.db);
    const bad = (await call(NL, 'POST', `/cases/${caseId}/evidence/verify`)).json();
    expect(bad.ok).toBe(false);
    expect(bad.chainOk).toBe(true);
    expect(bad.failedCaptures).toEqual([captures[1]]);
    expect(bad.problems).toEqual([expect.objectContaining({ kind: 'capture-edited', captureId: captures[1], detail: expect.stringContaining('url: sealed') })]);
    const after = (await call(NL, 'GET', `/cases/${caseId}/evidence`)).json();
    expect(after.captures.map((c: { verification: string }) => c.verification)).toEqual(['verified', 'failed']);
    await sql`update captures set url = ${(after.captures[1].entries as Array<{ targetUri: string }>).find((e) => e.targetUri)!.targetUri} where id = ${captures[1]}`.execute(store.db);
  });

  it('the custody report is inert HTML with the hashes, the actors and the captured URL as text', async () => {
    const r = await call(NL, 'GET', `/cases/${caseId}/evidence/report`);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toMatch(/default-src 'none'.*sandbox/);
    expect(r.body).not.toMatch(/<script|<img|<iframe/i);
    expect(r.body).toContain('&#34;&#62;&#60;script&#62;');
    const head = (await store.db.selectFrom('evidence_log').select('hash').where('capture_id', '=', captures[0]!).orderBy('id').execute()).map((e) => e.hash);
    for (const hash of head) expect(r.body).toContain(hash);
    expect(r.body).toContain('VERIFICATION FAILED'); // the last run found the edit
    expect(r.body).toMatch(new RegExp(`attached .* by [^<]*${NL}`));
    const steps = await store.db.selectFrom('audit_log').select('action').where('object_type', '=', 'case').where('object_id', '=', String(caseId)).execute();
    expect(new Set(steps.map((x) => x.action))).toEqual(new Set(['case.create', 'case.evidence.list', 'case.evidence.attach', 'case.evidence.verify', 'case.evidence.export', 'case.evidence.report']));
  });
});
