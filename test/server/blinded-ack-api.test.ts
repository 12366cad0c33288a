import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blindedNotices, blindingClient, deconflictDb, registerTokens } from '../../src/deconflict/index.ts';
import type { BlindedNoticeView } from '../../src/deconflict/index.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

// Acknowledging a blinded (OPRF) hit: each agency acknowledges its own side, once; the other side is told nothing;
// a hit the agency is not part of answers like a missing one.
let store: TestStore;
let app: App;
let s: Seeded;
const cookies = new Map<string, SessionHeaders>();
const as = (u: string) => cookies.get(u)!;
const NL = 'investigator-nl-pol';
const DE = 'investigator-de-bka';
type Notice = Omit<BlindedNoticeView, 'createdAt' | 'acknowledgedAt'> & { createdAt: string; acknowledgedAt: string | null };

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
  for (const u of [NL, DE, 'analyst-nl-pol']) cookies.set(u, await loginCookie(app, u));
}, 120_000);
afterAll(async () => {
  await app?.close();
  await store?.close();
});

/** Blind the selectors as the user's browser would, have them evaluated, and register the tokens under a case handle. */
async function registerBlinded(user: string, caseRef: string, contact: string, selectors: { kind: 'email' | 'vendor_handle'; value: string }[]): Promise<Notice[]> {
  const prepared = selectors.map((x) => blindingClient.prepare(x.kind, x.value));
  const ev = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(user), payload: { blindedElements: prepared.map((p) => p.request.blindedElement) } });
  expect(ev.statusCode, ev.body).toBe(200);
  const tokens = prepared.map((p, i) => blindingClient.finish(p.state, ev.json().evaluatedElements[i]));
  const r = await app.inject({ method: 'POST', url: '/api/deconflict/blinded/tokens', headers: as(user), payload: { caseRef, contact, tokens } });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().notices;
}

const list = async (user: string, unacknowledged?: boolean) => {
  const r = await app.inject({ method: 'GET', url: `/api/deconflict/blinded/notices${unacknowledged === undefined ? '' : `?unacknowledged=${unacknowledged}`}`, headers: as(user) });
  expect(r.statusCode, r.body).toBe(200);
  return r.json().items as Notice[];
};
const ack = (user: string, id: number | string) => app.inject({ method: 'POST', url: `/api/deconflict/blinded/notices/${id}/acknowledge`, headers: as(user) });
const auditOf = async (action: string) => store.db.selectFrom('audit_log').select(['agency_id', 'user_id', 'object_id']).where('action', '=', action).orderBy('id').execute();

