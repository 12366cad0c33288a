import { sql } from 'kysely';
import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import { blindedNotices, blindingClient, registerTokens } from '../../deconflict/index.ts';
import type { BlindedNoticeView, RegisteredSelectorKind } from '../../deconflict/index.ts';
import { exportPublicKeyJwk, importJwk, KeyFormatError } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import { ACCESS } from '../access/policy.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import {
  agencySigningKey,
  callPeer,
  evaluatorFor,
  exchangeDb,
  exchangeOptions,
  installationIdentity,
  PeerAddressError,
  PeerCallError,
  peerApiError,
  peerPolicy,
  verifyPeerRequest,
} from '../exchange/index.ts';
import type { VerifiedPeer } from '../exchange/index.ts';
import type { App, RouteContext } from '../types.ts';
import { idParams, who } from './common.ts';
import { deconflictApiError, evaluateBody, tokensBody } from './deconflict.ts';
import { exportSubject, importSignedPackage, PACKAGE_BODY_LIMIT, subjectBody } from './packages.ts';

/** Registrations sent to the hub per evaluate call (the hub evaluates at most 1,000 at once). */
const SYNC_BATCH = 500;
/** Most registrations one sync call sends; call again for more. */
const SYNC_MAX = 10_000;

const rawBodies = new WeakMap<object, string>();
const verifiedPeers = new WeakMap<object, VerifiedPeer>();

/**
 * Federation between installations. Admin routes register peers (base URL, installation id, public key); an
 * agency syncs its de-confliction registrations with a peer acting as hub (blinded: the hub sees OPRF outputs and
 * opaque case handles, never a selector or a case) and sends signed packages to a peer. The inbound routes answer
 * other installations: each request must carry a valid Ed25519 signature of a registered peer, addressed to this
 * installation, within ±5 minutes, with a nonce never used before.
 */
