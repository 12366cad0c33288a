import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAudit, type Store, verifyAuditChain } from '../../src/store/index.ts';
import { openTestStore, testEngine } from '../helpers/store.ts';

/** Concurrent appends are group-committed (src/store/audit.ts): none lost, one linear chain, bad entries isolated. */
describe(`audit group commit on ${testEngine}`, () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore();
  }, 120_000);
  afterAll(async () => {
    await store.close();
  });

  const entry = (i: number, agencyId: number | null = null) => ({ agencyId, userId: null, actor: 'system:burst', action: 'burst.read', objectType: 'burst', objectId: String(i), detail: { i } });

  it('writes every one of a burst of concurrent appends, each resolving only once stored, in one verifiable chain', async () => {
    const n = 300;
    const stored = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await appendAudit(store.db, entry(i));
        // Resolved means committed: the caller's own entry is readable right away.
        const row = await store.db.selectFrom('audit_log').select('id').where('action', '=', 'burst.read').where('object_id', '=', String(i)).executeTakeFirst();
        return row !== undefined;
      }),
    );
    expect(stored.every(Boolean)).toBe(true);
    const rows = await store.db.selectFrom('audit_log').select(['object_id']).where('action', '=', 'burst.read').orderBy('id').execute();
    expect(rows.map((r) => Number(r.object_id)).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    // Appends queued together keep their call order in the chain.
    expect(rows.map((r) => Number(r.object_id))).toEqual(Array.from({ length: n }, (_, i) => i));
    const v = await verifyAuditChain(store.db);
    expect(v).toMatchObject({ ok: true });
    expect(v.entries).toBeGreaterThanOrEqual(n);
  });

  it('fails only the caller whose entry cannot be written; its neighbours in the batch are stored', async () => {
    const results = await Promise.allSettled([...Array.from({ length: 20 }, (_, i) => appendAudit(store.db, entry(1000 + i))), appendAudit(store.db, entry(2000, 987_654)), ...Array.from({ length: 20 }, (_, i) => appendAudit(store.db, entry(3000 + i)))]);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect(results[20]!.status).toBe('rejected'); // agency 987654 does not exist (foreign key)
    const ids = (await store.db.selectFrom('audit_log').select('object_id').where('action', '=', 'burst.read').where('object_id', '>=', '1000').execute()).map((r) => Number(r.object_id));
    expect(ids.filter((i) => i >= 1000 && i < 4000).sort((a, b) => a - b)).toEqual([...Array.from({ length: 20 }, (_, i) => 1000 + i), ...Array.from({ length: 20 }, (_, i) => 3000 + i)]);
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  });
});
