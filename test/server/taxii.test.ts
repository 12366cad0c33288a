import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId, readThirdParty, storeThirdParty, TAXII_MEDIA_TYPE, TaxiiClient, TaxiiClientError, TLP2_MARKING_IDS, tlpOfMarkingId, taxiiDb } from '../../src/exchange/index.ts';
import { buildServer, createApiToken, type App } from '../../src/server/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { seed, type Seeded } from './seed.ts';

/**
 * The TAXII 2.1 server against the letter of the spec (media types, negotiation, paging, filters, versions, status,
 * errors, auth), the agency/TLP view of every object, the audit of every read, and our client against both our
 * server and a hand-made conformant server that pages the other way the spec allows (more without next).
 */
let store: TestStore;
let app: App;
let s: Seeded;
let base: string;
const tok: Record<string, string> = {};
let shared: string; // NL's GREEN agency collection
let privateColl: string; // NL's AMBER collection
let partnerColl: string; // NL's collection for the DE postal partner
const R = '/taxii2/darkpatrol';
const bearer = (k: string) => ({ authorization: `Bearer ${tok[k]}`, accept: TAXII_MEDIA_TYPE });
const basic = (k: string) => ({ authorization: `Basic ${Buffer.from(`someone:${tok[k]}`).toString('base64')}`, accept: TAXII_MEDIA_TYPE });

const get = (url: string, headers: Record<string, string>) => app.inject({ method: 'GET', url, headers });
const post = (url: string, headers: Record<string, string>, body: unknown, type = TAXII_MEDIA_TYPE) =>
  app.inject({ method: 'POST', url, headers: { ...headers, 'content-type': type }, payload: JSON.stringify(body) });

function indicator(id: string, tlp: keyof typeof TLP2_MARKING_IDS, created: string, modified = created, extra: Record<string, unknown> = {}) {
  return {
    type: 'indicator', spec_version: '2.1', id, created, modified, name: `wallet ${tlp}`, description: 'A wallet seen on a vendor profile',
    indicator_types: ['attribution'], pattern: `[email-addr:value = 'x-${tlp.toLowerCase()}@example.com']`, pattern_type: 'stix', valid_from: created,
    object_marking_refs: [TLP2_MARKING_IDS[tlp]], ...extra,
  };
}

/** TLP levels of the objects of an envelope (the marking definitions themselves are CLEAR). */
const tlps = (objects: Record<string, unknown>[]) =>
  new Set(objects.flatMap((o) => (o.type === 'marking-definition' ? ['CLEAR'] : ((o.object_marking_refs as string[] | undefined) ?? []).map((r) => tlpOfMarkingId(r)))));