export function register(ctx: RouteContext): void {
  const { app, opts } = ctx;
  const raw = opts.store.db;
  const db = exchangeDb(raw);
  const evaluator = evaluatorFor(opts);
  const preferredId = exchangeOptions(opts).installationId;
  const policy = peerPolicy(opts);

  app.get('/federation/self', { config: { access: { ...ACCESS.admin, audit: 'federation.self' } }, schema: { tags: ['federation'], summary: "What a peer needs to register this installation: its id, base URL is yours to give, and the agency's public key" } }, async (req) => {
    const p = who(req.principal);
    const id = await installationIdentity(raw, preferredId);
    const key = await agencySigningKey(raw, p.agencyId);
    const agency = await db.selectFrom('agencies').select(['code', 'contact_point']).where('id', '=', p.agencyId).executeTakeFirstOrThrow();
    return { installationId: id.installationId, agency: agency.code, contact: agency.contact_point, keyId: key.keyId, jwk: exportPublicKeyJwk(key) };
  });

  app.get('/federation/peers', { config: { access: { ...ACCESS.admin, audit: 'federation.peer.list' } }, schema: { tags: ['federation'], summary: 'Peers the agency registered' } }, async (req) => ({
    items: await db
      .selectFrom('federation_peers')
      .select(['id', 'name', 'base_url', 'installation_id', 'peer_agency', 'peer_contact', 'key_id', 'created_at'])
      .where('agency_id', '=', who(req.principal).agencyId)
      .orderBy('id')
      .execute(),
  }));

  app.post(
    '/federation/peers',
    {
      config: { access: { ...ACCESS.admin, audit: 'federation.peer.add' } },
      schema: {
        tags: ['federation'],
        summary: 'Register a peer installation: base URL, its installation id, and its agency public key (JWK)',
        body: z.object({
          name: z.string().min(1).max(200),
          baseUrl: z.string().url().max(500).refine((u) => /^https?:\/\//.test(u), 'http(s) URL'),
          installationId: z.string().min(1).max(200),
          jwk: z.record(z.string(), z.unknown()),
          contact: z.string().max(500).default(''),
        }),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const b = req.body;
      let key;
      try {
        key = importJwk(b.jwk);
      } catch (e) {
        if (e instanceof KeyFormatError) throw badRequest(e.message);
        throw e;
      }
      if ('secretKey' in key) throw badRequest('send the public key only (no "d")');
      try {
        await policy.checkBaseUrl(b.baseUrl);
      } catch (e) {
        if (e instanceof PeerAddressError) throw new ApiError(400, 'peer_address_refused', e.message);
        throw e;
      }
      // Blinded registrations are owned by agency codes: a peer may not speak for an agency of this installation.
      if (await db.selectFrom('agencies').select('id').where('code', '=', key.agencyId).executeTakeFirst()) throw conflict(`agency ${key.agencyId} is an agency of this installation`);
      if (await db.selectFrom('federation_peers').select('id').where('agency_id', '=', p.agencyId).where('key_id', '=', key.keyId).executeTakeFirst()) throw conflict(`peer key ${key.keyId} is already registered`);
      const row = await db
        .insertInto('federation_peers')
        .values({ agency_id: p.agencyId, name: b.name, base_url: b.baseUrl, installation_id: b.installationId, peer_agency: key.agencyId, peer_contact: b.contact, key_id: key.keyId, public_key: Buffer.from(key.publicKey) })
        .returning(['id', 'name', 'base_url', 'installation_id', 'peer_agency', 'peer_contact', 'key_id', 'created_at'])
        .executeTakeFirstOrThrow();
      req.auditObject = { type: 'federation_peer', id: String(row.id), detail: { peerAgency: row.peer_agency, keyId: row.key_id, baseUrl: row.base_url } };
      return reply.code(201).send(row);
    },
  );

  const ownPeer = async (agencyId: number, id: number) => {
    const peer = await db.selectFrom('federation_peers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!peer || peer.agency_id !== agencyId) throw notFound('peer', id);
    return peer;
  };

  app.delete('/federation/peers/:id', { config: { access: { ...ACCESS.admin, audit: 'federation.peer.remove' } }, schema: { tags: ['federation'], summary: 'Remove a peer (its requests are refused from now on)', params: idParams } }, async (req) => {
    const peer = await ownPeer(who(req.principal).agencyId, req.params.id);
    await db.deleteFrom('federation_peers').where('id', '=', peer.id).execute();
    return { ok: true };
  });

  app.post(
    '/federation/peers/:id/sync',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'federation.sync' } },
      schema: {
        tags: ['federation'],
        summary: "Blinded de-confliction with a hub peer: send the agency's registrations as OPRF outputs, fetch the hub's notices",
        params: idParams,
      },
    },
    async (req) => {
      const p = who(req.principal);
      const peer = await ownPeer(p.agencyId, req.params.id);
      const key = await agencySigningKey(raw, p.agencyId);
      const regs = await sql<{ id: number; kind: RegisteredSelectorKind; value: string; case_id: number; contact_point: string }>`
        select r.id, r.kind, r.value, r.case_id, c.contact_point from deconflict_selectors r join cases c on c.id = r.case_id
        where r.agency_id = ${p.agencyId} and c.closed_at is null
          and not exists (select 1 from federation_tokens t where t.peer_id = ${peer.id} and t.selector_id = r.id)
        order by r.id limit ${SYNC_MAX}`.execute(raw);
      let submitted = 0;
      try {
        for (let i = 0; i < regs.rows.length; i += SYNC_BATCH) {
          const batch = regs.rows.slice(i, i + SYNC_BATCH);
          const prepared = batch.map((r) => blindingClient.prepare(r.kind, r.value));
          const ev = await callPeer<{ evaluatedElements: string[] }>(peer, key, policy, 'POST', '/api/federation/inbound/oprf/evaluate', { blindedElements: prepared.map((x) => x.request.blindedElement) });
          if (!Array.isArray(ev?.evaluatedElements) || ev.evaluatedElements.length !== batch.length) throw new PeerCallError(200, `peer ${peer.name} answered a malformed evaluation`);
          const tokens = prepared.map((x, j) => blindingClient.finish(x.state, ev.evaluatedElements[j]!));
          const byCase = new Map<number, { contact: string; tokens: string[] }>();
          batch.forEach((r, j) => {
            const c = byCase.get(r.case_id) ?? { contact: r.contact_point, tokens: [] };
            c.tokens.push(tokens[j]!);
            byCase.set(r.case_id, c);
          });
          // The hub gets an opaque handle per case ("case-<local id>") and the case's contact point, nothing else.
          for (const [caseId, c] of byCase) await callPeer(peer, key, policy, 'POST', '/api/federation/inbound/tokens', { caseRef: `case-${caseId}`, contact: c.contact, tokens: c.tokens });
          await db
            .insertInto('federation_tokens')
            .values(batch.map((r, j) => ({ agency_id: p.agencyId, peer_id: peer.id, selector_id: r.id, token_id: tokens[j]!.slice(0, 32) })))
            .onConflict((oc) => oc.columns(['peer_id', 'selector_id']).doUpdateSet((eb) => ({ token_id: eb.ref('excluded.token_id') })))
            .execute();
          submitted += batch.length;
        }
        const remote = await callPeer<{ items: BlindedNoticeView[] }>(peer, key, policy, 'GET', '/api/federation/inbound/notices');
        const fresh = await storeNotices(p.agencyId, peer.id, remote?.items ?? []);
        req.auditObject = { type: 'federation_peer', id: String(peer.id), detail: { submitted, newNotices: fresh.length } };
        return { submitted, pending: regs.rows.length === SYNC_MAX, newNotices: fresh };
      } catch (e) {
        if (e instanceof PeerCallError) {
          req.auditObject = { type: 'federation_peer', id: String(peer.id), detail: { submitted, error: e.message.slice(0, 300), peerStatus: e.status } };
          throw peerApiError(e);
        }
        throw deconflictApiError(e);
      }
    },
  );

  /** Keep the hub's notices that map to this agency's own case and registration; answers the new ones. */
  const storeNotices = async (agencyId: number, peerId: number, items: BlindedNoticeView[]) => {
    const fresh = [];
    for (const n of items.slice(0, 100_000)) {
      const m = /^case-(\d+)$/.exec(String(n.yourCaseRef));
      if (!m || typeof n.tokenId !== 'string' || typeof n.hitId !== 'number') continue;
      const sel = await sql<{ selector_id: number; case_id: number }>`
        select t.selector_id, r.case_id from federation_tokens t join deconflict_selectors r on r.id = t.selector_id
        where t.peer_id = ${peerId} and t.agency_id = ${agencyId} and t.token_id = ${n.tokenId} and r.case_id = ${Number(m[1])}
        limit 1`.execute(raw);
      const s = sel.rows[0];
      if (!s) continue; // not one of ours: ignore rather than trust the hub
      const row = await db
        .insertInto('federation_notices')
        .values({ agency_id: agencyId, peer_id: peerId, remote_hit_id: n.hitId, token_id: n.tokenId, case_id: s.case_id, selector_id: s.selector_id, other_agency: String(n.otherAgency).slice(0, 200), other_contact: String(n.otherContact).slice(0, 500) })
        .onConflict((oc) => oc.columns(['agency_id', 'peer_id', 'remote_hit_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) fresh.push(row.id);
    }
    return fresh.length ? federatedNotices(agencyId, fresh) : [];
  };

  const federatedNotices = async (agencyId: number, ids?: number[]) => {
    let sel = db
      .selectFrom('federation_notices as n')
      .innerJoin('federation_peers as fp', 'fp.id', 'n.peer_id')
      .leftJoin('cases as c', 'c.id', 'n.case_id')
      .leftJoin('deconflict_selectors as r', 'r.id', 'n.selector_id')
      .select(['n.id', 'n.remote_hit_id', 'fp.name as hub', 'n.case_id', 'c.reference as case_reference', 'r.kind', 'r.value', 'n.other_agency', 'n.other_contact', 'n.received_at', 'n.acknowledged_at'])
      .where('n.agency_id', '=', agencyId);
    if (ids) sel = sel.where('n.id', 'in', ids);
    const rows = await sel.orderBy('n.id').limit(10_000).execute();
    return rows.map((r) => ({
      id: r.id,
      hub: r.hub,
      remoteHitId: r.remote_hit_id,
      yourCase: { id: r.case_id, reference: r.case_reference },
      yourSelector: r.kind ? { kind: r.kind, value: r.value } : null,
      other: { agencyCode: r.other_agency, contactPoint: r.other_contact },
      receivedAt: r.received_at,
      acknowledgedAt: r.acknowledged_at,
    }));
  };

  app.get('/federation/notices', { config: { access: { ...ACCESS.deconflict, audit: 'federation.notices' } }, schema: { tags: ['federation'], summary: "Notices the agency received from federation hubs: its case and selector, the other agency's contact point" } }, async (req) => {
    const items = await federatedNotices(who(req.principal).agencyId);
    req.auditObject = { type: 'federation_notices', id: '', detail: { count: items.length } };
    return { items };
  });

  app.post('/federation/notices/:id/acknowledge', { config: { access: { ...ACCESS.deconflict, audit: 'federation.notice.acknowledge' } }, schema: { tags: ['federation'], summary: 'Acknowledge a federated notice (here; the hub is not told)', params: idParams } }, async (req) => {
    const p = who(req.principal);
    const r = await db.updateTable('federation_notices').set({ acknowledged_at: new Date() }).where('id', '=', req.params.id).where('agency_id', '=', p.agencyId).where('acknowledged_at', 'is', null).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0 && !(await db.selectFrom('federation_notices').select('id').where('id', '=', req.params.id).where('agency_id', '=', p.agencyId).executeTakeFirst())) throw notFound('notice', req.params.id);
    req.auditObject = { type: 'federation_notice', id: String(req.params.id) };
    return { ok: true };
  });

  app.post(
    '/federation/peers/:id/packages',
    {
      config: { access: { ...ACCESS.exchange, audit: 'federation.package.send' } },
      schema: { tags: ['federation'], summary: 'Export a subject as a signed package and deliver it to a peer agency (signed request)', params: idParams, body: subjectBody },
    },
    async (req) => {
      const p = who(req.principal);
      const peer = await ownPeer(p.agencyId, req.params.id);
      const { pkg, omitted } = await exportSubject(raw, p, req.body.kind, req.body.id, req.body.tlp);
      req.auditObject = { type: req.body.kind, id: String(req.body.id), detail: { peer: peer.id, to: peer.peer_agency, bundleId: pkg.bundle.id, tlp: pkg.manifest.tlp } };
      try {
        const r = await callPeer<{ id: number }>(peer, await agencySigningKey(raw, p.agencyId), policy, 'POST', '/api/federation/inbound/packages', { to: peer.peer_agency, package: pkg });
        return { delivered: true, remoteImportId: r?.id ?? null, bundleId: pkg.bundle.id, tlp: pkg.manifest.tlp, omitted };
      } catch (e) {
        if (e instanceof PeerCallError) throw peerApiError(e);
        throw e;
      }
    },
  );

  void app.register(async (fed) => inbound(fed as unknown as App, ctx, { evaluator, preferredId }));
}

/** Routes other installations call. Raw bodies are kept so the signature covers exactly the bytes sent. */
async function inbound(fed: App, { opts }: RouteContext, o: { evaluator: ReturnType<typeof evaluatorFor>; preferredId: string | undefined }): Promise<void> {
  const raw = opts.store.db;
  const db = exchangeDb(raw);
  fed.removeContentTypeParser('application/json');
  fed.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    rawBodies.set(req, body as string);
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(new ApiError(400, 'bad_json', 'body is not JSON'), undefined);
    }
  });

  const auditFor = async (peer: VerifiedPeer, action: string, detail: Record<string, unknown>) => {
    // Entered in the log of each local agency that registered the peer's key, so its admins see it.
    const agencies = await db.selectFrom('federation_peers').select('agency_id').distinct().where('key_id', '=', peer.keyId).execute();
    for (const a of agencies.length ? agencies : [{ agency_id: null }]) {
      await appendAudit(raw, { agencyId: a.agency_id, userId: null, actor: `peer:${peer.agency}`, action, objectType: 'federation', objectId: peer.keyId, detail });
    }
  };

  // Verified before body validation, so an unsigned or replayed request learns nothing but 401.
  const preValidation = async (req: FastifyRequest) => {
    const id = await installationIdentity(raw, o.preferredId);
    try {
      verifiedPeers.set(req, await verifyPeerRequest(raw, id.installationId, { method: req.method, url: req.url, headers: req.headers, rawBody: rawBodies.get(req) }));
    } catch (e) {
      if (e instanceof ApiError) {
        await appendAudit(raw, { agencyId: null, userId: null, actor: 'peer:unverified', action: 'federation.inbound.refused', objectType: 'route', objectId: `${req.method} ${req.routeOptions.url}`, detail: { reason: e.code, keyId: String(req.headers['x-darkpatrol-key-id'] ?? '').slice(0, 100) } });
      }
      throw e;
    }
  };
  const peerOf = (req: FastifyRequest): VerifiedPeer => {
    const p = verifiedPeers.get(req);
    if (!p) throw new Error('inbound federation route reached without a verified peer');
    return p;
  };

  fed.post(
    '/federation/inbound/oprf/evaluate',
    { preValidation, config: { access: ACCESS.peer }, schema: { tags: ['federation'], summary: 'Peer: evaluate blinded elements (rate-limited per peer agency)', body: evaluateBody } },
    async (req, reply) => {
      const peer = peerOf(req);
      try {
        const r = await o.evaluator.evaluate(`peer:${peer.agency}`, req.body.blindedElements);
        await auditFor(peer, 'federation.inbound.oprf.evaluate', { elements: req.body.blindedElements.length });
        return r;
      } catch (e) {
        throw deconflictApiError(e, reply);
      }
    },
  );

  fed.post(
    '/federation/inbound/tokens',
    { preValidation, config: { access: ACCESS.peer }, schema: { tags: ['federation'], summary: "Peer: register OPRF outputs against the peer agency's opaque case handle", body: tokensBody } },
    async (req) => {
      const peer = peerOf(req);
      try {
        const r = await registerTokens(raw, { owner: peer.agency, ...req.body });
        await auditFor(peer, 'federation.inbound.tokens', { submitted: req.body.tokens.length, registered: r.registered, hits: r.notices.length });
        return { registered: r.registered, notices: r.notices };
      } catch (e) {
        throw deconflictApiError(e);
      }
    },
  );

  fed.get('/federation/inbound/notices', { preValidation, config: { access: ACCESS.peer }, schema: { tags: ['federation'], summary: "Peer: the peer agency's hits at this hub" } }, async (req) => {
    const peer = peerOf(req);
    const items = await blindedNotices(raw, peer.agency);
    await auditFor(peer, 'federation.inbound.notices', { count: items.length });
    return { items };
  });

  fed.post(
    '/federation/inbound/packages',
    {
      preValidation,
      bodyLimit: PACKAGE_BODY_LIMIT,
      config: { access: ACCESS.peer },
      schema: { tags: ['federation'], summary: 'Peer: deliver a signed package to a local agency that registered the sender', body: z.object({ to: z.string().min(1).max(200), package: z.record(z.string(), z.unknown()) }) },
    },
    async (req, reply) => {
      const peer = peerOf(req);
      const target = await db
        .selectFrom('federation_peers as fp')
        .innerJoin('agencies as a', 'a.id', 'fp.agency_id')
        .select(['a.id'])
        .where('a.code', '=', req.body.to)
        .where('fp.key_id', '=', peer.keyId)
        .executeTakeFirst();
      if (!target) throw new ApiError(403, 'not_a_peer', `agency ${req.body.to} has not registered the sending key`);
      let r;
      try {
        r = await importSignedPackage(raw, target.id, req.body.package, 'federation', null);
      } catch (e) {
        if (e instanceof ApiError) await auditFor(peer, 'federation.inbound.package.rejected', { to: req.body.to, reason: e.message.slice(0, 300) });
        throw e;
      }
      await auditFor(peer, 'federation.inbound.package', { to: req.body.to, importId: r.id, bundleId: r.bundleId, tlp: r.tlp });
      return reply.code(201).send({ id: r.id, bundleId: r.bundleId, tlp: r.tlp });
    },
  );
}
