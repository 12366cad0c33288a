// The money commands as a user runs them (child processes of bin/darkpatrol.js on a throwaway data directory),
// against the sim ledger served on loopback. The market evidence comes from the sim's seized database, imported.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../../src/collect/index.ts';
import { importBundle } from '../../src/exchange/index.ts';
import { exportTagPack, parseTagPack } from '../../src/money/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import { generateLedger, publicTags, serveLedger, type Ledger, type LedgerServer } from '../../src/sim/ledger/index.ts';
import { generateWorld } from '../../src/sim/world/index.ts';
import { openStore } from '../../src/store/index.ts';

const BIN = path.resolve('bin/darkpatrol.js');

describe('darkpatrol money', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-money-cli-'));
  const dataDir = path.join(dir, 'db');
  const evidence = path.join(dir, 'warc');
  let ledger: Ledger;
  let server: LedgerServer;
  let vendorId: number;
  let identityId: string;

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, '--data-dir', dataDir, ...args], { timeout: 200_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  async function counts() {
    const store = await openStore({ dataDir });
    try {
      const n = async (t: 'captures' | 'chain_fetches' | 'chain_txs') => Number((await store.db.selectFrom(t).select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
      return { captures: await n('captures'), fetches: await n('chain_fetches'), txs: await n('chain_txs') };
    } finally {
      await store.close();
    }
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
    const store = await openStore({ dataDir });
    try {
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
    } finally {
      await store.close();
    }
  }, 200_000);

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports a TagPack, refuses a broken one, and exports the service tags with the vendor tags made from the seized database', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'title: x\ncreator: y\ntags:\n  - address: 1BoatSLRHtKNngkdXEeobR76b53LETtpyT\n    label: z\n    source: s\n    currency: BTC\n    category: casino-ish\n');
    const refused = await run(['money', 'tags', 'import', bad, '--agency', 'nl-pol']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('category "casino-ish" is not one of');
    const ok = await run(['money', 'tags', 'import', path.join(dir, 'services.yaml'), '--agency', 'nl-pol', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ added: publicTags(ledger).length, known: 0 });
    const out = await run(['money', 'tags', 'export', '--agency', 'nl-pol']);
    expect(out.code, out.stderr).toBe(0);
    const pack = parseTagPack(out.stdout);
    expect(pack.tags.filter((t) => t.category === 'exchange')).toHaveLength(ledger.exchanges.length);
    const vendorTags = pack.tags.filter((t) => t.category === 'perpetrator');
    expect(vendorTags.length).toBeGreaterThan(0);
    for (const t of vendorTags) expect(t.source).toMatch(/^darkpatrol:/);
  }, 200_000);

  it('traces a seized vendor to its true exchanges over Esplora, preserves what it fetched, and writes STIX and draft requests', async () => {
    const before = await counts();
    const stix = path.join(dir, 'cashout.json');
    const requests = path.join(dir, 'requests');
    const r = await run(['money', 'trace', '--agency', 'nl-pol', '--esplora', server.esploraUrl, '--vendor', String(vendorId), '--evidence-dir', evidence,
      '--stix', stix, '--requests', requests, '--case', 'NL-2025-17', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { exchanges: Array<{ label: string; sats: number; usd: number | null; eur: number | null; deposits: Array<{ address: string; transfers: Array<{ txid: string; path: string[] }> }> }>; evidence: unknown[]; preserved: { captures: number; txs: number } };
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
    expect(report.preserved.captures).toBeGreaterThan(0);
    const after = await counts();
    expect(after.captures - before.captures).toBe(report.preserved.captures);
    expect(after.fetches - before.fetches).toBe(report.preserved.captures);
    expect(after.txs - before.txs).toBe(report.preserved.txs);
    // The STIX bundle passes DarkPatrol's own importer (STIX 2.1 validator rules).
    const bundle = JSON.parse(readFileSync(stix, 'utf8')) as { objects: unknown[] };
    const imported = importBundle(bundle);
    expect(imported.objects.length).toBe(bundle.objects.length);
    expect(imported.selectors.map((x) => x.value)).toContain(report.exchanges[0]!.deposits[0]!.address);
    const files = readdirSync(requests);
    expect(files.length).toBe(report.exchanges.length);
    const letter = readFileSync(path.join(requests, files[0]!), 'utf8');
    expect(letter).toContain('DRAFT');
    expect(letter).toContain('NL-2025-17');
    expect(letter).toContain(report.exchanges[0]!.deposits[0]!.address);
  }, 200_000);

  it('fails clearly on a node answering malformed JSON and writes nothing', async () => {
    const before = await counts();
    server.fault = 'malformed';
    try {
      const r = await run(['money', 'trace', '--agency', 'nl-pol', '--esplora', server.esploraUrl, '--vendor', String(vendorId), '--evidence-dir', evidence]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('chain source failed (malformed)');
      expect(r.stderr).toContain('nothing was written');
    } finally {
      server.fault = 'none';
    }
    expect(await counts()).toEqual(before);
  }, 200_000);
});
