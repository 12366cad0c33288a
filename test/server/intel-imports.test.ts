import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taxiiDb } from '../../src/exchange/index.ts';
import { exchangeDb } from '../../src/server/exchange/index.ts';
import { buildServer, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { seed, type Seeded } from './seed.ts';

/**
 * POST/GET /api/intel/imports through the API: unsigned third-party STIX (here an OASIS example bundle, verbatim from
 * ../shared/conformance) is stored as unverified intelligence with its source and the importer's TLP, apart from
 * signed packages (/api/packages/imports), which refuse the same bundle with signature_required. Semantically invalid
 * bundles are refused naming the object; imports belong to the importing agency; every call is audited.
 */
const EXAMPLES = join(import.meta.dirname, '../../../shared/conformance/stix2.1-examples/examples/example_json');
const example = (name: string) => JSON.parse(readFileSync(join(EXAMPLES, name), 'utf8')) as { type: string; id: string; objects: Record<string, unknown>[] };

let store: TestStore;
let app: App;
let s: Seeded;
let nl: SessionHeaders;
let de: SessionHeaders;

const importUrl = (source: string | null, tlp: string | null) => {
  const q = new URLSearchParams();
  if (source !== null) q.set('source', source);
  if (tlp !== null) q.set('tlp', tlp);
  return `/api/intel/imports?${q.toString()}`;
};
const postImport = (h: SessionHeaders, body: unknown, source: string | null = 'https://github.com/oasis-open/cti-documentation', tlp: string | null = 'GREEN') =>
  app.inject({ method: 'POST', url: importUrl(source, tlp), headers: { ...h, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
const lastAudit = () => store.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.ready();
  nl = await loginCookie(app, s.username('NL-POL', 'investigator'));
  de = await loginCookie(app, s.username('DE-BKA', 'investigator'));
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('unsigned third-party STIX through /api/intel/imports', () => {
  it('imports an OASIS example as unverified, with source and TLP as given, objects as received, apart from signed packages', async () => {
    const bundle = example('indicator-for-malicious-url.json');
    const source = 'OASIS cti-documentation: indicator-for-malicious-url.json';
    const r = await postImport(nl, bundle, source, 'AMBER');
    expect(r.statusCode, r.body).toBe(201);
    const made = r.json() as { id: number; tlp: string; verified: boolean; source: string; bundleId: string; objects: number };
    expect(made).toMatchObject({ tlp: 'AMBER', verified: false, source, bundleId: bundle.id, objects: bundle.objects.length });

    const audit = await lastAudit();
    expect(audit).toMatchObject({ action: 'intel.import', object_type: 'intel_import', object_id: String(made.id), agency_id: s.agencyIds['NL-POL'] });

    const got = await app.inject({ method: 'GET', url: `/api/intel/imports/${made.id}`, headers: nl });
    expect(got.statusCode, got.body).toBe(200);
    const row = got.json() as { agency_id: number; tlp: string; source: string; via: string; bundle_id: string; objects: unknown; summary: unknown };
    expect(row).toMatchObject({ agency_id: s.agencyIds['NL-POL'], tlp: 'AMBER', source, via: 'api', bundle_id: bundle.id });
    const objects = typeof row.objects === 'string' ? JSON.parse(row.objects) : row.objects;
    expect(objects).toEqual(bundle.objects); // as received, property for property
    const summary = (typeof row.summary === 'string' ? JSON.parse(row.summary) : row.summary) as { verified: boolean };
    expect(summary.verified).toBe(false);
    // The read is audited, naming the import.
    expect(await lastAudit()).toMatchObject({ action: 'intel.import.read', object_type: 'intel_import', object_id: String(made.id), user_id: expect.any(Number) });

    const list = await app.inject({ method: 'GET', url: '/api/intel/imports', headers: nl });
    expect(list.statusCode).toBe(200);
    expect((list.json() as { items: { id: number; source: string }[] }).items.map((i) => i.id)).toContain(made.id);

    // Not among the signed packages: neither in the list nor by id, and nothing written to exchange_imports.
    const pk = await app.inject({ method: 'GET', url: '/api/packages/imports', headers: nl });
    expect(pk.statusCode, pk.body).toBe(200);
    expect((pk.json() as { items: { bundle_id: string }[] }).items.map((i) => i.bundle_id)).not.toContain(bundle.id);
    expect(await exchangeDb(store.db).selectFrom('exchange_imports').select('id').where('bundle_id', '=', bundle.id).execute()).toEqual([]);
  });

  it('the signed-package import refuses the same unsigned bundle with signature_required, and stores nothing', async () => {
    const bundle = example('indicator-for-malicious-url.json');
    const r = await app.inject({ method: 'POST', url: '/api/packages/import', headers: { ...nl, 'content-type': 'application/json' }, payload: JSON.stringify(bundle) });
    expect(r.statusCode, r.body).toBe(422);
    const body = r.json() as { error: string; message: string; details: { reason: string } };
    expect(body.error).toBe('package_rejected');
    expect(body.details.reason).toBe('signature_required');
    expect(await exchangeDb(store.db).selectFrom('exchange_imports').select('id').execute()).toEqual([]);
  });

  it('refuses an object whose modified is before its created, naming the object', async () => {
    const bundle = example('malware-indicator-for-file-hash.json');
    const bad = structuredClone(bundle);
    const victim = bad.objects[0]!;
    victim.modified = '2010-01-01T00:00:00.000Z';
    const before = await taxiiDb(store.db).selectFrom('intel_imports').select('id').execute();
    const r = await postImport(nl, bad);
    expect(r.statusCode, r.body).toBe(422);
    const body = r.json() as { error: string; message: string; details: { reason: string; issues: { message: string }[] } };
    expect(body.error).toBe('intel_rejected');
    expect(body.details.reason).toBe('invalid_object');
    expect(body.message).toContain(String(victim.id));
    expect(body.message).toMatch(/modified 2010-01-01T00:00:00.000Z is before created/);
    expect(await taxiiDb(store.db).selectFrom('intel_imports').select('id').execute()).toHaveLength(before.length);
    // The refusal is audited with its reason.
    const a = await lastAudit();
    expect(a.action).toBe('intel.import');
    expect(a.detail).toMatchObject({ status: 422, rejected: 'invalid_object' });
  });

  it('refuses an indicator with an unterminated pattern, naming the object', async () => {
    const bad = structuredClone(example('indicator-for-malicious-url.json'));
    const ind = bad.objects.find((o) => o.type === 'indicator')!;
    ind.pattern = "[url:value = 'http://x4z9arb.cn/4712/'";
    const r = await postImport(nl, bad);
    expect(r.statusCode, r.body).toBe(422);
    const body = r.json() as { error: string; message: string; details: { reason: string } };
    expect(body.details.reason).toBe('bad_pattern');
    expect(body.message).toContain(String(ind.id));
    expect(body.message).toContain('pattern is not a STIX 2.1 pattern');
  });

  it('a body that is not JSON, not a JSON object, or too large is a clear 4xx', async () => {
    const notJson = await app.inject({ method: 'POST', url: importUrl('x', 'GREEN'), headers: { ...nl, 'content-type': 'application/json' }, payload: '{"type": "bundle", ' });
    expect(notJson.statusCode).toBe(400);
    expect((notJson.json() as { message: string }).message).toMatch(/json/i);

    const array = await app.inject({ method: 'POST', url: importUrl('x', 'GREEN'), headers: { ...nl, 'content-type': 'application/json' }, payload: '[1,2]' });
    expect(array.statusCode).toBe(400);
    expect((array.json() as { error: string }).error).toBe('validation_failed');

    const text = await app.inject({ method: 'POST', url: importUrl('x', 'GREEN'), headers: { ...nl, 'content-type': 'text/plain' }, payload: 'hello' });
    expect(text.statusCode).toBe(415);

    const notBundle = await postImport(nl, { hello: 'world' });
    expect(notBundle.statusCode, notBundle.body).toBe(422);
    expect((notBundle.json() as { error: string }).error).toBe('intel_rejected');

    const huge = JSON.stringify({ type: 'bundle', id: 'bundle--44af6c39-c09b-49c5-9de2-394224b04982', objects: [], pad: 'x'.repeat(17 * 1024 * 1024) });
    const big = await app.inject({ method: 'POST', url: importUrl('x', 'GREEN'), headers: { ...nl, 'content-type': 'application/json' }, payload: huge });
    expect(big.statusCode).toBe(413);
    expect((big.json() as { message: string }).message).toMatch(/too large/i);
  });

  it('a missing or invalid TLP, or a missing source, is a 400', async () => {
    const bundle = example('indicator-for-malicious-url.json');
    for (const [source, tlp] of [['x', null], ['x', 'PURPLE'], ['x', 'white'], [null, 'GREEN'], ['', 'GREEN']] as const) {
      const r = await postImport(nl, bundle, source, tlp);
      expect(r.statusCode, `${source} ${tlp}: ${r.body}`).toBe(400);
      expect((r.json() as { error: string }).error).toBe('validation_failed');
    }
  });

  it('imports belong to the importing agency: another agency reads none of them, whatever the TLP', async () => {
    // The rule (intel.ts, like signed package imports): the import row is the agency's own; unlike owned intel rows,
    // CLEAR/GREEN imports are not shared with other agencies either.
    const ids: Record<string, number> = {};
    for (const tlp of ['CLEAR', 'GREEN', 'AMBER', 'RED'] as const) {
      const r = await postImport(nl, example('sighting-of-an-indicator.json'), `NL test ${tlp}`, tlp);
      expect(r.statusCode, r.body).toBe(201);
      ids[tlp] = (r.json() as { id: number }).id;
    }
    for (const [tlp, id] of Object.entries(ids)) {
      const mine = await app.inject({ method: 'GET', url: `/api/intel/imports/${id}`, headers: nl });
      expect(mine.statusCode, tlp).toBe(200);
      expect((mine.json() as { tlp: string }).tlp).toBe(tlp);
      const theirs = await app.inject({ method: 'GET', url: `/api/intel/imports/${id}`, headers: de });
      expect(theirs.statusCode, tlp).toBe(404);
      expect((theirs.json() as { error: string }).error).toBe('not_found');
      // The failed read is audited too, against DE.
      expect(await lastAudit()).toMatchObject({ action: 'intel.import.read', agency_id: s.agencyIds['DE-BKA'], object_id: String(id) });
    }
    const deList = await app.inject({ method: 'GET', url: '/api/intel/imports', headers: de });
    expect(deList.statusCode).toBe(200);
    expect((deList.json() as { items: unknown[] }).items).toEqual([]);
  });

  it('the bundle raises the TLP the importer chose, never lowers it', async () => {
    const bundle = example('using-marking-definitions.json');
    const r = await postImport(nl, bundle, 'OASIS using-marking-definitions.json', 'CLEAR');
    expect(r.statusCode, r.body).toBe(201);
    // The example marks its object with the official TLP:AMBER definition (f88d31f6-…): CLEAR is raised to AMBER.
    expect((r.json() as { tlp: string }).tlp).toBe('AMBER');
    const again = await postImport(nl, bundle, 'OASIS using-marking-definitions.json', 'RED');
    expect((again.json() as { tlp: string }).tlp).toBe('RED');
  });

  it('analysts (no exchange role) may not import; a POST without the CSRF token is refused', async () => {
    const analyst = await loginCookie(app, s.username('NL-POL', 'analyst'));
    const r = await postImport(analyst, example('indicator-for-malicious-url.json'));
    expect(r.statusCode).toBe(403);
    const noCsrf = await app.inject({ method: 'POST', url: importUrl('x', 'GREEN'), headers: { cookie: nl.cookie, 'content-type': 'application/json' }, payload: JSON.stringify(example('indicator-for-malicious-url.json')) });
    expect(noCsrf.statusCode).toBe(403);
  });
});
