import { z } from 'zod';
import type { Kysely } from 'kysely';
import { TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import {
  buildPackage,
  exportPublicKeyJwk,
  importBundle,
  importJwk,
  KeyFormatError,
  PackageInputError,
  PackageVerificationError,
  signPackage,
  StixImportError,
  subjectPackageInput,
  SubjectNotFoundError,
} from '../../exchange/index.ts';
import type { SignedPackage, SubjectKind } from '../../exchange/index.ts';
import type { Database } from '../../store/index.ts';
import { ACCESS } from '../access/policy.ts';
import { ApiError, badRequest, conflict, notFound } from '../errors.ts';
import { agencySigningKey, exchangeDb, trustedKeysOf } from '../exchange/index.ts';
import type { Principal } from '../auth/principal.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, tlpEnum, toPage, who } from './common.ts';

export const PACKAGE_BODY_LIMIT = 16 * 1024 * 1024;
export const subjectBody = z.object({ kind: z.enum(['vendor', 'identity', 'case']), id: z.number().int().positive().max(2 ** 31 - 1), tlp: tlpEnum.optional() });

/** Build and sign a package of a subject the caller may see, with the caller's agency key. */
export async function exportSubject(db: Kysely<Database>, p: Principal, kind: SubjectKind, id: number, tlp?: Tlp): Promise<{ pkg: SignedPackage; omitted: string[] }> {
  try {
    // Routes that export reach only agency staff (never partners), so the agency's own view is the caller's view.
    const { input, omitted } = await subjectPackageInput(db, { agencyId: p.agencyId, kind, id, ...(tlp ? { tlp } : {}) });
    const built = buildPackage(input);
    return { pkg: signPackage(built, await agencySigningKey(db, p.agencyId)), omitted };
  } catch (e) {
    if (e instanceof SubjectNotFoundError) throw notFound(e.kind, e.id);
    if (e instanceof PackageInputError) throw badRequest(e.message, e.issues.slice(0, 20));
    throw e;
  }
}

/**
 * Verify a signed package against the keys the agency trusts and store it (markings kept as sent). A package that
 * is unsigned, signed by an unknown key, altered, or not STIX answers 422 `package_rejected` with the reason.
 */
export async function importSignedPackage(db: Kysely<Database>, agencyId: number, body: unknown, via: 'api' | 'federation', userId: number | null) {
  let r;
  try {
    r = importBundle(body, { trustedKeys: await trustedKeysOf(db, agencyId), requireSignature: true });
  } catch (e) {
    if (e instanceof PackageVerificationError) throw new ApiError(422, 'package_rejected', `${e.code}: ${e.message}`, { reason: e.code });
    if (e instanceof StixImportError) throw new ApiError(422, 'package_rejected', `${e.code}: ${e.message}`, { reason: e.code, issues: e.issues.slice(0, 20) });
    throw e;
  }
  const tlp: Tlp = r.manifest?.tlp ?? r.tlp ?? 'RED';
  const summary = { objects: r.objects.length, accounts: r.accounts.length, selectors: r.selectors.length, warnings: r.warnings.slice(0, 50) };
  const row = await exchangeDb(db)
    .insertInto('exchange_imports')
    .values({
      agency_id: agencyId,
      tlp: (TLP_LEVELS as readonly string[]).includes(tlp) ? tlp : 'RED',
      bundle_id: r.bundleId,
      signer_agency: r.signer!.agencyId,
      signer_key_id: r.signer!.keyId,
      via,
      manifest: JSON.stringify(r.manifest),
      package: JSON.stringify(body),
      markings: JSON.stringify(r.markings.map((m) => ({ id: m.id, tlp: m.tlp, official: m.official, name: m.name }))),
      summary: JSON.stringify(summary),
      imported_by: userId,
    })
    .returning(['id', 'imported_at'])
    .executeTakeFirstOrThrow();
  return {
    id: row.id,
    importedAt: row.imported_at,
    bundleId: r.bundleId,
    signer: r.signer,
    tlp,
    markings: r.markings.map((m) => ({ id: m.id, tlp: m.tlp, official: m.official })),
    selectors: r.selectors.map((s) => ({ kind: s.kind, value: s.value, tlp: s.tlp })),
    accounts: r.accounts.map((a) => ({ handle: a.handle, source: a.source.name, tlp: a.tlp })),
    summary,
  };
}

/** Signed STIX 2.1 packages: the agency's key, trusted partner keys, export, import, imported packages. */
export function register({ app, opts }: RouteContext): void {
  const raw = opts.store.db;
  const db = exchangeDb(raw);

  app.get('/exchange/key', { config: { access: { ...ACCESS.exchange, audit: 'exchange.key.read' } }, schema: { tags: ['exchange'], summary: "The agency's package-signing public key (JWK), created on first use" } }, async (req) => {
    const k = await agencySigningKey(raw, who(req.principal).agencyId);
    return { keyId: k.keyId, jwk: exportPublicKeyJwk(k) };
  });

  app.get('/exchange/trusted-keys', { config: { access: { ...ACCESS.admin, audit: 'exchange.trusted_key.list' } }, schema: { tags: ['exchange'], summary: 'Partner keys the agency accepts packages from' } }, async (req) => ({
    items: await db.selectFrom('exchange_trusted_keys').select(['id', 'partner', 'key_id', 'note', 'created_at']).where('agency_id', '=', who(req.principal).agencyId).orderBy('id').execute(),
  }));

  app.post(
    '/exchange/trusted-keys',
    {
      config: { access: { ...ACCESS.admin, audit: 'exchange.trusted_key.add' } },
      schema: { tags: ['exchange'], summary: "Trust a partner agency's public key (Ed25519 JWK with its agency id)", body: z.object({ jwk: z.record(z.string(), z.unknown()), note: z.string().max(500).default('') }) },
    },
    async (req, reply) => {
      const p = who(req.principal);
      let key;
      try {
        key = importJwk(req.body.jwk);
      } catch (e) {
        if (e instanceof KeyFormatError) throw badRequest(e.message);
        throw e;
      }
      if ('secretKey' in key) throw badRequest('send the public key only (no "d")');
      if (await db.selectFrom('exchange_trusted_keys').select('id').where('agency_id', '=', p.agencyId).where('key_id', '=', key.keyId).executeTakeFirst()) throw conflict(`key ${key.keyId} is already trusted`);
      const row = await db
        .insertInto('exchange_trusted_keys')
        .values({ agency_id: p.agencyId, partner: key.agencyId, key_id: key.keyId, public_key: Buffer.from(key.publicKey), note: req.body.note })
        .returning(['id', 'partner', 'key_id', 'note', 'created_at'])
        .executeTakeFirstOrThrow();
      req.auditObject = { type: 'trusted_key', id: String(row.id), detail: { partner: row.partner, keyId: row.key_id } };
      return reply.code(201).send(row);
    },
  );

  app.delete('/exchange/trusted-keys/:id', { config: { access: { ...ACCESS.admin, audit: 'exchange.trusted_key.remove' } }, schema: { tags: ['exchange'], summary: 'Stop trusting a partner key', params: idParams } }, async (req) => {
    const r = await db.deleteFrom('exchange_trusted_keys').where('id', '=', req.params.id).where('agency_id', '=', who(req.principal).agencyId).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound('trusted key', req.params.id);
    return { ok: true };
  });

  app.post(
    '/packages/export',
    {
      config: { access: { ...ACCESS.exchange, audit: 'package.export' } },
      schema: {
        tags: ['exchange'],
        summary: 'Export a vendor, identity or case as a signed STIX 2.1 package (marked at least as strictly as its rows)',
        body: subjectBody,
      },
    },
    async (req) => {
      const p = who(req.principal);
      const { pkg, omitted } = await exportSubject(raw, p, req.body.kind, req.body.id, req.body.tlp);
      req.auditObject = { type: req.body.kind, id: String(req.body.id), detail: { bundleId: pkg.bundle.id, tlp: pkg.manifest.tlp, objects: pkg.bundle.objects.length, omitted: omitted.length } };
      return { package: pkg, omitted };
    },
  );

  app.post(
    '/packages/import',
    {
      bodyLimit: PACKAGE_BODY_LIMIT,
      config: { access: { ...ACCESS.exchange, audit: 'package.import' } },
      schema: { tags: ['exchange'], summary: "Import a signed package: verified against the agency's trusted keys; markings kept", body: z.record(z.string(), z.unknown()) },
    },
    async (req, reply) => {
      const p = who(req.principal);
      try {
        const r = await importSignedPackage(raw, p.agencyId, req.body, 'api', p.userId);
        req.auditObject = { type: 'package_import', id: String(r.id), detail: { bundleId: r.bundleId, signer: r.signer, tlp: r.tlp } };
        return await reply.code(201).send(r);
      } catch (e) {
        if (e instanceof ApiError) req.auditObject = { type: 'package_import', id: '', detail: { rejected: e.message.slice(0, 300) } };
        throw e;
      }
    },
  );

  app.get(
    '/packages/imports',
    { config: { access: { ...ACCESS.exchange, audit: 'package.import.list' } }, schema: { tags: ['exchange'], summary: 'Packages the agency imported', querystring: z.object(page) } },
    async (req) => {
      const q = req.query;
      const rows = await db
        .selectFrom('exchange_imports')
        .select(['id', 'tlp', 'bundle_id', 'signer_agency', 'signer_key_id', 'via', 'summary', 'imported_at'])
        .where('agency_id', '=', who(req.principal).agencyId)
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .offset(q.offset)
        .execute();
      return toPage(rows, q.limit, q.offset);
    },
  );

  app.get('/packages/imports/:id', { config: { access: { ...ACCESS.exchange, audit: 'package.import.read' } }, schema: { tags: ['exchange'], summary: 'One imported package, as received, with its markings', params: idParams } }, async (req) => {
    const row = await db.selectFrom('exchange_imports').selectAll().where('id', '=', req.params.id).executeTakeFirst();
    // Imported packages belong to the importing agency: the sender addressed them to it, whatever their marking.
    if (!row || row.agency_id !== who(req.principal).agencyId) throw notFound('package import', req.params.id);
    req.auditObject = { type: 'package_import', id: String(row.id) };
    return row;
  });
}
