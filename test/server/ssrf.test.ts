import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPublicKeyJwk, generateAgencyKeyPair } from '../../src/exchange/index.ts';
import { buildServer, createUser, type App, type ServerOptions } from '../../src/server/index.ts';
import { exchangeDb, type ExchangeServerOptions } from '../../src/server/exchange/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';
import { loginCookie, type SessionHeaders } from './helpers.ts';
import { TEST_SCRYPT } from './seed.ts';

/**
 * Server-side request forgery through federation: an internal service on loopback answers with a secret. A server
 * whose configuration does not allow loopback peers must neither register such a peer nor ever connect to one
 * (even one written straight into the database, by IP or by a name resolving to loopback); a server that allows
 * the range may call it, but never echoes the raw reply.
 */
const SECRET = 'INTERNAL-SECRET-TEXT-do-not-echo';
let store: TestStore;
let internal: Server;
let internalUrl: string;
let hits = 0;
let agencyId: number;

async function server(allowedPeerNetworks?: string[]): Promise<{ app: App; admin: SessionHeaders; inv: SessionHeaders }> {
  const opts: ServerOptions & ExchangeServerOptions = { store, webRoot: false, rateLimit: false, exchange: { installationId: 'dp-ssrf', ...(allowedPeerNetworks ? { allowedPeerNetworks } : {}) } };
  const app = await buildServer(opts);
  await app.ready();
  return { app, admin: await loginCookie(app, 'admin-ssrf'), inv: await loginCookie(app, 'inv-ssrf') };
}

beforeAll(async () => {
  store = await openTestStore();
  agencyId = (await store.db.insertInto('agencies').values({ code: 'NL-POL', name: 'NL', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
  await createUser(store.db, { agencyCode: 'NL-POL', username: 'admin-ssrf', role: 'admin', password: 'correct horse battery' }, TEST_SCRYPT);
  await createUser(store.db, { agencyCode: 'NL-POL', username: 'inv-ssrf', role: 'investigator', password: 'correct horse battery' }, TEST_SCRYPT);
  internal = createServer((_req, res) => {
    hits++;
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`${SECRET} `.repeat(20));
  });
  await new Promise<void>((r) => internal.listen(0, '127.0.0.1', r));
  internalUrl = `http://127.0.0.1:${(internal.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise((r) => internal?.close(r));
  await store?.close();
});

let seq = 0;
const peerBody = (baseUrl: string) => ({ name: `p${++seq}`, baseUrl, installationId: `dp-p${seq}`, jwk: exportPublicKeyJwk(generateAgencyKeyPair(`PEER-${seq}`)) });
async function peerInDb(baseUrl: string): Promise<number> {
  const k = generateAgencyKeyPair(`RAW-${++seq}`);
  const r = await exchangeDb(store.db).insertInto('federation_peers').values({ agency_id: agencyId, name: `raw${seq}`, base_url: baseUrl, installation_id: `dp-raw${seq}`, peer_agency: k.agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey) }).returning('id').executeTakeFirstOrThrow();
  return r.id;
}

describe('federation outbound requests', () => {
  it('refuses to register a loopback, private or link-local peer unless the configuration allows its range', async () => {
    const { app, admin } = await server();
    const port = new URL(internalUrl).port;
    for (const baseUrl of [internalUrl, `http://localhost:${port}`, `http://[::1]:${port}`, `http://[::ffff:127.0.0.1]:${port}`, 'http://10.1.2.3/', 'http://169.254.169.254/latest', 'http://192.168.1.1/', 'http://0.0.0.0/']) {
      const r = await app.inject({ method: 'POST', url: '/api/federation/peers', headers: admin, payload: peerBody(baseUrl) });
      expect(r.statusCode, baseUrl).toBe(400);
      expect(r.json().error, baseUrl).toBe('peer_address_refused');
    }
    await app.close();
    const allowing = await server(['127.0.0.0/8']);
    const ok = await allowing.app.inject({ method: 'POST', url: '/api/federation/peers', headers: allowing.admin, payload: peerBody(internalUrl) });
    expect(ok.statusCode, ok.body).toBe(201);
    await allowing.app.close();
    expect(hits).toBe(0);
  });

  it('never connects to an internal address of a peer it did not check (by IP or by name), and never echoes a reply', async () => {
    const { app, inv } = await server();
    const port = new URL(internalUrl).port;
    for (const baseUrl of [internalUrl, `http://localhost:${port}`]) {
      const id = await peerInDb(baseUrl);
      const r = await app.inject({ method: 'POST', url: `/api/federation/peers/${id}/sync`, headers: inv });
      expect(r.statusCode, baseUrl).toBe(502);
      expect(r.json().message).toMatch(/unreachable: .*loopback, private or otherwise internal address/);
    }
    expect(hits).toBe(0);
    await app.close();

    const allowing = await server(['127.0.0.0/8']);
    const id = await peerInDb(internalUrl);
    const r = await allowing.app.inject({ method: 'POST', url: `/api/federation/peers/${id}/sync`, headers: allowing.inv });
    expect(hits).toBeGreaterThan(0);
    expect(r.statusCode).toBe(502);
    expect(r.body).not.toContain('INTERNAL-SECRET');
    expect(r.json().message).toContain('answered 500 (not a DarkPatrol answer)');
    const audit = await store.db.selectFrom('audit_log').select('detail').where('action', '=', 'federation.sync').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.detail)).not.toContain('INTERNAL-SECRET');
    await allowing.app.close();
  });
});
