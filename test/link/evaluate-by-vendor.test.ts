/**
 * evaluateLinkingByVendor / linkEvidenceCounts: identities scored against a truth given per vendor row, where two
 * imported markets reuse the same external id (a dump's users.id) for different people.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateLinking, evaluateLinkingByVendor, linkEvidenceCounts } from '../../src/link/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

describe(`link evaluation by vendor row on ${testEngine}`, () => {
  let store: TestStore;
  let agencyId: number;
  const v: Record<string, number> = {};

  beforeAll(async () => {
    store = await openTestStore();
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-EVBV', name: 'Eval by vendor', country: 'NL' })
      .returning('id').executeTakeFirstOrThrow()).id;
    const market = async (slug: string, kind: 'seized_db' | 'messenger') => (await store.db.insertInto('markets')
      .values({ agency_id: agencyId, slug, name: slug, kind, adapter: null }).returning('id').executeTakeFirstOrThrow()).id;
    const dumpA = await market('dump-a', 'seized_db');
    const dumpB = await market('dump-b', 'seized_db');
    const tg = await market('tg-1', 'messenger');
    const at = new Date('2026-01-01T00:00:00Z');
    const vendor = async (name: string, marketId: number, externalId: string) => {
      v[name] = (await store.db.insertInto('vendors').values({ agency_id: agencyId, market_id: marketId, handle: name,
        handle_norm: name.toLowerCase(), external_id: externalId, first_seen: at, last_seen: at, capture_id: null, adapter: null })
        .returning('id').executeTakeFirstOrThrow()).id;
    };
    // users.id 1 and 2 on both dumps: four different people behind two external ids.
    await vendor('alice', dumpA, '1');
    await vendor('bob', dumpA, '2');
    await vendor('carol', dumpB, '1');
    await vendor('dave', dumpB, '2');
    await vendor('alice_tg', tg, 'user123456789');
    await vendor('carol_tg', tg, 'user987654321');
    // Predicted: {alice, alice_tg} (right), {carol, dave} (wrong), bob alone, carol_tg alone (carol missed).
    for (const [label, members] of [['alice', ['alice', 'alice_tg']], ['carol', ['carol', 'dave']], ['bob', ['bob']], ['carol_tg', ['carol_tg']]] as const) {
      const id = (await store.db.insertInto('identities').values({ agency_id: agencyId, label }).returning('id').executeTakeFirstOrThrow()).id;
      await store.db.insertInto('identity_members').values(members.map((m) => ({ identity_id: id, vendor_id: v[m] as number }))).execute();
    }
    const link = (a: string, b: string, evidence: object) => ({ agency_id: agencyId, vendor_a: Math.min(v[a]!, v[b]!), vendor_b: Math.max(v[a]!, v[b]!),
      score: 0.9, evidence: JSON.stringify(evidence) });
    await store.db.insertInto('links').values([
      link('alice', 'alice_tg', { hard: true, clustered: true, items: [
        { feature: 'pgp', label: 'shared PGP key', selectors: [{ kind: 'pgp_key', value: 'F00' }] },
        { feature: 'style', label: 'writing style (TF-IDF cosine)' }] }),
      link('carol', 'dave', { hard: false, clustered: true, items: [
        { feature: 'messenger', label: 'same messenger handle or phone', selectors: [{ kind: 'wickr', value: 'x' }, { kind: 'signal', value: 'y' }] }] }),
      link('carol', 'carol_tg', { hard: false, clustered: false, items: [{ feature: 'rotation_uid', label: 'key rotation: same handle' }] }),
    ]).execute();
  }, 120_000);
  afterAll(async () => store?.close());

  const truth = () => new Map<number, string>([
    [v.alice!, 'P-alice'], [v.alice_tg!, 'P-alice'], [v.bob!, 'P-bob'], [v.carol!, 'P-carol'], [v.carol_tg!, 'P-carol'], [v.dave!, 'P-dave'],
  ]);

  it('scores pairs by vendor row, so external ids shared by two dumps do not mix people', async () => {
    const e = await evaluateLinkingByVendor(store.db, agencyId, truth());
    expect(e.accounts).toBe(6);
    expect(e.identitiesTrue).toBe(4);
    expect(e.identitiesPredicted).toBe(4);
    // True pairs: alice–alice_tg, carol–carol_tg. Predicted: alice–alice_tg (right), carol–dave (wrong).
    expect(e.pairwise).toMatchObject({ truePairs: 2, predictedPairs: 2, correctPairs: 1, precision: 0.5, recall: 0.5 });
    expect(e.crossSource).toMatchObject({ truePairs: 2, predictedPairs: 1, correctPairs: 1, precision: 1, recall: 0.5 });
    expect(e.purity).toBeCloseTo(5 / 6);
    expect(e.largestMixedIdentity).toBe(2);
    expect(e.mixedIdentities).toBe(1);
  });

  it('leaves vendors without a truth entry out of every figure', async () => {
    const t = truth();
    t.delete(v.dave!);
    const e = await evaluateLinkingByVendor(store.db, agencyId, t);
    expect(e.accounts).toBe(5);
    expect(e.pairwise).toMatchObject({ truePairs: 2, predictedPairs: 1, correctPairs: 1, precision: 1, recall: 0.5 });
    expect(e.largestMixedIdentity).toBe(1);
  });

  it('counts written links by the evidence their explanation names, checked against the truth', async () => {
    const c = await linkEvidenceCounts(store.db, agencyId, truth());
    expect(c).toEqual([
      { evidence: 'shared PGP key (pgp_key)', hard: true, links: 1, clustered: 1, correct: 1, wrong: 0 },
      { evidence: 'key rotation: same handle', hard: false, links: 1, clustered: 0, correct: 1, wrong: 0 },
      { evidence: 'same messenger handle or phone (signal)', hard: false, links: 1, clustered: 1, correct: 0, wrong: 1 },
      { evidence: 'same messenger handle or phone (wickr)', hard: false, links: 1, clustered: 1, correct: 0, wrong: 1 },
    ]);
    const untruthed = await linkEvidenceCounts(store.db, agencyId);
    expect(untruthed.every((k) => k.correct === 0 && k.wrong === 0)).toBe(true);
  });

  it('leaves evaluateLinking (keyed by world account id) unchanged: these accounts name no world account', async () => {
    const e = await evaluateLinking(store.db, { accounts: [] }, agencyId);
    expect(e.accounts).toBe(0);
  });
});
