// The exchange and de-confliction commands as a user runs them: child processes of bin/darkpatrol.js on one
// throwaway data directory. Setup (agencies, a seized sim dump imported, cases) runs in-process to keep the number
// of spawned processes small.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../../src/collect/index.ts';
import { generateWorld } from '../../src/sim/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import { openStore } from '../../src/store/index.ts';

const BIN = path.resolve('bin/darkpatrol.js');

describe('darkpatrol keys / package / case / notices / feed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-exchange-cli-'));
  const dataDir = path.join(dir, 'db');
  const evidence = path.join(dir, 'warc');
  const keys = path.join(dir, 'keys');
  const split = path.join(dir, 'split');
  let cases: { nl: number; de: number };
  let vendorId: number;

  function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, '--data-dir', dataDir, ...args], { timeout: 280_000, maxBuffer: 64 * 2 ** 20 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    const world = generateWorld({ seed: 'exchange-cli', scale: 'tiny' });
    const file = path.join(dir, 'seized.sql');
    const parts: string[] = [];
    dumpSeized(world, world.seized[0]!, (c) => parts.push(c));
    writeFileSync(file, parts.join(''));
    const store = await openStore({ dataDir });
    try {
      const agency = async (code: string, name: string, country: string, contact: string) =>
        (await store.db.insertInto('agencies').values({ code, name, country, contact_point: contact }).returning('id').executeTakeFirstOrThrow()).id;
      const nl = await agency('NL-POL', 'Politie NL', 'NL', 'THTC desk');
      const de = await agency('DE-BKA', 'BKA', 'DE', 'SO41 desk');
      await importMysqlDump({ db: store.db, evidenceDir: evidence, agencyId: nl, file, market: 'umbra-seized', mapping: SIM_SEIZED_MAPPING });
      const mk = async (agencyId: number, reference: string, contact: string) =>
        (await store.db.insertInto('cases').values({ agency_id: agencyId, reference, title: `secret title ${reference}`, contact_point: contact }).returning('id').executeTakeFirstOrThrow()).id;
      cases = { nl: await mk(nl, 'NL-2025-17', 'THTC desk +31 88 000'), de: await mk(de, 'BKA-SO41-9', 'SO41 desk +49 611 55 0') };
      vendorId = (await store.db.selectFrom('listings').select('vendor_id').where('vendor_id', 'is not', null).orderBy('id').executeTakeFirstOrThrow()).vendor_id!;
    } finally {
      await store.close();
    }
  }, 300_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a key pair with a private file only its owner can read', async () => {
    const r = await run(['keys', 'generate', '--agency', 'nl-pol', '--out', keys, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { keyId: string; privateJwk: string; publicJwk: string };
    expect(out.keyId).toMatch(/^ed25519:[0-9a-f]{32}$/);
    expect(statSync(out.privateJwk).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out.publicJwk, 'utf8'))).not.toHaveProperty('d');
  }, 300_000);

  it('splits the seized market into signed per-country packages that verify; a tampered package is rejected on verify and on import', async () => {
    const s = await run(['package', 'split-seized', '--market', 'umbra-seized', '--out', split, '--key', path.join(keys, 'NL-POL.private.jwk'), '--tlp', 'amber+strict', '--json']);
    expect(s.code, s.stderr).toBe(0);
    const summary = JSON.parse(s.stdout) as { packages: { country: string; file: string; buyers: number; vendors: number }[]; tlp: string };
    expect(summary.tlp).toBe('AMBER+STRICT');
    expect(summary.packages.length).toBeGreaterThan(5);
    const de = summary.packages.find((p) => p.country === 'DE')!;
    expect(de.buyers).toBeGreaterThan(0);

    const v = await run(['package', 'verify', path.join(split, 'index.json'), '--trust', path.join(keys, 'NL-POL.public.jwk'), '--json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { valid: boolean; packages: { valid: boolean }[] };
    expect(report.valid).toBe(true);
    expect(report.packages).toHaveLength(summary.packages.length + 1);

    // Change one character of one note: the bundle no longer matches the signed manifest.
    const pkg = JSON.parse(readFileSync(path.join(split, 'DE.json'), 'utf8')) as { bundle: { objects: { type: string; content?: string }[] } };
    const note = pkg.bundle.objects.find((o) => o.type === 'note')!;
    note.content = `${note.content!.slice(0, -1)}X`;
    const tampered = path.join(dir, 'DE-tampered.json');
    writeFileSync(tampered, JSON.stringify(pkg));
    const bad = await run(['package', 'verify', tampered, '--trust', path.join(keys, 'NL-POL.public.jwk')]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/REJECTED \(bundle_tampered\): bundle does not match its signed manifest: SHA-256 [0-9a-f]{64} is not the signed [0-9a-f]{64}/);
    const badImport = await run(['package', 'import', tampered, '--trust', path.join(keys, 'NL-POL.public.jwk'), '--agency', 'DE-BKA', '--evidence-dir', evidence]);
    expect(badImport.code).toBe(2);
    expect(badImport.stderr).toMatch(/rejected \(bundle_tampered\): bundle does not match its signed manifest/);
    expect(badImport.stderr).not.toMatch(/at .*\.ts:\d+/);

    const ok = await run(['package', 'import', path.join(split, 'DE.json'), '--trust', path.join(keys, 'NL-POL.public.jwk'), '--agency', 'DE-BKA', '--evidence-dir', evidence, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const imported = JSON.parse(ok.stdout) as { signer: { agencyId: string }; tlp: string; storedSelectors: number; storedAccounts: number };
    expect(imported).toMatchObject({ signer: { agencyId: 'NL-POL' }, tlp: 'AMBER+STRICT' });
    expect(imported.storedSelectors).toBeGreaterThan(0);
    expect(imported.storedAccounts).toBe(de.buyers + de.vendors); // the package's accounts: DE's buyers and vendors

    const store = await openStore({ dataDir });
    try {
      const actions = (await store.db.selectFrom('audit_log').select(['action', 'detail']).orderBy('id').execute()).map((a) => a.action);
      expect(actions).toEqual(expect.arrayContaining(['package.split_seized', 'package.import.rejected', 'package.import']));
      const kept = await store.db.selectFrom('selector_sightings').select(['tlp']).where('source', '=', 'import').execute();
      expect(kept.length).toBe(imported.storedSelectors);
      expect(kept.every((k) => k.tlp === 'AMBER+STRICT')).toBe(true); // the marking travels with what it marked
    } finally {
      await store.close();
    }
  }, 600_000);

  it('registers the same selector on two agencies\' cases: both are told whom to call, not what the other case is', async () => {
    const a = await run(['case', 'selector', 'add', String(cases.nl), '--type', 'vendor_handle', '--value', '@DutchMagic ', '--json']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ registered: 1, notices: [] });
    const b = await run(['case', 'selector', 'add', String(cases.de), '--type', 'vendor_handle', '--value', 'dutchmagic', '--json']);
    expect(b.code, b.stderr).toBe(0);
    const hit = JSON.parse(b.stdout) as { notices: { hitId: number; yourSelector: { value: string }; other: { agencyCode: string; contactPoint: string } }[] };
    expect(hit.notices).toHaveLength(1);
    expect(hit.notices[0]).toMatchObject({ yourSelector: { value: 'dutchmagic' }, other: { agencyCode: 'NL-POL', contactPoint: 'THTC desk +31 88 000' } });
    expect(b.stdout).not.toContain('NL-2025-17');
    expect(b.stdout).not.toContain('secret title');

    const ack = await run(['notices', '--agency', 'NL-POL', '--ack', String(hit.notices[0]!.hitId), '--json']);
    expect(ack.code, ack.stderr).toBe(0);
    const n = JSON.parse(ack.stdout) as { other: { agencyCode: string; contactPoint: string }; acknowledgedAt: string | null };
    expect(n.other).toMatchObject({ agencyCode: 'DE-BKA', contactPoint: 'SO41 desk +49 611 55 0' });
    expect(n.acknowledgedAt).not.toBeNull();
    expect(ack.stdout).not.toContain('BKA-SO41-9');

    const list = await run(['case', 'list', '--agency', 'NL-POL', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: cases.nl, reference: 'NL-2025-17', selectors: 1 })]);
    const badKind = await run(['case', 'selector', 'add', String(cases.nl), '--type', 'shoe_size', '--value', '44']);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toMatch(/unknown kind shoe_size/);
  }, 600_000);

  it('writes a TLP-marked postal feed as CSV and exports a vendor as a valid signed package', async () => {
    const csv = path.join(dir, 'postal-de.csv');
    const f = await run(['feed', 'postal', '--partner-country', 'DE', '--agency', 'NL-POL', '--csv', '--out', csv, '--json']);
    expect(f.code, f.stderr).toBe(0);
    const text = readFileSync(csv, 'utf8').split('\r\n');
    expect(text[0]).toBe('# TLP:AMBER');
    expect(text[1]).toBe('kind,value,label,country,first_seen');
    const vendors = (JSON.parse(f.stdout) as { vendors: number }).vendors;
    expect(vendors).toBeGreaterThan(0);
    expect(text.filter((l) => l.startsWith('vendor_handle,')).length).toBe(vendors);

    const out = path.join(dir, 'vendor.json');
    const e = await run(['package', 'export', '--vendor', String(vendorId), '--key', path.join(keys, 'NL-POL.private.jwk'), '--out', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    const exported = JSON.parse(e.stdout) as { valid: boolean; objects: number; evidence: number; tlp: string };
    expect(exported).toMatchObject({ valid: true, evidence: 1, tlp: 'AMBER' });
    const pkg = JSON.parse(readFileSync(out, 'utf8')) as { format: string; bundle: { objects: { type: string }[] } };
    expect(pkg.format).toBe('darkpatrol-signed-package');
    expect(pkg.bundle.objects.map((o) => o.type)).toEqual(expect.arrayContaining(['threat-actor', 'user-account', 'cryptocurrency-wallet', 'report']));

    // The MISP view beside the signed package: every wallet of the package as a MISP btc/xmr attribute (or a
    // coin-address object), in a grouping misp-stix routes to its internal parser.
    const mispFile = path.join(dir, 'vendor.misp.json');
    const m = await run(['package', 'export', '--vendor', String(vendorId), '--key', path.join(keys, 'NL-POL.private.jwk'), '--out', out, '--misp', mispFile, '--force', '--json']);
    expect(m.code, m.stderr).toBe(0);
    const withMisp = JSON.parse(m.stdout) as { misp: { file: string; attributes: number; persons: number; omitted: string[] } };
    expect(withMisp.misp).toMatchObject({ file: mispFile, persons: 1, omitted: [] });
    const signed = JSON.parse(readFileSync(out, 'utf8')) as { bundle: { objects: { type: string; currency?: string; value?: string }[] } };
    const view = JSON.parse(readFileSync(mispFile, 'utf8')) as { type: string; objects: { type: string; labels?: string[]; x_misp_type?: string; x_misp_value?: string; x_misp_attributes?: { value: string }[] }[] };
    expect(view.type).toBe('bundle');
    expect(view.objects.find((o) => o.type === 'grouping')!.labels).toContain('misp:tool="MISP-STIX-Converter"');
    const wallets = signed.bundle.objects.filter((o) => o.type === 'cryptocurrency-wallet');
    expect(wallets.length).toBeGreaterThan(0);
    const mispValues = new Set(view.objects.flatMap((o) => [o.x_misp_value, ...(o.x_misp_attributes ?? []).map((a) => a.value)]));
    for (const w of wallets) expect(mispValues.has(w.value), `wallet ${w.value}`).toBe(true);
    expect(view.objects.filter((o) => o.x_misp_type === 'btc' || o.x_misp_type === 'xmr').length).toBe(wallets.filter((w) => w.currency === 'BTC' || w.currency === 'XMR').length);
    const again = await run(['package', 'export', '--vendor', String(vendorId), '--key', path.join(keys, 'NL-POL.private.jwk'), '--out', path.join(dir, 'other.json'), '--misp', mispFile]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/vendor\.misp\.json exists; use --force/);

    const neither = await run(['package', 'export', '--key', path.join(keys, 'NL-POL.private.jwk'), '--out', out]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/exactly one of --identity/);
  }, 600_000);
});
