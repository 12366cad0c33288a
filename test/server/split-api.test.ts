// The seized-data split through the API: a real sim dump imported with the dump importer for NL-POL, split per
// country by POST /api/exchange/split with the agency's key. Each package served is checked against the signed index
// (file SHA-256), against the agency's public key, and against the stage's own split of the same market;
// another agency, a role without exchange rights, a market that is not a seized dump and hostile bodies are refused.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJwk, splitSeizedMarket, verifyPackage, verifySplitIndex } from '../../src/exchange/index.ts';
import type { AgencyPublicKey, SignedSplitIndex } from '../../src/exchange/index.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { importSeizedDump, type ImportedSeized } from '../helpers/seized.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

interface SplitAnswer {
  market: { id: number; slug: string; name: string };
  tlp: string;
  keyId: string;
  index: SignedSplitIndex;
  packages: { country: string; file: string; fileSha256: string; bytes: number; objects: number; evidence: number; buyers: number; vendors: number; orders: number; messages: number; selectors: number; package: { bundle: { objects: unknown[] }; manifest: { evidence: { sha256: string }[]; tlp: string } } }[];
  unplaced: { buyers: number; vendors: number; orders: number };
}

let store: TestStore;
let app: App;
let s: Seeded;
let imported: ImportedSeized;
let nl: SessionHeaders;
let de: SessionHeaders;

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  imported = await importSeizedDump(store.db, s.agencyIds['NL-POL'], 'split-api');
  app = await buildServer({ store, webRoot: false, rateLimit: false, logger: false });
  await app.ready();
  nl = await loginCookie(app, s.username('NL-POL', 'investigator'));
  de = await loginCookie(app, s.username('DE-BKA', 'investigator'));
}, 300_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
  imported?.cleanup();
});

describe('seized-data split API', () => {
  it("lists only the agency's own seized markets", async () => {
    const mine = await app.inject({ method: 'GET', url: '/api/exchange/seized-markets', headers: nl });
    expect(mine.statusCode).toBe(200);
    const items = (mine.json() as { items: { id: number; slug: string; accounts: number; orders: number }[] }).items;
    expect(items.map((m) => m.id)).toEqual([imported.summary.marketId]);
    const orders = await store.db.selectFrom('orders').select((e) => e.fn.countAll<string>().as('n')).where('market_id', '=', imported.summary.marketId).executeTakeFirstOrThrow();
    expect(items[0]!.orders).toBe(Number(orders.n));
    expect(items[0]!.orders).toBeGreaterThan(0);
    const theirs = await app.inject({ method: 'GET', url: '/api/exchange/seized-markets', headers: de });
    expect(theirs.json()).toEqual({ items: [] });
  });

  it('splits the market into signed per-country packages whose files match the signed index, audited', async () => {
    const r = await app.inject({ method: 'POST', url: '/api/exchange/split', headers: nl, payload: { marketId: imported.summary.marketId, tlp: 'AMBER+STRICT' } });
    expect(r.statusCode, r.body).toBe(200);
    const a = r.json() as SplitAnswer;
    // The same countries and counts as the stage's own split of the market.
    const stage = await splitSeizedMarket(store.db, imported.summary.marketId, { producer: { agencyId: 'NL-POL', name: 'x' }, tlp: 'AMBER+STRICT' });
    expect(stage.packages.length).toBeGreaterThan(5);
    expect(a.packages.map((p) => [p.country, p.buyers, p.vendors, p.orders, p.messages, p.selectors, p.objects])).toEqual(
      stage.packages.map((p) => [p.country, p.buyers.length, p.vendors.length, p.orders, p.messages, p.selectors, p.bundle.objects.length]),
    );
    expect(a.unplaced).toEqual(stage.unplaced);
    // The index verifies with the agency's published key; each file (as it would be written) hashes to its entry.
    const jwk = (await app.inject({ method: 'GET', url: '/api/exchange/key', headers: nl })).json() as { keyId: string; jwk: unknown };
    const pub = importJwk(jwk.jwk) as AgencyPublicKey;
    expect(a.keyId).toBe(jwk.keyId);
    const index = verifySplitIndex(a.index, [pub]);
    expect(index.tlp).toBe('AMBER+STRICT');
    expect(index.packages.map((p) => p.country)).toEqual(a.packages.map((p) => p.country));
    const dump = await store.db.selectFrom('captures').select('payload_sha256').where('id', '=', imported.summary.captureId).executeTakeFirstOrThrow();
    for (const p of a.packages) {
      const text = `${JSON.stringify(p.package, null, 2)}\n`;
      const entry = index.packages.find((e) => e.country === p.country)!;
      expect(createHash('sha256').update(text).digest('hex'), p.country).toBe(entry.fileSha256);
      expect(p.fileSha256).toBe(entry.fileSha256);
      expect(p.bytes).toBe(Buffer.byteLength(text));
      expect(verifyPackage(p.package, [pub]).signer.agencyId).toBe('NL-POL');
      expect(p.package.manifest.tlp).toBe('AMBER+STRICT');
      expect(p.evidence).toBe(p.package.manifest.evidence.length);
      expect(p.package.manifest.evidence.map((e) => e.sha256), p.country).toContain(dump.payload_sha256); // the preserved dump
    }
    const audit = (await store.db.selectFrom('audit_log').select(['object_id', 'detail']).where('action', '=', 'package.split_seized').execute()).filter((x) => (x.detail as { status: number }).status === 200);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.object_id).toBe(String(imported.summary.marketId));
    const detail = audit[0]!.detail as { countries: string[]; files: { sha256: string }[]; status: number };
    expect(detail.countries).toEqual(a.packages.map((p) => p.country));
    expect(detail.files.map((f) => f.sha256)).toEqual(a.packages.map((p) => p.fileSha256));
  });

  it("refuses another agency's market (as not found), a role without exchange rights, a market that is not a seized dump, and hostile bodies", async () => {
    const id = imported.summary.marketId;
    const other = await app.inject({ method: 'POST', url: '/api/exchange/split', headers: de, payload: { marketId: id } });
    expect(other.statusCode).toBe(404);
    expect(other.body).not.toContain(imported.summary.market);
    const analyst = await loginCookie(app, s.username('NL-POL', 'analyst'));
    expect((await app.inject({ method: 'POST', url: '/api/exchange/split', headers: analyst, payload: { marketId: id } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/exchange/seized-markets', headers: analyst })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/api/exchange/split', payload: { marketId: id } })).statusCode).toBe(401);
    const crawled = await app.inject({ method: 'POST', url: '/api/exchange/split', headers: nl, payload: { marketId: s.rows['NL-POL'].CLEAR.market } });
    expect(crawled.statusCode).toBe(400);
    expect(crawled.json().message).toMatch(/not a seized database/);
    for (const payload of [{ marketId: -1 }, { marketId: 'x' }, { marketId: id, tlp: 'PURPLE' }, { marketId: 2 ** 40 }, {}]) {
      const r = await app.inject({ method: 'POST', url: '/api/exchange/split', headers: nl, payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await app.inject({ method: 'POST', url: '/api/exchange/split', headers: nl, payload: { marketId: 999_999 } })).statusCode).toBe(404);
  });
});
