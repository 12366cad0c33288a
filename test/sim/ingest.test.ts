import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateWorld, type World } from '../../src/sim/index.ts';
import { ingestWorld, sha256Hex, profileText, type IngestReport } from '../../src/sim/ingest/index.ts';
import { openTestStore, testEngine, type TestStore } from '../helpers/store.ts';

describe(`ingestWorld on ${testEngine}`, () => {
  let store: TestStore;
  let world: World;
  let report: IngestReport;
  let agencyId: number;
  beforeAll(async () => {
    store = await openTestStore();
    agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-DNR', name: 'Dark web team', country: 'NL' })
      .returning('id').executeTakeFirstOrThrow()).id;
    world = generateWorld({ seed: 'ingest-test', scale: 'tiny' });
    report = await ingestWorld(store, world, { agencyId });
  }, 120_000);
  afterAll(async () => store?.close());

  it('writes every visible account, listing and source with provenance', async () => {
    expect(report.accounts).toBe(world.accounts.filter((a) => a.openDay <= world.days - 1).length);
    const vendors = await store.db.selectFrom('vendors').select(['id', 'capture_id', 'external_id', 'handle']).execute();
    expect(vendors.length).toBe(report.accounts);
    expect(vendors.every((v) => v.capture_id !== null)).toBe(true);
    const listings = await store.db.selectFrom('listings').select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(listings.n)).toBe(report.listings);
    const snaps = await store.db.selectFrom('listing_snapshots').select(['price', 'currency', 'ships_to']).limit(5).execute();
    expect(snaps.length).toBeGreaterThan(0);
    expect(snaps.every((s) => s.price >= 0 && s.ships_to.length > 0)).toBe(true);
    const kinds = await store.db.selectFrom('markets').select('kind').distinct().execute();
    expect(kinds.map((k) => k.kind).sort()).toEqual(['market', 'messenger']);
  });

  it('gives each capture the SHA-256 of the text the extractor read', async () => {
    const acc = world.accounts.find((a) => a.market && a.pgpKeys.length === 0) ?? world.accounts[0]!;
    const v = await store.db.selectFrom('vendors').innerJoin('captures', 'captures.id', 'vendors.capture_id')
      .select(['captures.payload_sha256']).where('vendors.external_id', '=', acc.id).executeTakeFirstOrThrow();
    if (acc.pgpKeys.length === 0) expect(v.payload_sha256).toBe(sha256Hex(profileText(acc, undefined)));
    else expect(v.payload_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('finds PGP fingerprints by parsing the armored blocks, including both keys of a rotation', async () => {
    const rows = await store.db.selectFrom('selector_sightings as s').innerJoin('selectors as sel', 'sel.id', 's.selector_id')
      .innerJoin('vendors as v', 'v.id', 's.vendor_id').select(['v.external_id', 'sel.value'])
      .where('sel.kind', '=', 'pgp_key').execute();
    const byAcc = new Map<string, Set<string>>();
    for (const r of rows) {
      const set = byAcc.get(r.external_id as string) ?? new Set();
      set.add(r.value);
      byAcc.set(r.external_id as string, set);
    }
    const marketAccounts = world.accounts.filter((a) => a.market && a.pgpKeys.length > 0);
    for (const a of marketAccounts) expect([...(byAcc.get(a.id) ?? [])].sort()).toEqual(a.pgpKeys.map((k) => k.fingerprint).sort());
  });

  it('finds the crypto addresses and contacts accounts show, never their private addresses', async () => {
    const rows = await store.db.selectFrom('selector_sightings as s').innerJoin('selectors as sel', 'sel.id', 's.selector_id')
      .innerJoin('vendors as v', 'v.id', 's.vendor_id').select(['v.external_id', 'sel.kind', 'sel.value'])
      .where('sel.kind', 'in', ['btc_address', 'xmr_address']).execute();
    const shown = new Set(world.accounts.flatMap((a) => a.shownCrypto.map((c) => `${a.id}|${c}`)));
    for (const r of rows) expect(shown.has(`${r.external_id}|${r.value}`)).toBe(true);
    expect(rows.length).toBeGreaterThan(0);
  });

  it('refuses an unknown agency', async () => {
    await expect(ingestWorld(store, world, { agencyId: 99_999 })).rejects.toThrow(/agency 99999 does not exist/);
  });
});
