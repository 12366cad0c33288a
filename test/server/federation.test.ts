import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgencyKeyPair, signRequest } from '../../src/exchange/index.ts';
import { buildServer, createUser, type App, type ServerOptions } from '../../src/server/index.ts';
import type { ExchangeServerOptions } from '../../src/server/exchange/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { TEST_SCRYPT } from './seed.ts';

/**
 * Three installations on loopback, each with its own database: a hub (think Europol) that evaluates the OPRF and
 * matches tokens, and two agencies (NL, DE). Traffic from the agencies to the hub passes a recording proxy, so the
 * test can read every byte the hub received and replay or alter a real signed request.
 */
interface Node {
  name: string;
  code: string;
  store: TestStore;
  app: App;
  url: string;
  admin: SessionHeaders;
  inv: SessionHeaders;
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  answer: string;
}

let hub: Node;
let nl: Node;
let de: Node;
let proxy: Server;
let proxyUrl: string;
const recorded: Recorded[] = [];

const NL_SECRETS = ['NL-2026-OP-TULIP', 'Operation Tulip: informant Jansen', 'only-nl@mail.invalid', 'bc1qtulipwallet0000000000000000000000000', 'dutchmagic'];
const DE_SECRETS = ['BKA-2026-EDELWEISS', 'Edelweiss: wiretap on Berlin stash', 'only-de@mail.invalid'];

async function node(name: string, code: string, country: string, contact: string): Promise<Node> {
  const store = await openTestStore();
  await store.db.insertInto('agencies').values({ code, name: `${code} team`, country, contact_point: contact }).execute();
  await createUser(store.db, { agencyCode: code, username: `admin-${name}`, role: 'admin', password: 'correct horse battery' }, TEST_SCRYPT);
  await createUser(store.db, { agencyCode: code, username: `inv-${name}`, role: 'investigator', password: 'correct horse battery' }, TEST_SCRYPT);
  const opts: ServerOptions & ExchangeServerOptions = { store, webRoot: false, rateLimit: false, exchange: { installationId: `dp-${name}`, allowedPeerNetworks: ['127.0.0.0/8'] } };
  const app = await buildServer(opts);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return { name, code, store, app, url, admin: await loginCookie(app, `admin-${name}`), inv: await loginCookie(app, `inv-${name}`) };
}

async function api(n: Node, who: 'admin' | 'inv', method: 'GET' | 'POST', url: string, payload?: object) {
  const r = await n.app.inject({ method, url, headers: who === 'admin' ? n.admin : n.inv, ...(payload ? { payload } : {}) });
  return { status: r.statusCode, json: r.json(), body: r.body };
}

/** Send raw bytes to a server (the replay and tamper tests bypass every client library). */
function send(base: string, r: { method: string; url: string; headers: IncomingHttpHeaders; body: string }): Promise<{ status: number; json: { error?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const u = new URL(r.url, base);
    const headers = { ...r.headers, host: u.host, 'content-length': String(Buffer.byteLength(r.body)) };
    const req = httpRequest(u, { method: r.method, headers }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data ? JSON.parse(data) : {} }));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

async function register(at: Node, peer: Node, baseUrl: string) {
  const self = await api(peer, 'admin', 'GET', '/api/federation/self');
  expect(self.status, self.body).toBe(200);
  const r = await api(at, 'admin', 'POST', '/api/federation/peers', { name: peer.name, baseUrl, installationId: self.json.installationId, jwk: self.json.jwk, contact: self.json.contact });
  expect(r.status, r.body).toBe(201);
  return r.json.id as number;
}

let nlHub: number;
let deHub: number;
let nlToDe: number;

beforeAll(async () => {
  hub = await node('hub', 'EU-HUB', 'NL', 'hub-desk@hub.invalid');
  nl = await node('nl', 'NL-POL', 'NL', 'desk@politie.invalid');
  de = await node('de', 'DE-BKA', 'DE', 'desk@bka.invalid');
  proxy = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const fwd = httpRequest(new URL(req.url!, hub.url), { method: req.method, headers: { ...req.headers, host: new URL(hub.url).host } }, (up) => {
        let answer = '';
        up.on('data', (c: Buffer) => (answer += c.toString()));
        up.on('end', () => {
          recorded.push({ method: req.method!, url: req.url!, headers: req.headers, body, answer });
          res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/json' });
          res.end(answer);
        });
      });
      fwd.on('error', () => res.writeHead(502).end());
      fwd.end(body);
    });
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  // The hub trusts both agencies; each agency registers the hub (through the recording proxy) and the other agency.
  await register(hub, nl, nl.url);
  await register(hub, de, de.url);
  nlHub = await register(nl, hub, proxyUrl);
  deHub = await register(de, hub, proxyUrl);
  nlToDe = await register(nl, de, de.url);
  await register(de, nl, nl.url);
}, 240_000);

afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  for (const n of [hub, nl, de]) {
    await n?.app.close();
    await n?.store.close();
  }
});

async function openCase(n: Node, reference: string, title: string, contactPoint: string, selectors: { kind: string; value: string }[]) {
  const c = await api(n, 'inv', 'POST', '/api/deconflict/cases', { reference, title, contactPoint });
  expect(c.status, c.body).toBe(201);
  const r = await api(n, 'inv', 'POST', `/api/deconflict/cases/${c.json.id}/selectors`, { selectors });
  expect(r.status, r.body).toBe(200);
  return c.json.id as number;
}

/** Every row of every table of an installation, as text. */
async function everything(n: Node): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(n.store.db);
  let all = '';
  for (const t of tables.rows) {
    const rows = await sql<{ j: unknown }>`select row_to_json(x) as j from ${sql.table(t.table_name)} x`.execute(n.store.db);
    all += JSON.stringify(rows.rows);
  }
  return all.toLowerCase();
}

describe('federated de-confliction across three installations', () => {
  it('notifies both agencies of their overlap, naming the other contact point, and no installation learns the other case', async () => {
    await openCase(nl, 'NL-2026-OP-TULIP', 'Operation Tulip: informant Jansen', 'tulip-desk@politie.invalid', [
      { kind: 'btc_address', value: 'BC1QTULIPWALLET0000000000000000000000000' },
      { kind: 'vendor_handle', value: '@DutchMagic' },
      { kind: 'email', value: 'only-nl@mail.invalid' },
    ]);
    await openCase(de, 'BKA-2026-EDELWEISS', 'Edelweiss: wiretap on Berlin stash', 'edelweiss@bka.invalid', [
      { kind: 'btc_address', value: 'bc1qtulipwallet0000000000000000000000000' },
      { kind: 'vendor_handle', value: 'dutchmagic ' },
      { kind: 'email', value: 'only-de@mail.invalid' },
    ]);

    const a1 = await api(nl, 'inv', 'POST', `/api/federation/peers/${nlHub}/sync`);
    expect(a1.status, a1.body).toBe(200);
    expect(a1.json).toMatchObject({ submitted: 3, newNotices: [] });
    const b1 = await api(de, 'inv', 'POST', `/api/federation/peers/${deHub}/sync`);
    expect(b1.status, b1.body).toBe(200);
    expect(b1.json.submitted).toBe(3);
    expect(b1.json.newNotices).toHaveLength(2);
    for (const n of b1.json.newNotices) {
      expect(n.other).toEqual({ agencyCode: 'NL-POL', contactPoint: 'tulip-desk@politie.invalid' });
      expect(n.yourCase.reference).toBe('BKA-2026-EDELWEISS');
    }
    expect(b1.json.newNotices.map((n: { yourSelector: { kind: string } }) => n.yourSelector.kind).sort()).toEqual(['btc_address', 'vendor_handle']);

    const a2 = await api(nl, 'inv', 'POST', `/api/federation/peers/${nlHub}/sync`);
    expect(a2.json).toMatchObject({ submitted: 0 });
    expect(a2.json.newNotices).toHaveLength(2);
    for (const n of a2.json.newNotices) expect(n.other).toEqual({ agencyCode: 'DE-BKA', contactPoint: 'edelweiss@bka.invalid' });
    const listed = await api(nl, 'inv', 'GET', '/api/federation/notices');
    expect(listed.json.items).toHaveLength(2);
    const ack = await api(nl, 'inv', 'POST', `/api/federation/notices/${listed.json.items[0].id}/acknowledge`);
    expect(ack.status).toBe(200);

    // What the hub received (every request body through the proxy) and what it stores: tokens and handles only.
    expect(recorded.length).toBeGreaterThan(4);
    const wire = recorded.map((r) => r.url + r.body).join('\n').toLowerCase();
    const hubRows = await everything(hub);
    for (const secret of [...NL_SECRETS, ...DE_SECRETS]) {
      expect(wire).not.toContain(secret.toLowerCase());
      expect(hubRows).not.toContain(secret.toLowerCase());
    }
    // Neither agency's installation holds anything of the other's case beyond its contact point.
    const nlRows = await everything(nl);
    const deRows = await everything(de);
    for (const secret of DE_SECRETS) expect(nlRows).not.toContain(secret.toLowerCase());
    for (const secret of NL_SECRETS.slice(0, 3)) expect(deRows).not.toContain(secret.toLowerCase());
    expect(nlRows).toContain('edelweiss@bka.invalid');
    expect(deRows).toContain('tulip-desk@politie.invalid');

    // Every inbound call is in the hub's audit log, attributed to the calling peer agency.
    const audit = await hub.store.db.selectFrom('audit_log').select(['actor', 'action']).where('action', 'like', 'federation.inbound.%').execute();
    expect(audit.some((a) => a.actor === 'peer:NL-POL' && a.action === 'federation.inbound.tokens')).toBe(true);
    expect(audit.some((a) => a.actor === 'peer:DE-BKA' && a.action === 'federation.inbound.notices')).toBe(true);
  });

  it('refuses a replayed request, an altered body, an unknown key and an unsigned call with 401', async () => {
    const tokens = recorded.find((r) => r.url === '/api/federation/inbound/tokens')!;
    const replay = await send(hub.url, tokens);
    expect(replay.status).toBe(401);
    expect(replay.json.error).toBe('federation_replay');

    const body = JSON.parse(tokens.body);
    body.contact = 'attacker@evil.invalid';
    const altered = await send(hub.url, { ...tokens, body: JSON.stringify(body), headers: { ...tokens.headers, 'x-darkpatrol-nonce': 'fresh-nonce-1' } });
    expect(altered.status).toBe(401);
    expect(altered.json.error).toBe('federation_bad_signature');

    const stranger = generateAgencyKeyPair('FR-OCRTIS');
    const text = JSON.stringify({ caseRef: 'x', contact: 'y', tokens: ['ab'.repeat(64)] });
    const signed = signRequest({ method: 'POST', path: '/api/federation/inbound/tokens', body: text, audience: 'dp-hub' }, stranger);
    const unknown = await send(hub.url, { method: 'POST', url: '/api/federation/inbound/tokens', headers: { ...signed, 'content-type': 'application/json' }, body: text });
    expect(unknown.status).toBe(401);
    expect(unknown.json.error).toBe('federation_unknown_signer');

    const unsigned = await send(hub.url, { method: 'GET', url: '/api/federation/inbound/notices', headers: {}, body: '' });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.error).toBe('federation_missing_header');

    // Signed by a registered agency but addressed to another installation.
    const nlKey = (await api(nl, 'admin', 'GET', '/api/federation/self')).json.keyId;
    const misaddressed = recorded.find((r) => r.url === '/api/federation/inbound/notices' && r.headers['x-darkpatrol-key-id'] === nlKey)!;
    const toDe = await send(de.url, misaddressed);
    expect(toDe.status).toBe(401);
    expect(toDe.json.error).toBe('federation_wrong_audience');

    const refused = await hub.store.db.selectFrom('audit_log').select('detail').where('action', '=', 'federation.inbound.refused').execute();
    expect(refused.length).toBeGreaterThanOrEqual(4);
    // Nothing of the refused calls was stored.
    expect(await everything(hub)).not.toContain('attacker@evil.invalid');
  });

  it('sends a signed package from one installation to another, which verifies and keeps it', async () => {
    const { id: agency_id } = await nl.store.db.selectFrom('agencies').select('id').where('code', '=', 'NL-POL').executeTakeFirstOrThrow();
    const own = { agency_id, tlp: 'AMBER' as const };
    const m = await nl.store.db.insertInto('markets').values({ ...own, slug: 'hansa', name: 'Hansa', status: 'up' }).returning('id').executeTakeFirstOrThrow();
    const cap = await nl.store.db.insertInto('captures').values({ ...own, kind: 'http', market_id: m.id, url: 'http://hansa.onion/v/dutchmagic', payload_sha256: 'cd'.repeat(32), fetched_at: new Date('2017-06-01Z') }).returning('id').executeTakeFirstOrThrow();
    const v = await nl.store.db.insertInto('vendors').values({ ...own, market_id: m.id, handle: 'DutchMagic', handle_norm: 'dutchmagic', first_seen: new Date('2017-01-01Z'), last_seen: new Date('2017-06-01Z'), capture_id: cap.id }).returning('id').executeTakeFirstOrThrow();
    const sel = await nl.store.db.insertInto('selectors').values({ ...own, kind: 'btc_address', value: 'bc1qtulipwallet0000000000000000000000000' }).returning('id').executeTakeFirstOrThrow();
    await nl.store.db.insertInto('selector_sightings').values({ ...own, selector_id: sel.id, vendor_id: v.id, source: 'profile', capture_id: cap.id, observed_at: new Date('2017-06-01Z') }).execute();

    const sent = await api(nl, 'inv', 'POST', `/api/federation/peers/${nlToDe}/packages`, { kind: 'vendor', id: v.id });
    expect(sent.status, sent.body).toBe(200);
    expect(sent.json).toMatchObject({ delivered: true, tlp: 'AMBER' });
    const imports = await api(de, 'inv', 'GET', '/api/packages/imports');
    expect(imports.json.items).toEqual([expect.objectContaining({ id: sent.json.remoteImportId, via: 'federation', signer_agency: 'NL-POL', tlp: 'AMBER' })]);
    const got = await api(de, 'inv', 'GET', `/api/packages/imports/${sent.json.remoteImportId}`);
    expect(JSON.stringify(got.json.package)).toContain('DutchMagic');
  });
});
