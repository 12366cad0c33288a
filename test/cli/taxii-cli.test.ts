// The TAXII and third-party import commands as a user runs them: child processes of bin/darkpatrol.js on one
// throwaway data directory, pulling from a TAXII 2.1 server written for this test (the real server is tested in
// test/server/taxii.test.ts; a PGlite data directory cannot be opened by the CLI and a server at once).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDueSubscriptions, TAXII_MEDIA_TYPE, taxiiDb } from '../../src/exchange/index.ts';
import { openStore } from '../../src/store/index.ts';

const BIN = path.resolve('bin/darkpatrol.js');
const EXAMPLE = path.resolve('../shared/conformance/stix2.1-examples/examples/example_json/indicator-for-malicious-url.json');
const fixture = (f: string) => path.resolve(import.meta.dirname, '../fixtures/stix', f);

describe('darkpatrol taxii / package import --unsigned', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-taxii-cli-'));
  const dataDir = path.join(dir, 'db');
  let srv: Server;
  let url: string;
  const requests: { auth?: string; added_after: string | null }[] = [];
  const objects = (JSON.parse(readFileSync(fixture('misp-wallets.json'), 'utf8')) as { objects: Record<string, unknown>[] }).objects;

  function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [BIN, '--data-dir', dataDir, ...args], { timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    const store = await openStore({ dataDir });
    try {
      await store.db.insertInto('agencies').values([{ code: 'NL-POL', name: 'Politie NL', country: 'NL', contact_point: 'desk' }, { code: 'DE-BKA', name: 'BKA', country: 'DE', contact_point: 'desk' }]).execute();
    } finally {
      await store.close();
    }
    // Serves the MISP export as one collection, two objects a page, paging by next.
    srv = createServer((req, res) => {
      const u = new URL(req.url!, 'http://x');
      requests.push({ auth: req.headers.authorization, added_after: u.searchParams.get('added_after') });
      if (u.pathname !== '/api/collections/misp/objects/') return void res.writeHead(404, { 'content-type': TAXII_MEDIA_TYPE }).end('{"title":"not found"}');
      const after = u.searchParams.get('added_after');
      const start = Number(u.searchParams.get('next') ?? 0);
      const added = objects.map((_, i) => `2025-06-01T00:00:${String(i).padStart(2, '0')}.000000Z`);
      const idx = objects.map((_, i) => i).filter((i) => !after || added[i]! > after).slice(start, start + 2);
      const total = objects.map((_, i) => i).filter((i) => !after || added[i]! > after).length;
      const headers: Record<string, string> = { 'content-type': TAXII_MEDIA_TYPE };
      if (idx.length) Object.assign(headers, { 'x-taxii-date-added-first': added[idx[0]!]!, 'x-taxii-date-added-last': added[idx[idx.length - 1]!]! });
      const more = start + 2 < total;
      res.writeHead(200, headers).end(JSON.stringify({ more, ...(more ? { next: String(start + 2) } : {}), objects: idx.map((i) => objects[i]) }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/api/collections/misp/`;
  }, 120_000);

  afterAll(async () => {
    await new Promise((r) => srv?.close(r));
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('creates and lists a collection', async () => {
    const r = await run(['taxii', 'collection', 'add', '--agency', 'nl-pol', '--title', 'NL shared', '--alias', 'nl-shared', '--tlp', 'GREEN', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ alias: 'nl-shared', tlp: 'GREEN' });
    const dup = await run(['taxii', 'collection', 'add', '--agency', 'nl-pol', '--title', 'again', '--alias', 'nl-shared']);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/exists/);
  }, 300_000);

  it('pulls a partner collection into an unverified third-party import, with the token from the environment', async () => {
    const r = await run(['taxii', 'pull', url, '--agency', 'de-bka', '--tlp', 'amber', '--json'], { DARKPATROL_TAXII_SECRET: 'partner-token' });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { objects: number; importId: number; tlp: string; lastDateAdded: string };
    expect(out.objects).toBe(objects.length);
    expect(out.tlp).toBe('AMBER');
    expect(requests.every((q) => q.auth === 'Bearer partner-token')).toBe(true);
    const bad = await run(['taxii', 'pull', 'http://127.0.0.1:1/not-taxii', '--agency', 'de-bka', '--tlp', 'amber']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/not a TAXII collection URL/);
  }, 300_000);

  it('subscribes and pulls on schedule, only what is new', async () => {
    requests.length = 0;
    const sub = await run(['taxii', 'subscribe', url, '--agency', 'de-bka', '--name', 'misp', '--tlp', 'green', '--user', 'bka', '--every', '60'], { DARKPATROL_TAXII_SECRET: 'pw' });
    expect(sub.code, sub.stderr).toBe(0);
    const first = await run(['taxii', 'schedule', '--once', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual([expect.objectContaining({ subscription: 'misp', ok: true, objects: objects.length })]);
    expect(requests[0]!.auth).toBe(`Basic ${Buffer.from('bka:pw').toString('base64')}`);
    const store = await openStore({ dataDir });
    try {
      expect(await runDueSubscriptions(store.db)).toEqual([]); // not due for an hour
      const t = taxiiDb(store.db);
      await t.updateTable('taxii_subscriptions').set({ last_run_at: new Date(Date.now() - 2 * 3600_000) }).execute();
      const s = await t.selectFrom('taxii_subscriptions').select('added_after').executeTakeFirstOrThrow();
      expect(s.added_after).toBe(`2025-06-01T00:00:${String(objects.length - 1).padStart(2, '0')}.000000Z`);
    } finally {
      await store.close();
    }
    requests.length = 0;
    const third = await run(['taxii', 'schedule', '--once', '--json']);
    expect(JSON.parse(third.stdout)).toEqual([expect.objectContaining({ ok: true, objects: 0 })]);
    expect(requests[0]!.added_after).toBe(`2025-06-01T00:00:${String(objects.length - 1).padStart(2, '0')}.000000Z`);
  }, 300_000);

  it('imports an unsigned OASIS example with --unsigned, refuses it without, and refuses an invalid bundle', async () => {
    const refused = await run(['package', 'import', EXAMPLE, '--agency', 'de-bka', '--trust', fixture('misp-wallets.json')]);
    expect(refused.code).toBe(2);
    const r = await run(['package', 'import', EXAMPLE, '--unsigned', '--source', 'OASIS cti-documentation', '--tlp', 'green', '--agency', 'de-bka', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ verified: false, source: 'OASIS cti-documentation', tlp: 'GREEN' });
    const bad = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as { objects: Record<string, unknown>[] };
    const ind = bad.objects.find((o) => o.type === 'indicator')!;
    ind.modified = '2000-01-01T00:00:00.000Z';
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(bad));
    const rej = await run(['package', 'import', path.join(dir, 'bad.json'), '--unsigned', '--source', 'x', '--tlp', 'green', '--agency', 'de-bka']);
    expect(rej.code).toBe(2);
    expect(rej.stderr).toMatch(/modified .* before created/);
    const store = await openStore({ dataDir });
    try {
      const rows = await taxiiDb(store.db).selectFrom('intel_imports').select(['source', 'via', 'tlp']).orderBy('id').execute();
      expect(rows.map((x) => x.via)).toEqual(['taxii', 'taxii', 'file']);
      const audit = await store.db.selectFrom('audit_log').select('action').where('action', 'like', 'intel.import%').execute();
      expect(audit.map((a) => a.action).sort()).toEqual(['intel.import', 'intel.import.rejected']);
    } finally {
      await store.close();
    }
  }, 300_000);
});
