import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openTestStore, testEngine } from '../helpers/store.ts';
import type { TestStore } from '../helpers/store.ts';
import { verifyAuditChain } from '../../src/store/index.ts';
import {
  acknowledgeHit,
  DeconflictError,
  detectLinkedHits,
  listNotices,
  registerCaseSelectors,
} from '../../src/deconflict/index.ts';
import type { Actor } from '../../src/deconflict/index.ts';

describe(`database de-confliction (${testEngine})`, () => {
  let store: TestStore;
  let nl: Actor;
  let de: Actor;
  let fr: Actor;
  let nlCase: number;
  let deCase: number;
  let frCase: number;

  // One database for the file (opening PGlite is the slow part); every test gets its own agencies.
  let run = 0;
  async function agency(code: string, name: string, country: string, contact: string): Promise<Actor> {
    code = `${code}-${run}`;
    const a = await store.db.insertInto('agencies').values({ code, name, country, contact_point: contact }).returning('id').executeTakeFirstOrThrow();
    const u = await store.db
      .insertInto('users')
      .values({ agency_id: a.id, username: `inv-${code.toLowerCase()}`, role: 'investigator' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { agencyId: a.id, userId: u.id, actor: `user:inv-${code.toLowerCase()}` };
  }
  async function openCase(a: Actor, reference: string, title: string, contact: string): Promise<number> {
    const c = await store.db
      .insertInto('cases')
      .values({ agency_id: a.agencyId, reference, title, contact_point: contact, created_by: a.userId })
      .returning('id')
      .executeTakeFirstOrThrow();
    return c.id;
  }

  beforeAll(async () => {
    store = await openTestStore();
  });
  afterAll(async () => {
    await store.close();
  });

  // Closed cases take no part in new hits, so tests sharing the database stay independent.
  afterEach(async () => {
    await store.db.updateTable('cases').set({ closed_at: new Date() }).where('closed_at', 'is', null).execute();
  });

  beforeEach(async () => {
    run++;
    nl = await agency('NL-THTC', 'Politie NL THTC', 'NL', 'thtc-desk@politie.example');
    de = await agency('DE-BKA', 'Bundeskriminalamt SO44', 'DE', 'so44@bka.example');
    fr = await agency('FR-OFAST', 'OFAST', 'FR', 'ofast@interieur.example');
    nlCase = await openCase(nl, 'NL-2017-BAYONET', 'Hansa takeover: DutchMagic and others', '+31 70 000 0000 (THTC duty desk)');
    deCase = await openCase(de, 'BKA-SO44-2017-09', 'Berlin distribution cell (informant Kestrel)', 'so44-duty@bka.example');
    frCase = await openCase(fr, 'OFAST-2017-3', 'Lyon cocaine', 'ofast-duty@interieur.example');
  });
  it('notifies both agencies of overlapping targets, each seeing only its own case and the other contact point', async () => {
    const first = await registerCaseSelectors(store.db, nl, nlCase, [
      { kind: 'btc_address', value: 'BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ' },
      { kind: 'vendor_handle', value: '@DutchMagic' },
      { kind: 'email', value: 'orders@dutchmagic.example' },
    ]);
    expect(first).toEqual({ registered: 3, notices: [] });

    const second = await registerCaseSelectors(store.db, de, deCase, [
      { kind: 'btc_address', value: 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq' },
      { kind: 'vendor_handle', value: 'dutchmagic' },
      { kind: 'telegram', value: '@berlinbulk' },
    ]);
    expect(second.registered).toBe(3);
    expect(second.notices).toHaveLength(2);
    for (const n of second.notices) {
      expect(n.yourCase).toEqual({ id: deCase, reference: 'BKA-SO44-2017-09' });
      expect(n.other).toEqual({ agencyCode: `NL-THTC-${run}`, agencyName: 'Politie NL THTC', contactPoint: '+31 70 000 0000 (THTC duty desk)' });
    }

    const nlNotices = await listNotices(store.db, nl);
    expect(nlNotices.map((n) => `${n.yourSelector.kind}=${n.yourSelector.value}`).sort()).toEqual([
      'btc_address=bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      'vendor_handle=dutchmagic',
    ]);
    for (const n of nlNotices) expect(n.other.contactPoint).toBe('so44-duty@bka.example');

    // Neither side learns the other's case content: no reference, no title, no other selectors.
    const nlText = JSON.stringify(nlNotices);
    expect(nlText).not.toContain('BKA-SO44');
    expect(nlText).not.toContain('Kestrel');
    expect(nlText).not.toContain('berlinbulk');
    const deText = JSON.stringify(await listNotices(store.db, de));
    expect(deText).not.toContain('BAYONET');
    expect(deText).not.toContain('Hansa takeover');
    expect(deText).not.toContain('orders@dutchmagic');

    // A third agency with nothing in common sees nothing.
    await registerCaseSelectors(store.db, fr, frCase, [{ kind: 'phone', value: '+33 6 00 00 00 00' }]);
    expect(await listNotices(store.db, fr)).toEqual([]);
  });

  it('acknowledges one side at a time, hides hits from outsiders, and audits it all', async () => {
    await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'pgp_key', value: '0x1234567890ABCDEF1234567890ABCDEF12345678' }]);
    const { notices } = await registerCaseSelectors(store.db, de, deCase, [{ kind: 'pgp_key', value: '1234 5678 90ab cdef 1234 5678 90AB CDEF 1234 5678' }]);
    const hitId = notices[0]!.hitId;
    const acked = await acknowledgeHit(store.db, de, hitId);
    expect(acked.acknowledgedAt).toBeInstanceOf(Date);
    expect((await listNotices(store.db, nl, { unacknowledgedOnly: true })).map((n) => n.hitId)).toEqual([hitId]);
    expect(await listNotices(store.db, de, { unacknowledgedOnly: true })).toEqual([]);
    await expect(acknowledgeHit(store.db, fr, hitId)).rejects.toMatchObject({ code: 'not_found' });

    const mine = [nl.agencyId, de.agencyId, fr.agencyId];
    const actions = await store.db.selectFrom('audit_log').select(['action', 'agency_id']).where('agency_id', 'in', mine).orderBy('id').execute();
    expect(actions.filter((a) => a.action === 'deconflict.hit').map((a) => a.agency_id).sort()).toEqual([nl.agencyId, de.agencyId].sort());
    expect(actions.some((a) => a.action === 'deconflict.hit.acknowledge' && a.agency_id === de.agencyId)).toBe(true);
    expect(actions.filter((a) => a.action === 'deconflict.register')).toHaveLength(2);
    expect((await verifyAuditChain(store.db)).ok).toBe(true);
  });

  it('fires when crawl data links a registered selector to another agency target', async () => {
    // Crawl data: two vendor accounts on two markets, linked into one identity; one selector each.
    const market = await store.db.insertInto('markets').values({ agency_id: nl.agencyId, slug: `hansa-${run}`, name: 'Hansa' }).returning('id').executeTakeFirstOrThrow();
    const vendor = async (handle: string) =>
      (
        await store.db
          .insertInto('vendors')
          .values({ agency_id: nl.agencyId, market_id: market.id, handle, handle_norm: handle.toLowerCase(), first_seen: '2017-01-01', last_seen: '2017-06-01' })
          .returning('id')
          .executeTakeFirstOrThrow()
      ).id;
    const v1 = await vendor('DutchMagic');
    const v2 = await vendor('DM_Reserve');
    const selector = async (kind: string, value: string, vendorId: number) => {
      const s = await store.db.insertInto('selectors').values({ agency_id: nl.agencyId, kind, value }).returning('id').executeTakeFirstOrThrow();
      await store.db
        .insertInto('selector_sightings')
        .values({ agency_id: nl.agencyId, selector_id: s.id, vendor_id: vendorId, source: 'profile', observed_at: '2017-05-01' })
        .execute();
    };
    await selector('email', 'orders@dutchmagic.example', v1);
    await selector('xmr_address', '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A', v2);

    await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'email', value: 'orders@dutchmagic.example' }]);
    const before = await registerCaseSelectors(store.db, de, deCase, [
      { kind: 'xmr_address', value: '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A' },
    ]);
    expect(before.notices).toEqual([]); // different selectors, not (yet) linked

    // The linker puts both accounts into one identity.
    const identity = await store.db.insertInto('identities').values({ agency_id: nl.agencyId, label: 'DutchMagic' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('identity_members').values([{ identity_id: identity.id, vendor_id: v1 }, { identity_id: identity.id, vendor_id: v2 }]).execute();
    expect(await detectLinkedHits(store.db, 'system:linker', [identity.id + 1000])).toBe(0); // another identity
    expect(await detectLinkedHits(store.db, 'system:linker', [identity.id])).toBe(1);
    expect(await detectLinkedHits(store.db, 'system:linker')).toBe(0); // idempotent

    const [toNl] = await listNotices(store.db, nl);
    const [toDe] = await listNotices(store.db, de);
    expect(toNl).toMatchObject({ via: 'identity', yourSelector: { kind: 'email' }, other: { agencyCode: `DE-BKA-${run}` } });
    expect(toDe).toMatchObject({ via: 'identity', yourSelector: { kind: 'xmr_address' }, other: { agencyCode: `NL-THTC-${run}` } });
    expect(JSON.stringify(toDe)).not.toContain('orders@dutchmagic');
  });

  it('fires when a second agency\'s crawl for its case sees a selector another agency registered', async () => {
    const btc = 'bc1qcrawlhit0selector0xxxxxxxxxxxxxxxxxxxx';
    await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'btc_address', value: btc }]);
    // BKA crawls a market for its case: the crawl job, a page it captured, and what extraction sighted on it (the
    // registered address and an unrelated one).
    const own = { agency_id: de.agencyId, tlp: 'AMBER' as const };
    const market = await store.db.insertInto('markets').values({ ...own, slug: `tortuga-${run}`, name: 'Tortuga' }).returning('id').executeTakeFirstOrThrow();
    const job = `crawl-${run}`;
    await store.db.insertInto('crawl_jobs').values({ id: job, market_id: market.id, case_id: deCase }).execute();
    const capture = await store.db
      .insertInto('captures')
      .values({ ...own, kind: 'http', market_id: market.id, job_id: job, url: `http://${'t'.repeat(56)}.onion/vendor/x`, payload_sha256: 'cd'.repeat(32), fetched_at: new Date() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const vendor = await store.db.insertInto('vendors').values({ ...own, market_id: market.id, handle: 'x', handle_norm: 'x', first_seen: new Date(), last_seen: new Date() }).returning('id').executeTakeFirstOrThrow();
    for (const value of [btc, 'bc1qunrelated0selector0xxxxxxxxxxxxxxxxxx']) {
      const sel = await store.db.insertInto('selectors').values({ ...own, kind: 'btc_address', value }).returning('id').executeTakeFirstOrThrow();
      await store.db.insertInto('selector_sightings').values({ ...own, selector_id: sel.id, vendor_id: vendor.id, source: 'profile', capture_id: capture.id, observed_at: new Date() }).execute();
    }
    // A crawl of a closed case, or of no case, registers nothing: here FR's crawl without a case sees the address too.
    const frMarket = await store.db.insertInto('markets').values({ agency_id: fr.agencyId, tlp: 'AMBER', slug: `fr-${run}`, name: 'FR market' }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('crawl_jobs').values({ id: `fr-${run}`, market_id: frMarket.id }).execute();
    const frCap = await store.db.insertInto('captures').values({ agency_id: fr.agencyId, tlp: 'AMBER', kind: 'http', market_id: frMarket.id, job_id: `fr-${run}`, url: `http://${'f'.repeat(56)}.onion/v`, payload_sha256: 'ef'.repeat(32), fetched_at: new Date() }).returning('id').executeTakeFirstOrThrow();
    const frSel = await store.db.insertInto('selectors').values({ agency_id: fr.agencyId, tlp: 'AMBER', kind: 'btc_address', value: btc }).returning('id').executeTakeFirstOrThrow();
    await store.db.insertInto('selector_sightings').values({ agency_id: fr.agencyId, tlp: 'AMBER', selector_id: frSel.id, source: 'profile', capture_id: frCap.id, observed_at: new Date() }).execute();

    // The de-confliction pass that ends every extract job.
    expect(await detectLinkedHits(store.db, 'job:extract-1')).toBe(1);
    expect(await detectLinkedHits(store.db, 'job:extract-2')).toBe(0); // idempotent

    const [toNl] = await listNotices(store.db, nl);
    const [toDe] = await listNotices(store.db, de);
    expect(toNl).toMatchObject({ via: 'selector', yourCase: { id: nlCase }, yourSelector: { kind: 'btc_address', value: btc }, other: { agencyCode: `DE-BKA-${run}`, contactPoint: 'so44-duty@bka.example' } });
    expect(toDe).toMatchObject({ via: 'selector', yourCase: { id: deCase, reference: 'BKA-SO44-2017-09' }, yourSelector: { kind: 'btc_address', value: btc }, other: { agencyCode: `NL-THTC-${run}` } });
    expect(await listNotices(store.db, fr)).toEqual([]);
    expect(JSON.stringify(toDe)).not.toContain('BAYONET');
    // Only the matched selector was registered against BKA's case, by no user.
    const regs = await store.db.selectFrom('deconflict_selectors' as never).select(['value', 'registered_by'] as never).where('case_id' as never, '=', deCase as never).execute();
    expect(regs).toEqual([{ value: btc, registered_by: null }]);
    const audit = await store.db.selectFrom('audit_log').select(['agency_id', 'action', 'actor']).where('actor', '=', 'job:extract-1').orderBy('id').execute();
    expect(audit).toEqual(
      expect.arrayContaining([
        { agency_id: de.agencyId, action: 'deconflict.register', actor: 'job:extract-1' },
        { agency_id: de.agencyId, action: 'deconflict.hit', actor: 'job:extract-1' },
        { agency_id: nl.agencyId, action: 'deconflict.hit', actor: 'job:extract-1' },
      ]),
    );
  });

  it('refuses other agencies cases, closed cases and bad selectors', async () => {
    await expect(registerCaseSelectors(store.db, de, nlCase, [{ kind: 'email', value: 'a@b.org' }])).rejects.toMatchObject({ code: 'forbidden' });
    await expect(registerCaseSelectors(store.db, nl, 999_999, [])).rejects.toMatchObject({ code: 'not_found' });
    await expect(registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'ssn', value: '1' }])).rejects.toThrow(DeconflictError);
    await expect(registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'email', value: '   ' }])).rejects.toThrow(/empty/);
    await store.db.updateTable('cases').set({ closed_at: new Date() }).where('id', '=', frCase).execute();
    await expect(registerCaseSelectors(store.db, fr, frCase, [{ kind: 'email', value: 'a@b.org' }])).rejects.toThrow(/closed/);
    // Registering the same selector twice is not an error and not a second registration.
    await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'email', value: 'A@B.org' }]);
    expect((await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'email', value: 'a@b.org' }])).registered).toBe(1);
  });

  // One foreign key (case_id, agency_id) → cases (id, agency_id) (migration 0603) keeps both guarantees of the two
  // keys it replaced, and adds that a registration's agency is its case's.
  it('keeps registrations tied to an existing case of their own agency, and removes them with the case', async () => {
    const reg = (caseId: number, agencyId: number, value: string) =>
      sql`insert into deconflict_selectors (case_id, agency_id, kind, value) values (${caseId}, ${agencyId}, 'email', ${value})`.execute(store.db);
    await expect(reg(nlCase, de.agencyId, 'x@y.org')).rejects.toThrow(/foreign key/);
    await expect(reg(999_999, nl.agencyId, 'x@y.org')).rejects.toThrow(/foreign key/);
    const scratch = await openCase(nl, `NL-scratch-${run}`, 'scratch', 'desk@nl.example');
    await registerCaseSelectors(store.db, nl, scratch, [{ kind: 'email', value: `gone-${run}@x.org` }]);
    const hit = await registerCaseSelectors(store.db, de, deCase, [{ kind: 'email', value: `gone-${run}@x.org` }]);
    expect(hit.notices).toHaveLength(1);
    await expect(store.db.updateTable('cases').set({ agency_id: de.agencyId }).where('id', '=', scratch).execute()).rejects.toThrow(/foreign key/);
    await store.db.deleteFrom('cases').where('id', '=', scratch).execute();
    const left = await sql<{ n: number }>`select count(*)::int as n from deconflict_selectors where case_id = ${scratch}`.execute(store.db);
    expect(left.rows[0]!.n).toBe(0);
    expect(await listNotices(store.db, de)).not.toContainEqual(expect.objectContaining({ hitId: hit.notices[0]!.hitId }));
  });

  // A hit names two registrations (foreign keys; migration 0605's per-statement triggers were measured, not merged):
  // an orphan is refused, a hit goes with either registration, and neither its registrations nor theirs change under it.
  it('keeps hits tied to existing registrations, and removes them with either', async () => {
    await registerCaseSelectors(store.db, nl, nlCase, [{ kind: 'email', value: `pair-${run}@x.org` }]);
    const hit = await registerCaseSelectors(store.db, de, deCase, [{ kind: 'email', value: `pair-${run}@x.org` }]);
    const hitId = hit.notices[0]!.hitId;
    const h = (await sql<{ selector_a: number; selector_b: number }>`select selector_a, selector_b from deconflict_hits where id = ${hitId}`.execute(store.db)).rows[0]!;
    const orphan = (a: number, b: number) => sql`insert into deconflict_hits (via, selector_a, selector_b) values ('selector', ${a}, ${b})`.execute(store.db);
    await expect(orphan(h.selector_a, 999_999_999)).rejects.toThrow(/foreign key/);
    await expect(orphan(-1, h.selector_a)).rejects.toThrow(/foreign key/);
    await expect(sql`update deconflict_hits set selector_b = 999999999 where id = ${hitId}`.execute(store.db)).rejects.toThrow(/foreign key/);
    await expect(sql`update deconflict_selectors set id = 999999999 where id = ${h.selector_a}`.execute(store.db)).rejects.toThrow(/foreign key/);
    await sql`delete from deconflict_selectors where id = ${h.selector_a}`.execute(store.db);
    expect((await sql`select id from deconflict_hits where id = ${hitId}`.execute(store.db)).rows).toHaveLength(0);
    expect(await listNotices(store.db, de)).not.toContainEqual(expect.objectContaining({ hitId }));
  });
});