beforeAll(async () => {
  store = await openTestStore();
  s = await seed(store.db);
  const partner = await store.db.insertInto('agencies').values({ code: 'DE-POST', name: 'Deutsche Post security', country: 'DE', contact_point: 'sec@post.invalid' }).returning('id').executeTakeFirstOrThrow();
  const nl = s.agencyIds['NL-POL'];
  const de = s.agencyIds['DE-BKA'];
  for (const [k, agencyId, role] of [['nl-admin', nl, 'admin'], ['nl-analyst', nl, 'analyst'], ['de-analyst', de, 'analyst'], ['de-inv', de, 'investigator']] as const)
    tok[k] = (await createApiToken(store.db, { agencyId, name: k, role, scopes: ['taxii', 'exchange', 'admin'] })).token;
  tok['post'] = (await createApiToken(store.db, { agencyId: partner.id, name: 'post', role: 'partner', scopes: ['taxii'] })).token;
  tok['nl-noscope'] = (await createApiToken(store.db, { agencyId: nl, name: 'noscope', role: 'analyst', scopes: ['intel:read'] })).token;
  app = await buildServer({ store, webRoot: false, rateLimit: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const mk = async (body: Record<string, unknown>) => {
    const r = await app.inject({ method: 'POST', url: '/api/taxii/collections', headers: { authorization: `Bearer ${tok['nl-admin']}` }, payload: body });
    expect(r.statusCode, r.body).toBe(201);
    return (r.json() as { id: string }).id;
  };
  shared = await mk({ title: 'NL shared intelligence', alias: 'nl-shared', tlp: 'GREEN' });
  privateColl = await mk({ title: 'NL internal', tlp: 'AMBER' });
  partnerColl = await mk({ title: 'Postal partner DE', tlp: 'AMBER', partner: 'DE-POST' });
  for (const tlp of ['CLEAR', 'AMBER'] as const) {
    for (const collection of [shared, partnerColl]) {
      const r = await app.inject({ method: 'POST', url: '/api/taxii/publish', headers: { authorization: `Bearer ${tok['nl-admin']}` }, payload: { collection, kind: 'vendor', id: s.rows['NL-POL'][tlp].vendor } });
      expect(r.statusCode, r.body).toBe(200);
      expect((r.json() as { status: { failure_count: number } }).status.failure_count).toBe(0);
    }
  }
}, 180_000);

afterAll(async () => {
  await app?.close();
  await store?.close();
});

describe('TAXII 2.1 server', () => {
  it('discovery and API root, with Basic (token as password) or bearer, as application/taxii+json;version=2.1', async () => {
    const d = await get('/taxii2/', basic('de-analyst'));
    expect(d.statusCode).toBe(200);
    expect(d.headers['content-type']).toBe(TAXII_MEDIA_TYPE);
    const disc = d.json() as { title: string; api_roots: string[]; default: string };
    expect(disc.title).toBeTruthy();
    expect(disc.api_roots).toHaveLength(1);
    expect(disc.default).toBe(disc.api_roots[0]);
    expect(new URL(disc.api_roots[0]!).pathname).toBe(`${R}/`);
    const root = await get(`${R}/`, bearer('de-analyst'));
    expect(root.json()).toMatchObject({ versions: [TAXII_MEDIA_TYPE], max_content_length: 16 * 1024 * 1024 });
  });

  it('refuses without credentials (401 + WWW-Authenticate), with a console password as Basic, or without the taxii scope; errors are TAXII error messages', async () => {
    const anon = await get(`${R}/collections/`, { accept: TAXII_MEDIA_TYPE });
    expect(anon.statusCode).toBe(401);
    expect(anon.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect(anon.headers['content-type']).toBe(TAXII_MEDIA_TYPE);
    const e = anon.json() as Record<string, unknown>;
    expect(e).toMatchObject({ http_status: '401' });
    expect(typeof e.title).toBe('string');
    const pw = await get(`${R}/collections/`, { authorization: `Basic ${Buffer.from(`${s.username('NL-POL', 'analyst')}:correct horse battery`).toString('base64')}`, accept: TAXII_MEDIA_TYPE });
    expect(pw.statusCode).toBe(401);
    const scope = await get(`${R}/collections/`, bearer('nl-noscope'));
    expect(scope.statusCode).toBe(403);
    expect(scope.json()).toMatchObject({ http_status: '403' });
  });

  it('negotiates the media type: 406 for another type or version, 415 for an Add Objects body of another type', async () => {
    for (const accept of ['application/json', 'application/taxii+json;version=2.0', 'application/taxii+json;version=2.1;q=0']) {
      const r = await get(`${R}/collections/`, { ...bearer('nl-analyst'), accept });
      expect(r.statusCode, accept).toBe(406);
      expect(r.json()).toMatchObject({ http_status: '406' });
    }
    for (const accept of ['application/taxii+json', 'application/taxii+json; version=2.1', 'text/html, application/taxii+json;version=2.1;q=0.5', '*/*'])
      expect((await get(`${R}/collections/`, { ...bearer('nl-analyst'), accept })).statusCode, accept).toBe(200);
    const r = await post(`${R}/collections/${shared}/objects/`, bearer('nl-admin'), { objects: [] }, 'application/json');
    expect(r.statusCode).toBe(415);
    expect(r.json()).toMatchObject({ http_status: '415' });
  });

  it('lists collections by the agency view: own collections, other agencies\' GREEN ones, partners only theirs', async () => {
    const ids = async (k: string) => ((await get(`${R}/collections/`, bearer(k))).json() as { collections?: { id: string; can_write: boolean; media_types: string[] }[] }).collections ?? [];
    const nl = await ids('nl-admin');
    expect(nl.map((c) => c.id).sort()).toEqual([shared, privateColl, partnerColl].sort());
    expect(nl.every((c) => c.can_write && c.media_types[0] === 'application/stix+json;version=2.1')).toBe(true);
    expect((await ids('nl-analyst')).every((c) => !c.can_write)).toBe(true); // analysts read; exchange roles write
    const de = await ids('de-inv');
    expect(de.map((c) => c.id)).toEqual([shared]);
    expect(de[0]!.can_write).toBe(false);
    expect((await ids('post')).map((c) => c.id)).toEqual([partnerColl]);
    expect((await get(`${R}/collections/${privateColl}/`, bearer('de-analyst'))).statusCode).toBe(404);
    expect((await get(`${R}/collections/nl-shared/`, bearer('de-analyst'))).json()).toMatchObject({ id: shared, alias: 'nl-shared' });
    expect((await get(`${R}/collections/${shared}/objects/`, bearer('post'))).statusCode).toBe(404);
  });

  it('filters every object by the same view as the API: another agency and the partner see CLEAR/GREEN only', async () => {
    const all = async (k: string, c: string) => ((await get(`${R}/collections/${c}/objects/?limit=1000`, bearer(k))).json() as { objects?: Record<string, unknown>[] }).objects ?? [];
    const nl = await all('nl-analyst', shared);
    expect(tlps(nl)).toEqual(new Set(['CLEAR', 'AMBER']));
    const de = await all('de-analyst', shared);
    expect(de.length).toBeGreaterThan(0);
    expect(tlps(de)).toEqual(new Set(['CLEAR']));
    expect(JSON.stringify(de)).not.toContain('nl-pol-amber');
    expect(JSON.stringify(nl)).toContain('nl-pol-amber');
    const post = await all('post', partnerColl);
    expect(tlps(post)).toEqual(new Set(['CLEAR']));
    expect(JSON.stringify(post)).not.toContain('nl-pol-amber');
  });

  it('pages with limit/next/more in date_added order, with X-TAXII-Date-Added-First/Last, and filters by match[type] and added_after', async () => {
    const full = ((await get(`${R}/collections/${shared}/manifest/?limit=1000`, bearer('nl-analyst'))).json() as { objects: { id: string; date_added: string; version: string; media_type: string }[] }).objects;
    expect(full.length).toBeGreaterThan(10);
    expect(full.every((m) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(m.date_added) && m.media_type === 'application/stix+json;version=2.1')).toBe(true);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const r = await get(`${R}/collections/${shared}/objects/?limit=4${next ? `&next=${next}` : ''}`, bearer('nl-analyst'));
      const env = r.json() as { more: boolean; next?: string; objects: { id: string }[] };
      expect(env.objects.length).toBeLessThanOrEqual(4);
      const page = full.slice(seen.length, seen.length + env.objects.length);
      expect(r.headers['x-taxii-date-added-first']).toBe(page[0]!.date_added);
      expect(r.headers['x-taxii-date-added-last']).toBe(page[page.length - 1]!.date_added);
      seen.push(...env.objects.map((o) => o.id));
      expect(env.more).toBe(env.next !== undefined);
      next = env.next;
      pages++;
    } while (next && pages < 100);
    expect(seen).toEqual(full.map((m) => m.id));
    expect(pages).toBe(Math.ceil(full.length / 4));
    const mid = full[Math.floor(full.length / 2)]!.date_added;
    const after = (await get(`${R}/collections/${shared}/manifest/?limit=1000&added_after=${mid}`, bearer('nl-analyst'))).json() as { objects: { date_added: string }[] };
    expect(after.objects.length).toBe(full.filter((m) => m.date_added > mid).length);
    const types = (await get(`${R}/collections/${shared}/objects/?match[type]=indicator,user-account`, bearer('nl-analyst'))).json() as { objects: { type: string }[] };
    expect(new Set(types.objects.map((o) => o.type))).toEqual(new Set(['indicator', 'user-account']));
    for (const bad of ['added_after=yesterday', 'limit=0', 'next=forged', 'match[version]=newest']) {
      const r = await get(`${R}/collections/${shared}/objects/?${bad}`, bearer('nl-analyst'));
      expect(r.statusCode, bad).toBe(400);
      expect(r.json()).toMatchObject({ http_status: '400' });
    }
  });

  it('adds objects with a status resource, keeps versions, and serves match[version] and the versions endpoint', async () => {
    const id = randomId('indicator');
    const v1 = indicator(id, 'GREEN', '2025-01-01T00:00:00.000Z');
    const v2 = indicator(id, 'GREEN', '2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z', { name: 'wallet GREEN, updated' });
    const bad = { ...indicator(randomId('indicator'), 'GREEN', '2025-01-01T00:00:00.000Z'), id: 'indicator--not-a-uuid' };
    const r = await post(`${R}/collections/${shared}/objects/`, basic('nl-admin'), { objects: [v1, v2, bad] });
    expect(r.statusCode).toBe(202);
    expect(r.headers['content-type']).toBe(TAXII_MEDIA_TYPE);
    const status = r.json() as { id: string; status: string; total_count: number; success_count: number; failure_count: number; pending_count: number; failures: { id: string; message: string }[] };
    expect(status).toMatchObject({ status: 'complete', total_count: 3, success_count: 2, failure_count: 1, pending_count: 0 });
    expect(status.failures[0]!.message).toMatch(/identifier/);
    expect((await get(`${R}/status/${status.id}/`, bearer('nl-analyst'))).json()).toMatchObject({ id: status.id, success_count: 2 });
    expect((await get(`${R}/status/${status.id}/`, bearer('de-analyst'))).statusCode).toBe(404);
    const again = (await post(`${R}/collections/${shared}/objects/`, bearer('nl-admin'), { objects: [v1] })).json() as { success_count: number; successes: { message?: string }[] };
    expect(again.success_count).toBe(1);
    expect(again.successes[0]!.message).toMatch(/already/);

    const one = (q = '') => get(`${R}/collections/${shared}/objects/${id}/${q}`, bearer('de-analyst'));
    expect(((await one()).json() as { objects: { modified: string }[] }).objects.map((o) => o.modified)).toEqual(['2025-02-01T00:00:00.000Z']);
    expect(((await one('?match[version]=first')).json() as { objects: { modified: string }[] }).objects.map((o) => o.modified)).toEqual(['2025-01-01T00:00:00.000Z']);
    expect(((await one('?match[version]=all')).json() as { objects: unknown[] }).objects).toHaveLength(2);
    expect(((await one('?match[version]=2025-01-01T00:00:00Z')).json() as { objects: { modified: string }[] }).objects.map((o) => o.modified)).toEqual(['2025-01-01T00:00:00.000Z']);
    const versions = await get(`${R}/collections/${shared}/objects/${id}/versions/`, bearer('de-analyst'));
    expect(versions.json()).toEqual({ more: false, versions: ['2025-01-01T00:00:00.000Z', '2025-02-01T00:00:00.000Z'] });
    expect(versions.headers['x-taxii-date-added-first']).toBeTruthy();

    // A RED version on top: the owner sees it as the latest, another agency still sees the GREEN one as latest.
    const v3 = indicator(id, 'RED', '2025-01-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z');
    expect(((await post(`${R}/collections/${shared}/objects/`, bearer('nl-admin'), { objects: [v3] })).json() as { success_count: number }).success_count).toBe(1);
    expect(((await one()).json() as { objects: { modified: string }[] }).objects[0]!.modified).toBe('2025-02-01T00:00:00.000Z');
    expect(((await get(`${R}/collections/${shared}/objects/${id}/`, bearer('nl-analyst'))).json() as { objects: { modified: string }[] }).objects[0]!.modified).toBe('2025-03-01T00:00:00.000Z');
    const redOnly = randomId('indicator');
    await post(`${R}/collections/${shared}/objects/`, bearer('nl-admin'), { objects: [indicator(redOnly, 'RED', '2025-01-01T00:00:00.000Z')] });
    expect((await get(`${R}/collections/${shared}/objects/${redOnly}/`, bearer('de-analyst'))).statusCode).toBe(404);
    expect((await get(`${R}/collections/${shared}/objects/${redOnly}/versions/`, bearer('de-analyst'))).statusCode).toBe(404);

    // Writing: only the owning agency's exchange roles.
    expect((await post(`${R}/collections/${shared}/objects/`, bearer('de-inv'), { objects: [] })).statusCode).toBe(403);
    expect((await post(`${R}/collections/${shared}/objects/`, bearer('nl-analyst'), { objects: [] })).statusCode).toBe(403);
    expect((await post(`${R}/collections/${partnerColl}/objects/`, bearer('post'), { objects: [] })).statusCode).toBe(403); // readable, not writable
  });

  it('audits every read with what was served', async () => {
    await get(`${R}/collections/${shared}/objects/?limit=3`, bearer('de-analyst'));
    const rows = await store.db.selectFrom('audit_log').select(['action', 'actor', 'detail']).where('action', 'like', 'taxii.%').execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['taxii.discovery', 'taxii.api_root', 'taxii.collections', 'taxii.collection', 'taxii.manifest', 'taxii.objects.read', 'taxii.objects.add', 'taxii.object.read', 'taxii.object.versions', 'taxii.status'])
      expect(actions, a).toContain(a);
    const read = rows.find((r) => r.action === 'taxii.objects.read' && r.actor === 'token:de-analyst' && (r.detail as { objects?: number }).objects === 3);
    expect(read).toBeDefined();
    expect((read!.detail as { ids: string[] }).ids).toHaveLength(3);
  });
});

describe('TAXII 2.1 client', () => {
  it('pulls a collection from our server page by page (Basic auth) and imports it as unverified third-party intelligence', async () => {
    const client = new TaxiiClient({ auth: { kind: 'basic', username: 'de', password: tok['de-analyst']! } });
    const disc = await client.discovery(`${base}/taxii2/`);
    const root = await client.apiRoot(disc.default!);
    expect(root.versions).toContain(TAXII_MEDIA_TYPE);
    const colls = await client.collections(disc.default!);
    expect(colls.map((c) => c.id)).toEqual([shared]);
    const url = `${disc.default}collections/${shared}/`;
    const all = await client.pull(url, { limit: 1000 });
    const paged = await client.pull(url, { limit: 3 });
    expect(paged.pages).toBeGreaterThan(3);
    expect(paged.objects.map((o) => o.id)).toEqual(all.objects.map((o) => o.id));
    expect(paged.lastDateAdded).toBeTruthy();
    const again = await client.pull(url, { addedAfter: paged.lastDateAdded! });
    expect(again.objects).toEqual([]);
    const read = readThirdParty({ type: 'bundle', id: randomId('bundle'), objects: all.objects }, { tlp: 'GREEN' });
    const stored = await storeThirdParty(store.db, { agencyId: s.agencyIds['DE-BKA'], source: url, via: 'taxii', read });
    expect(stored.objects).toBe(all.objects.length);
    const row = await taxiiDb(store.db).selectFrom('intel_imports').selectAll().where('id', '=', stored.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ source: url, via: 'taxii', tlp: 'GREEN' });
    await expect(client.pull(`${base}${R}/collections/${privateColl}/`)).rejects.toMatchObject({ status: 404 });
  });

  it('pulls from a hand-made conformant server that pages by added_after (more without next) and refuses a non-TAXII answer', async () => {
    // A second, independent implementation of the server side of §3.4/§5.3, written from the spec for this test.
    const objs = Array.from({ length: 7 }, (_, i) => ({ ...indicator(randomId('indicator'), 'CLEAR', '2025-01-01T00:00:00.000Z'), x_seq: i }));
    const added = objs.map((_, i) => `2025-05-01T00:00:0${i}.000000Z`);
    const seenAuth: string[] = [];
    const seenAccept: string[] = [];
    const srv: Server = createServer((req: IncomingMessage, res) => {
      seenAuth.push(String(req.headers.authorization));
      seenAccept.push(String(req.headers.accept));
      const u = new URL(req.url!, 'http://x');
      if (u.pathname === '/bad/collections/c1/objects/') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"objects": []}');
        return;
      }
      if (u.pathname !== '/root/collections/c1/objects/') return void res.writeHead(404, { 'content-type': TAXII_MEDIA_TYPE }).end('{"title":"not found","http_status":"404"}');
      const after = u.searchParams.get('added_after');
      const idx = added.map((d, i) => [d, i] as const).filter(([d]) => !after || d > after).map(([, i]) => i);
      const page = idx.slice(0, 3);
      const headers: Record<string, string> = { 'content-type': TAXII_MEDIA_TYPE };
      if (page.length) {
        headers['X-TAXII-Date-Added-First'] = added[page[0]!]!;
        headers['X-TAXII-Date-Added-Last'] = added[page[page.length - 1]!]!;
      }
      res.writeHead(200, headers).end(JSON.stringify({ more: idx.length > 3, objects: page.map((i) => objs[i]) }));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    try {
      const client = new TaxiiClient({ auth: { kind: 'bearer', token: 'partner-secret' } });
      const r = await client.pull(`http://127.0.0.1:${port}/root/collections/c1`);
      expect(r.objects.map((o) => o.x_seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(r.pages).toBe(3);
      expect(r.lastDateAdded).toBe(added[6]);
      expect(new Set(seenAuth)).toEqual(new Set(['Bearer partner-secret']));
      expect(new Set(seenAccept)).toEqual(new Set([TAXII_MEDIA_TYPE]));
      await expect(client.pull(`http://127.0.0.1:${port}/bad/collections/c1`)).rejects.toBeInstanceOf(TaxiiClientError);
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
