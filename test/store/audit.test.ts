import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, type Store, verifyAuditChain } from '../../src/store/index.ts';
import { openTestStore, testEngine } from '../helpers/store.ts';

describe(`audit log on ${testEngine}`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  it('chains entries so that the whole log verifies', async () => {
    for (let i = 0; i < 5; i++) {
      await appendAudit(store.db, {
        agencyId: null,
        userId: null,
        actor: 'system:test',
        action: 'vendor.read',
        objectType: 'vendor',
        objectId: String(i),
        detail: { zeta: i, alpha: { b: 2, a: 1 } },
      });
    }
    const result = await verifyAuditChain(store.db);
    expect(result.ok).toBe(true);
    expect(result.entries).toBeGreaterThanOrEqual(5);
  });

  it('writes an entry about a request holding NUL (which PostgreSQL text and jsonb refuse), showing it as \u2400, and the chain verifies', async () => {
    await appendAudit(store.db, { agencyId: null, userId: null, actor: 'system:test', action: 'case.close', objectType: 'route', objectId: 'a\u0000b', detail: { url: '/x/%00', q: ['\u0000'], ['k\u0000']: { deep: ['x\u0000y'] } } });
    const row = await store.db.selectFrom('audit_log').select(['object_id', 'detail']).where('action', '=', 'case.close').executeTakeFirstOrThrow();
    expect(row.object_id).toBe('a\u2400b');
    expect(row.detail).toEqual({ url: '/x/%00', q: ['\u2400'], ['k\u2400']: { deep: ['x\u2400y'] } });
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  });

  it('is append-only: updates and deletes are refused by the database', async () => {
    await appendAudit(store.db, { agencyId: null, userId: null, actor: 'system:test', action: 'x' });
    await expect(sql`update audit_log set action = 'y'`.execute(store.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log`.execute(store.db)).rejects.toThrow(/append-only/);
  });

  it('detects an entry rewritten behind the trigger (by a superuser disabling it)', async () => {
    for (let i = 0; i < 3; i++) {
      await appendAudit(store.db, { agencyId: null, userId: null, actor: 'system:test', action: `a${i}` });
    }
    await store.execScript(`alter table audit_log disable trigger audit_log_no_update;
      update audit_log set action = 'forged' where action = 'a1';
      alter table audit_log enable trigger audit_log_no_update;`);
    const result = await verifyAuditChain(store.db);
    expect(result.ok).toBe(false);
    expect(result.brokenAt?.reason).toBe('hash');
  });
});