describe('acknowledging blinded hits (API)', () => {
  let hit: number;

  it('lists a new hit as unacknowledged on both sides', async () => {
    expect(await registerBlinded(NL, 'nl-ack-handle', 'NL blind desk +31 88', [{ kind: 'email', value: 'shared.vendor@Mail.INVALID' }, { kind: 'vendor_handle', value: 'nl-only-ack' }])).toEqual([]);
    const de = await registerBlinded(DE, 'de-ack-handle', 'BKA blind desk +49 611', [{ kind: 'email', value: 'shared.vendor [at] mail [dot] invalid' }]);
    expect(de).toEqual([expect.objectContaining({ yourCaseRef: 'de-ack-handle', otherAgency: 'NL-POL', otherContact: 'NL blind desk +31 88', acknowledgedAt: null })]);
    hit = de[0]!.hitId;
    for (const user of [NL, DE]) {
      expect((await list(user)).map((n) => [n.hitId, n.acknowledgedAt])).toEqual([[hit, null]]);
      expect((await list(user, true)).map((n) => n.hitId)).toEqual([hit]);
      expect((await list(user, false)).map((n) => n.hitId)).toEqual([hit]);
    }
  });

  it("acknowledges the agency's side once: a second acknowledgement keeps the first time and user, and is not audited again", async () => {
    const nlUser = (await store.db.selectFrom('users').select('id').where('username', '=', NL).executeTakeFirstOrThrow()).id;
    const first = await ack(NL, hit);
    expect(first.statusCode, first.body).toBe(200);
    const n = first.json() as Notice;
    expect(n).toMatchObject({ hitId: hit, yourCaseRef: 'nl-ack-handle', otherAgency: 'DE-BKA', otherContact: 'BKA blind desk +49 611' });
    expect(n.acknowledgedAt).not.toBeNull();
    expect(first.body).not.toContain('de-ack-handle');

    const again = await ack(NL, hit);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().acknowledgedAt).toBe(n.acknowledgedAt);
    const row = await deconflictDb(store.db).selectFrom('blinded_hits').selectAll().where('id', '=', hit).executeTakeFirstOrThrow();
    const [mine, theirs] = row.ack_a_at ? [{ at: row.ack_a_at, by: row.ack_a_by }, { at: row.ack_b_at, by: row.ack_b_by }] : [{ at: row.ack_b_at, by: row.ack_b_by }, { at: row.ack_a_at, by: row.ack_a_by }];
    expect(mine.at?.toISOString()).toBe(n.acknowledgedAt);
    expect(mine.by).toBe(nlUser);
    expect(theirs).toEqual({ at: null, by: null });

    // The store's entry once (the first acknowledgement), the route's entry for each call.
    expect(await auditOf('deconflict.blinded.hit.acknowledge')).toEqual([{ agency_id: s.agencyIds['NL-POL'], user_id: nlUser, object_id: String(hit) }]);
    expect((await auditOf('deconflict.blinded.notice.acknowledge')).map((e) => e.object_id)).toEqual([String(hit), String(hit)]);

    expect(await list(NL, true)).toEqual([]);
    expect((await list(NL)).map((x) => x.acknowledgedAt)).toEqual([n.acknowledgedAt]);
  });

  it('tells the other agency nothing: its notices, its unacknowledged filter and its audit log are unchanged', async () => {
    const before = await app.inject({ method: 'GET', url: '/api/deconflict/blinded/notices', headers: as(DE) });
    const deAuditBefore = await store.db.selectFrom('audit_log').select('action').where('agency_id', '=', s.agencyIds['DE-BKA']).where('action', 'like', '%acknowledge%').execute();
    expect(deAuditBefore).toEqual([]);
    expect((await ack(NL, hit)).statusCode).toBe(200);
    const after = await app.inject({ method: 'GET', url: '/api/deconflict/blinded/notices', headers: as(DE) });
    expect(after.body).toBe(before.body);
    expect(after.json().items).toEqual([expect.objectContaining({ hitId: hit, acknowledgedAt: null })]);
    expect((await list(DE, true)).map((x) => x.hitId)).toEqual([hit]);
    expect(await store.db.selectFrom('audit_log').select('action').where('agency_id', '=', s.agencyIds['DE-BKA']).where('action', 'like', '%acknowledge%').execute()).toEqual([]);

    // DE's own acknowledgement is its own, and does not show on NL's side either.
    const nlBefore = (await list(NL))[0]!.acknowledgedAt;
    const de = await ack(DE, hit);
    expect(de.statusCode).toBe(200);
    expect(de.json().acknowledgedAt).not.toBeNull();
    expect((await list(NL))[0]!.acknowledgedAt).toBe(nlBefore);
  });

  it("does not tell a federated peer either: the hub's view of the peer's side stays unacknowledged", async () => {
    const tokens = [blindingClient.prepare('email', 'peer-overlap@mail.invalid')];
    const ev = await app.inject({ method: 'POST', url: '/api/deconflict/oprf/evaluate', headers: as(NL), payload: { blindedElements: tokens.map((p) => p.request.blindedElement) } });
    const token = blindingClient.finish(tokens[0]!.state, ev.json().evaluatedElements[0]);
    // A peer installation's agency registers at this hub (as /api/federation/inbound/tokens does).
    await registerTokens(store.db, { owner: 'FR-GN', caseRef: 'fr-peer-handle', contact: 'FR desk +33 1', tokens: [token] });
    const [n] = await registerBlinded(NL, 'nl-peer-handle', 'NL blind desk +31 88', [{ kind: 'email', value: 'peer-overlap@mail.invalid' }]);
    expect(n).toMatchObject({ otherAgency: 'FR-GN', otherContact: 'FR desk +33 1' });
    expect((await ack(NL, n!.hitId)).statusCode).toBe(200);
    expect(await blindedNotices(store.db, 'FR-GN')).toEqual([expect.objectContaining({ hitId: n!.hitId, yourCaseRef: 'fr-peer-handle', acknowledgedAt: null })]);

    // DE is not part of that hit: it answers like a hit that does not exist, and acknowledges nothing.
    const foreign = await ack(DE, n!.hitId);
    const missing = await ack(DE, 987_654);
    expect(foreign.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(foreign.json().error).toBe(missing.json().error);
    expect(foreign.json().message.replace(String(n!.hitId), 'N')).toBe(missing.json().message.replace('987654', 'N'));
    for (const secret of ['nl-peer-handle', 'fr-peer-handle', 'FR desk', 'NL blind desk', 'FR-GN']) expect(foreign.body).not.toContain(secret);
    expect(await blindedNotices(store.db, 'FR-GN')).toEqual([expect.objectContaining({ acknowledgedAt: null })]);
  });

  it('refuses a malformed id with a clear 400, and roles that do not run cases with 403', async () => {
    const bad = await ack(NL, 'abc');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('validation_failed');
    const badFilter = await app.inject({ method: 'GET', url: '/api/deconflict/blinded/notices?unacknowledged=maybe', headers: as(NL) });
    expect(badFilter.statusCode).toBe(400);
    expect((await ack('analyst-nl-pol', hit)).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/deconflict/blinded/notices/${hit}/acknowledge` })).statusCode).toBe(401);
  });
});
