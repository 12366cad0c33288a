// The money routes against the sim ledger served on loopback (real Esplora and Bitcoin Core RPC endpoints from
// src/sim), on a store holding a seized market's database: trace, report, draft requests and the financial partner
// feed; a source that hangs or answers malformed JSON gives a 502 and leaves nothing behind.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importMysqlDump, SIM_SEIZED_MAPPING } from '../../src/collect/index.ts';
import { exportTagPack, parseTagPack, saveTagPack } from '../../src/money/index.ts';
import { buildServer, createApiToken, SCOPES, type App, type ServerOptions } from '../../src/server/index.ts';
import { dumpSeized } from '../../src/sim/exports/index.ts';
import { generateLedger, publicTags, serveLedger, type Ledger, type LedgerServer } from '../../src/sim/ledger/index.ts';
import { generateWorld } from '../../src/sim/world/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';

interface Report {
  id: number;
  source: string;
  clusterAddresses: string[];
  preserved: { captures: number; txs: number };
  exchanges: Array<{ label: string; btc: number; usd: number | null; eur: number | null; deposits: Array<{ address: string; firstDate: string | null; transfers: Array<{ txid: string; date: string | null; btc: number; usd: number | null; eur: number | null; path: string[] }> }> }>;
  evidence: unknown[];
}

