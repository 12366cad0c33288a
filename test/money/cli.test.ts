// The money pipeline as the CLI runs it (runMoneyTrace, in-process on the test database to stay fast; one child
// process for the command's own input checks), against the sim ledger served on loopback. The market evidence
// comes from the sim's seized database, imported.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../../src/collect/index.ts';
import { importBundle } from '../../src/exchange/index.ts';
import { exportTagPack, loadTags, parseTagPack, runMoneyTrace, saveTagPack, cashOutStix, draftExchangeRequest, ChainSourceError } from '../../src/money/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import { generateLedger, publicTags, serveLedger, type Ledger, type LedgerServer } from '../../src/sim/ledger/index.ts';
import { generateWorld } from '../../src/sim/world/index.ts';

const BIN = path.resolve('bin/darkpatrol.js');

describe('darkpatrol money', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-money-cli-'));
  const dataDir = path.join(dir, 'db');
  const evidence = path.join(dir, 'warc');
  let ledger: Ledger;
  let server: LedgerServer;
  let vendorId: number;
  let identityId: string;
  let store: TestStore;
  let agencyId: number;

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, '--data-dir', dataDir, ...args], { timeout: 200_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  async function counts() {
    const n = async (t: 'captures' | 'chain_fetches' | 'chain_txs') => Number((await store.db.selectFrom(t).select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return { captures: await n('captures'), fetches: await n('chain_fetches'), txs: await n('chain_txs') };
  }

  beforeAll(async () => {
    const world = generateWorld({ seed: 'money-cli', scale: 'tiny' });
    ledger = generateLedger(world);
    server = await serveLedger(ledger);
    writeFileSync(path.join(dir, 'services.yaml'), exportTagPack({ title: 'sim services', creator: 'test', isPublic: true, tags: publicTags(ledger) }));
    const file = path.join(dir, 'seized.sql');
    const parts: string[] = [];
    dumpSeized(world, world.seized[0]!, (c) => parts.push(c));
    writeFileSync(file, parts.join(''));
    store = await openTestStore();
    {
      const nl = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Politie NL', country: 'NL', contact_point: 'THTC' }).returning('id').executeTakeFirstOrThrow()).id;
      await importMysqlDump({ db: store.db, evidenceDir: evidence, agencyId: nl, file, market: 'seized', mapping: SIM_SEIZED_MAPPING });
      // A vendor whose seized withdrawal address received money on the ledger and who cashed out.
      const rows = await store.db.selectFrom('selector_sightings as s').innerJoin('selectors as sel', 'sel.id', 's.selector_id')
        .select(['s.vendor_id', 'sel.value']).where('sel.kind', '=', 'btc_address').where('s.vendor_id', 'is not', null).execute();
      const cashedOut = new Set(ledger.truth.cashouts.map((c) => `vendor:${c.identityId}`));
      const pick = rows.find((r) => cashedOut.has(ledger.truth.owner.get(r.value) ?? '') && (ledger.addressTxs.get(r.value)?.length ?? 0) > 2);
      expect(pick).toBeDefined();
      vendorId = pick!.vendor_id!;
      identityId = (ledger.truth.owner.get(pick!.value) as string).slice('vendor:'.length);
      agencyId = nl;
    }
  }, 200_000);

  afterAll(async () => {
    await server?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a TagPack, refuses a broken one (CLI), and exports the service tags with the vendor tags made from the seized database', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'title: x\ncreator: y\ntags:\n  - address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n    label: z\n    source: s\n    currency: BTC\n    category: casino-ish\n');
    const refused = await run(['money', 'tags', 'import', bad, '--agency', 'nl-pol']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('category "casino-ish" is not one of');
    const pack = parseTagPack(exportTagPack({ title: 'sim services', creator: 'test', isPublic: true, tags: publicTags(ledger) }));
    expect(await saveTagPack(store.db, agencyId, pack)).toEqual({ added: publicTags(ledger).length, known: 0 });
    expect(await saveTagPack(store.db, agencyId, pack)).toEqual({ added: 0, known: publicTags(ledger).length });
    const back = parseTagPack(exportTagPack({ title: 'out', creator: 'NL-POL', isPublic: false, tags: await loadTags(store.db, agencyId) }));
    expect(back.tags.filter((t) => t.category === 'exchange')).toHaveLength(ledger.exchanges.length);
    const vendorTags = back.tags.filter((t) => t.category === 'perpetrator');
    expect(vendorTags.length).toBeGreaterThan(0);
    for (const t of vendorTags) expect(t.source).toMatch(/^darkpatrol:/);
  }, 200_000);

  it('traces a seized vendor to its true exchanges over Esplora, preserves what it fetched, and writes STIX and draft requests', async () => {
    const before = await counts();
    const { report, preserved } = await runMoneyTrace(store.db, { agencyId, esplora: server.esploraUrl, vendorId, evidenceDir: evidence });
    const truth = ledger.truth.cashouts.filter((c) => c.identityId === identityId);
    const trueNames = new Set(truth.map((c) => ledger.exchanges.find((e) => e.slug === c.exchange)?.name));
    expect(report.exchanges.length).toBeGreaterThan(0);
    for (const e of report.exchanges) {
      expect(trueNames.has(e.label)).toBe(true);
      expect(e.usd).toBeGreaterThan(0);
      expect(e.eur).toBeGreaterThan(0);
      for (const d of e.deposits) expect(truth.some((c) => c.depositAddress === d.address)).toBe(true);
    }
    expect(report.evidence.length).toBeGreaterThan(0);
    expect(preserved.captures).toBeGreaterThan(0);
    const after = await counts();
    expect(after.captures - before.captures).toBe(preserved.captures);
    expect(after.fetches - before.fetches).toBe(preserved.captures);
    expect(after.txs - before.txs).toBe(preserved.txs);
    // The STIX bundle passes DarkPatrol's own importer (STIX 2.1 validator rules).
    const bundle = JSON.parse(JSON.stringify(cashOutStix(report))) as { objects: unknown[] };
    const imported = importBundle(bundle);
    expect(imported.objects.length).toBe(bundle.objects.length);
    expect(imported.selectors.map((x) => x.value)).toContain(report.exchanges[0]!.deposits[0]!.address);
    const letter = draftExchangeRequest(report, report.exchanges[0]!, { caseRef: 'NL-2025-17' });
    expect(letter).toContain('DRAFT');
    expect(letter).toContain('NL-2025-17');
    expect(letter).toContain(report.exchanges[0]!.deposits[0]!.address);
  }, 200_000);

  it('fails clearly on a node answering malformed JSON and writes nothing', async () => {
    const before = await counts();
    server.fault = 'malformed';
    try {
      const err = await runMoneyTrace(store.db, { agencyId, esplora: server.esploraUrl, vendorId, evidenceDir: evidence }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChainSourceError);
      expect((err as ChainSourceError).kind).toBe('malformed');
    } finally {
      server.fault = 'none';
    }
    expect(await counts()).toEqual(before);
  }, 200_000);
});
