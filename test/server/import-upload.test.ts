import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/server/index.ts';
import { fixtureDir } from '../helpers/fixtures.ts';
import type { TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { startImportApi, type ImportApi } from './import-api.ts';
import type { Seeded } from './seed.ts';

// Upload of import files through the API into the workers' import directory, then the real import job on it
// (a real worker on the same store): a real Telegram Desktop export, and a CSV with a bad row (reject report).
const TELEGRAM = path.join(fixtureDir('telegram-chat-analytics'), 'DM_2A_7M.json');
const LIMIT = 64 * 1024;

let api: ImportApi;
let store: TestStore;
let app: App;
let s: Seeded;
let importDir: string;
let analyst: SessionHeaders;
let upload: ImportApi['upload'];
let runImport: ImportApi['runImport'];

beforeAll(async () => {
  api = await startImportApi({ importUploadLimit: LIMIT });
  ({ store, app, s, importDir, analyst, upload, runImport } = api);
}, 120_000);
afterAll(async () => {
  await api?.close();
});

const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.relative(importDir, path.join(d.parentPath, d.name)));

describe('import upload', () => {
  it('takes a real Telegram export under a server-chosen name, and the import job reads it', async () => {
    const bytes = readFileSync(TELEGRAM);
    const r = await upload('telegram', bytes, { name: 'DM_2A_7M.json' });
    expect(r.statusCode, r.body).toBe(201);
    const up = r.json() as { file: string; bytes: number; sha256: string; name: string };
    expect(up.file).toMatch(new RegExp(`^uploads/${s.agencyIds['NL-POL']}/[0-9a-f-]{36}\\.json$`));
    expect(up.bytes).toBe(bytes.length);
    expect(up.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(readFileSync(path.join(importDir, up.file)).equals(bytes)).toBe(true);
    const audit = await store.db.selectFrom('audit_log').select(['action', 'object_id', 'detail']).where('action', '=', 'import.upload').execute();
    expect(audit.map((a) => a.object_id)).toContain(up.file);

    const job = await runImport({ format: 'telegram', file: up.file });
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    expect(job.result!.fileSha256).toBe(up.sha256);
    expect(job.result!.rows as number).toBeGreaterThan(0);
    expect(job.progress.unit).toBe('bytes');
    expect(job.progress.done).toBe(bytes.length);
  }, 120_000);

  it('imports an uploaded CSV with its uploaded mapping and reports the bad row', async () => {
    const csv = 'id,vendor,title,price,currency\n1,AlphaVendor,Cocaine 1g,80,USD\n2,BetaShop,MDMA 10x,-5,EUR\n3,AlphaVendor,Ketamine 5g,120,USD\n';
    const c = await upload('csv', csv, { name: 'scrape.csv' });
    expect(c.statusCode, c.body).toBe(201);
    const m = await upload('csv-mapping', JSON.stringify({ id: 'id', vendor: 'vendor', title: 'title', price: 'price', currency: 'currency' }), { name: 'mapping.json' });
    expect(m.statusCode, m.body).toBe(201);
    const job = await runImport({ format: 'csv', file: (c.json() as { file: string }).file, mapping: (m.json() as { file: string }).file, market: 'upload-csv' });
    expect(job.error).toBeNull();
    expect(job.state).toBe('completed');
    expect(job.result!.rows).toBe(2);
    expect(job.result!.rejected).toBe(1);
    const rejects = job.result!.rejects as Array<{ line: number; offset: number; reason: string; raw: string }>;
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.line).toBe(3);
    expect(rejects[0]!.raw).toContain('BetaShop');
    expect(rejects[0]!.reason).toMatch(/price/i);
  }, 120_000);

  it('refuses bad input with a clear error and leaves no file behind', async () => {
    const before = filesUnder(importDir);
    const cases: Array<[Promise<{ statusCode: number; body: string }>, number, RegExp]> = [
      [upload('telegram', ''), 422, /empty_file/],
      [upload('telegram', 'id,vendor,title\n1,a,b\n'), 422, /wrong_kind.*Telegram/],
      [upload('csv', readFileSync(TELEGRAM)), 422, /wrong_kind.*CSV/],
      [upload('dump', 'hello world\n'), 422, /wrong_kind.*SQL/],
      [upload('csv-mapping', '{"vendor": 3}'), 422, /bad_mapping/],
      [upload('csv-mapping', 'not json'), 422, /wrong_kind/],
      [upload('csv', `id,vendor,title\n${'1,a,b\n'.repeat(LIMIT / 6 + 10)}`), 413, /too_large/],
      // Sent without a Content-Length (streamed): the limit is counted while writing.
      [app.inject({ method: 'POST', url: '/api/imports/uploads?kind=csv', headers: { ...analyst, 'content-type': 'application/octet-stream' }, payload: Readable.from((function* () {
        yield Buffer.from('id,vendor,title\n');
        for (let i = 0; i < 20; i++) yield Buffer.alloc(8 * 1024, '1,a,b\n');
      })()) }), 413, /too_large/],
      [upload('telegram', readFileSync(TELEGRAM), { name: '../../etc/passwd' }), 400, /bare file name/],
      [upload('telegram', readFileSync(TELEGRAM), { name: 'a\\b.json' }), 400, /bare file name/],
      [upload('zip', 'PK'), 400, /kind/],
      [app.inject({ method: 'POST', url: '/api/imports/uploads?kind=telegram', headers: analyst, payload: { messages: [] } }), 415, /octet-stream/],
    ];
    for (const [p, status, text] of cases) {
      const r = await p;
      expect(r.statusCode, r.body).toBe(status);
      expect(r.body).toMatch(text);
    }
    expect(filesUnder(importDir)).toEqual(before);
  }, 120_000);

  it('is for the roles that start jobs: an investigator and an anonymous caller are refused', async () => {
    const inv = await loginCookie(app, s.username('NL-POL', 'investigator'));
    expect((await upload('telegram', readFileSync(TELEGRAM), { headers: inv })).statusCode).toBe(403);
    const anon = await app.inject({ method: 'POST', url: '/api/imports/uploads?kind=telegram', headers: { 'content-type': 'application/octet-stream' }, payload: readFileSync(TELEGRAM) });
    expect(anon.statusCode).toBe(401);
  });
});