describe('money API', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-money-api-'));
  const evidence = path.join(dir, 'warc');
  let store: TestStore;
  let ledger: Ledger;
  let good: LedgerServer;
  let bad: LedgerServer;
  const apps: App[] = [];
  let identityId: number;
  let trueIdentity: string;
  let analyst: string;
  let partner: string;
  let otherPartner: string;

  const appWith = async (chain?: ServerOptions['chain']) => {
    const app = await buildServer({ store, webRoot: false, rateLimit: false, logger: false, chain });
    await app.ready();
    apps.push(app);
    return app;
  };
  const auth = (t: string) => ({ authorization: `Bearer ${t}` });
  const count = async (t: 'captures' | 'chain_fetches' | 'chain_txs' | 'money_reports' | 'money_requests') =>
    Number((await store.db.selectFrom(t).select((e) => e.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const counts = async () => ({ captures: await count('captures'), fetches: await count('chain_fetches'), txs: await count('chain_txs'), reports: await count('money_reports') });

  beforeAll(async () => {
    const world = generateWorld({ seed: 'money-api', scale: 'tiny' });
    ledger = generateLedger(world);
    good = await serveLedger(ledger);
    bad = await serveLedger(ledger);
    const file = path.join(dir, 'seized.sql');
    const parts: string[] = [];
    dumpSeized(world, world.seized[0]!, (c) => parts.push(c));
    writeFileSync(file, parts.join(''));
    store = await openTestStore();
    const nl = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'Politie NL', country: 'NL', contact_point: 'THTC' }).returning('id').executeTakeFirstOrThrow()).id;
    const bank = (await store.db.insertInto('agencies').values({ code: 'NL-BANK', name: 'A bank', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    const other = (await store.db.insertInto('agencies').values({ code: 'DE-BANK', name: 'Another bank', country: 'DE' }).returning('id').executeTakeFirstOrThrow()).id;
    await importMysqlDump({ db: store.db, evidenceDir: evidence, agencyId: nl, file, market: 'seized', mapping: SIM_SEIZED_MAPPING });
    await saveTagPack(store.db, nl, parseTagPack(exportTagPack({ title: 'sim services', creator: 'test', isPublic: true, tags: publicTags(ledger) })));
    // An identity around a seized vendor whose withdrawal address received money and who cashed out.
    const rows = await store.db.selectFrom('selector_sightings as s').innerJoin('selectors as sel', 'sel.id', 's.selector_id')
      .select(['s.vendor_id', 'sel.value']).where('sel.kind', '=', 'btc_address').where('s.vendor_id', 'is not', null).execute();
    const cashedOut = new Set(ledger.truth.cashouts.map((c) => `vendor:${c.identityId}`));
    const pick = rows.find((r) => cashedOut.has(ledger.truth.owner.get(r.value) ?? '') && (ledger.addressTxs.get(r.value)?.length ?? 0) > 2);
    expect(pick).toBeDefined();
    trueIdentity = (ledger.truth.owner.get(pick!.value) as string).slice('vendor:'.length);
    const ident = await store.db.insertInto('identities').values({ agency_id: nl, tlp: 'AMBER', label: 'money-api subject' }).returning('id').executeTakeFirstOrThrow();
    identityId = ident.id;
    await store.db.insertInto('identity_members').values({ identity_id: identityId, vendor_id: pick!.vendor_id! }).execute();
    analyst = (await createApiToken(store.db, { agencyId: nl, name: 'analyst', role: 'analyst', scopes: SCOPES })).token;
    partner = (await createApiToken(store.db, { agencyId: bank, name: 'bank-feed', role: 'partner', scopes: ['feed'] })).token;
    otherPartner = (await createApiToken(store.db, { agencyId: other, name: 'other-feed', role: 'partner', scopes: ['feed'] })).token;
  }, 200_000);

  afterAll(async () => {
    for (const a of apps) await a.close();
    await good?.close();
    await bad?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the identity\'s addresses with their evidence, and refuses a trace (409) when no chain source is configured', async () => {
    const app = await appWith();
    const r = await app.inject({ method: 'GET', url: `/api/identities/${identityId}/money`, headers: auth(analyst) });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { sourceConfigured: boolean; addresses: Array<{ address: string; sightings: Array<{ source: string }> }>; report: null };
    expect(body.sourceConfigured).toBe(false);
    expect(body.report).toBeNull();
    expect(body.addresses.length).toBeGreaterThan(0);
    for (const a of body.addresses) expect(ledger.truth.owner.get(a.address)).toBe(`vendor:${trueIdentity}`);
    const t = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/trace`, headers: auth(analyst), payload: {} });
    expect(t.statusCode).toBe(409);
    expect(t.json().message).toContain('--chain-esplora');
    const q = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/requests`, headers: auth(analyst), payload: {} });
    expect(q.statusCode).toBe(409);
    expect(q.json().message).toContain('run a trace first');
  }, 60_000);

  let esploraReport: Report;
  it('traces over Esplora to the true exchanges, keeps the report and the fetched chain data, and serves it back', async () => {
    const app = await appWith({ esplora: good.esploraUrl, evidenceDir: evidence });
    const before = await counts();
    const t = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/trace`, headers: auth(analyst), payload: { hops: 6 } });
    expect(t.statusCode, t.body).toBe(201);
    esploraReport = t.json() as Report;
    const truth = ledger.truth.cashouts.filter((c) => c.identityId === trueIdentity);
    const trueNames = new Set(truth.map((c) => ledger.exchanges.find((e) => e.slug === c.exchange)?.name));
    expect(esploraReport.exchanges.length).toBeGreaterThan(0);
    for (const e of esploraReport.exchanges) {
      expect(trueNames.has(e.label)).toBe(true);
      expect(e.usd).toBeGreaterThan(0);
      expect(e.eur).toBeGreaterThan(0);
      for (const d of e.deposits) {
        expect(truth.some((c) => c.depositAddress === d.address)).toBe(true);
        expect(d.firstDate).toMatch(/^\d{4}-\d\d-\d\d$/);
        for (const x of d.transfers) expect(x.txid).toMatch(/^[0-9a-f]{64}$/);
      }
    }
    expect(esploraReport.preserved.captures).toBeGreaterThan(0);
    const after = await counts();
    expect(after.captures - before.captures).toBe(esploraReport.preserved.captures);
    expect(after.reports - before.reports).toBe(1);
    const g = await app.inject({ method: 'GET', url: `/api/identities/${identityId}/money`, headers: auth(analyst) });
    const got = g.json() as { report: Report; sourceConfigured: boolean };
    expect(got.sourceConfigured).toBe(true);
    expect(got.report.id).toBe(esploraReport.id);
    expect(got.report.exchanges).toEqual(esploraReport.exchanges);
    const audit = (await store.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'money.trace').execute()).map((a) => a.detail as { status: number; report?: number });
    expect(audit.filter((a) => a.status === 201).map((a) => a.report)).toEqual([esploraReport.id]);
    expect(audit.filter((a) => a.status === 409)).toHaveLength(1); // the refused trace of the first test
  }, 200_000);

  it('traces the same cash-outs over Bitcoin Core RPC (block range from the first block)', async () => {
    const app = await appWith({ rpc: { url: good.rpcUrl } });
    const t = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/trace`, headers: auth(analyst), payload: { from: ledger.blocks[0]!.height } });
    expect(t.statusCode, t.body).toBe(201);
    const r = t.json() as Report;
    expect(r.source).toContain('bitcoin-core');
    const summary = (x: Report) => x.exchanges.map((e) => [e.label, e.btc, e.deposits.map((d) => d.address)]);
    expect(summary(r)).toEqual(summary(esploraReport));
    const bad = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/trace`, headers: auth(analyst), payload: { from: 10, to: 5 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('block range');
  }, 200_000);

  for (const fault of ['hang', 'malformed'] as const) {
    it(`answers 502 with a clear message when the source ${fault === 'hang' ? 'times out' : 'answers malformed JSON'}, and keeps nothing`, async () => {
      const app = await appWith(fault === 'hang' ? { esplora: bad.esploraUrl, timeoutMs: 300, evidenceDir: evidence } : { rpc: { url: bad.rpcUrl }, evidenceDir: evidence });
      const before = await counts();
      bad.fault = fault;
      try {
        const t = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/trace`, headers: auth(analyst), payload: {} });
        expect(t.statusCode).toBe(502);
        const e = t.json() as { error: string; message: string };
        expect(e.error).toBe('chain_source_failed');
        expect(e.message).toContain(fault === 'hang' ? '(timeout)' : '(malformed)');
        expect(e.message).toContain('nothing was kept');
      } finally {
        bad.fault = 'none';
      }
      expect(await counts()).toEqual(before);
      const g = await app.inject({ method: 'GET', url: `/api/identities/${identityId}/money`, headers: auth(analyst) });
      expect((g.json() as { report: Report }).report.source).toContain('bitcoin-core'); // still the last good report
    }, 60_000);
  }

  it('drafts a request per exchange (audited) and delivers it only to the partner it is addressed to', async () => {
    const app = await appWith();
    const label = esploraReport.exchanges[0]!.label;
    const unknown = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/requests`, headers: auth(analyst), payload: { exchange: 'No Such Exchange' } });
    expect(unknown.statusCode).toBe(400);
    const r = await app.inject({ method: 'POST', url: `/api/identities/${identityId}/money/requests`, headers: auth(analyst), payload: { exchange: label, caseRef: 'NL-2026-17', partnerAgency: 'nl-bank' } });
    expect(r.statusCode, r.body).toBe(201);
    const made = r.json() as { partnerAgency: string; requests: Array<{ id: number; exchange: string; body: string }> };
    expect(made.partnerAgency).toBe('NL-BANK');
    expect(made.requests).toHaveLength(1);
    const draft = made.requests[0]!;
    expect(draft.body).toContain('DRAFT');
    expect(draft.body).toContain('NL-2026-17');
    expect(draft.body).toContain(esploraReport.exchanges[0]!.deposits[0]!.address);
    const audit = (await store.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'money.request').execute()).map((a) => a.detail as { status: number; requests?: number[] });
    expect(audit.filter((a) => a.status === 201).map((a) => a.requests)).toEqual([[draft.id]]);
    const feed = await app.inject({ method: 'GET', url: '/api/feed/financial/requests', headers: auth(partner) });
    expect(feed.statusCode).toBe(200);
    const delivered = (feed.json() as { requests: Array<{ id: number; body: string; from_agency: string }> }).requests;
    expect(delivered.map((d) => d.id)).toEqual([draft.id]);
    expect(delivered[0]!.body).toBe(draft.body);
    expect(delivered[0]!.from_agency).toBe('NL-POL');
    const none = await app.inject({ method: 'GET', url: '/api/feed/financial/requests', headers: auth(otherPartner) });
    expect((none.json() as { requests: unknown[] }).requests).toEqual([]);
    const refused = await app.inject({ method: 'GET', url: '/api/feed/financial/requests', headers: auth(analyst) });
    expect(refused.statusCode).toBe(403);
    const partnerRead = await app.inject({ method: 'GET', url: `/api/identities/${identityId}/money`, headers: auth(partner) });
    expect(partnerRead.statusCode).toBe(403);
    const g = await app.inject({ method: 'GET', url: `/api/identities/${identityId}/money`, headers: auth(analyst) });
    expect((g.json() as { requests: Array<{ id: number; partner_agency: string }> }).requests).toEqual([expect.objectContaining({ id: draft.id, partner_agency: 'NL-BANK' })]);
  }, 60_000);
});
