import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sql } from 'kysely';
import { z } from 'zod';
import {
  caseCustody,
  custodyReportHtml,
  CUSTODY_REPORT_CSP,
  exportWacz,
  selectedCaptures,
  verifyEvidence,
  type CustodyEvent,
  type CustodyVerification,
} from '../../evidence/index.ts';
import { sendInertHtml } from '../captures/sanitize.ts';
import { exportPublicKeyJwk } from '../../exchange/index.ts';
import { ACCESS } from '../access/policy.ts';
import type { Principal } from '../auth/principal.ts';
import { ApiError, conflict, notFound } from '../errors.ts';
import { agencySigningKey } from '../exchange/index.ts';
import type { RouteContext } from '../types.ts';
import { idParams, page, who } from './common.ts';

/** The audit actions of the custody steps the report lists (the audit log is their record, with actor and time). */
const STEPS = { attach: 'case.evidence.attach', verify: 'case.evidence.verify', export: 'case.evidence.export' } as const;

/** Largest bundle answered over HTTP; bigger cases are exported with `darkpatrol evidence wacz --case`. */
const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/**
 * Evidence and court export, per case: the case's captures with their custody (evidence-log entries), attaching
 * captures, verifying them against the hash chain, the printable custody report and the export bundle (WACZ with
 * the WARC subset, the manifest and the custody report). Only the case's agency reaches a case; every call is
 * audited, and the attach/verify/export entries are the custody steps the report lists.
 */
export function register({ app, opts }: RouteContext): void {
  const db = opts.store.db;
  const evidenceDir = path.resolve(opts.warcRoot ?? process.cwd());

  const ownCase = async (p: Principal, id: number) => {
    const c = await db
      .selectFrom('cases as k')
      .innerJoin('agencies as a', 'a.id', 'k.agency_id')
      .select(['k.id', 'k.agency_id', 'k.reference', 'k.title', 'k.contact_point', 'k.tlp', 'k.created_at', 'k.closed_at', 'a.code', 'a.name'])
      .where('k.id', '=', id)
      .executeTakeFirst();
    // Another agency's case answers exactly like a missing one.
    if (!c || c.agency_id !== p.agencyId) throw notFound('case', id);
    return c;
  };
  const caseJson = (c: Awaited<ReturnType<typeof ownCase>>) => ({
    id: c.id,
    reference: c.reference,
    title: c.title,
    contactPoint: c.contact_point,
    tlp: c.tlp,
    createdAt: c.created_at.toISOString(),
    closedAt: c.closed_at ? c.closed_at.toISOString() : null,
  });

  /** The custody steps of a case, oldest first, from the audit log of its agency. */
  const steps = async (agencyId: number, caseId: number) => {
    const rows = await db
      .selectFrom('audit_log')
      .select(['at', 'actor', 'action', 'detail'])
      .where('agency_id', '=', agencyId)
      .where('object_type', '=', 'case')
      .where('object_id', '=', String(caseId))
      .where('action', 'in', Object.values(STEPS))
      .where(sql<string>`detail->>'status'`, '=', '200')
      .orderBy('id')
      .limit(5000)
      .execute();
    return rows;
  };

  const lastVerification = (rows: Awaited<ReturnType<typeof steps>>): (CustodyVerification & { failedCaptures: number[]; scope: number[] }) | null => {
    const r = [...rows].reverse().find((x) => x.action === STEPS.verify && x.detail.result);
    if (!r) return null;
    return { ...(r.detail.result as CustodyVerification & { failedCaptures: number[]; scope: number[] }), at: r.at.toISOString(), by: r.actor };
  };

  const describe = (x: Awaited<ReturnType<typeof steps>>[number]): CustodyEvent => {
    const d = x.detail as Record<string, unknown>;
    const detail =
      x.action === STEPS.attach
        ? `attached capture(s) ${(d.attached as number[] | undefined)?.join(', ') || 'none (already attached)'}`
        : x.action === STEPS.verify
          ? `${(d.result as { ok?: boolean } | undefined)?.ok ? 'verified' : 'verification FAILED'}: ${(d.result as { records?: number } | undefined)?.records ?? 0} record(s), ${(d.result as { problems?: unknown[] } | undefined)?.problems?.length ?? 0} problem(s)`
          : `exported ${String(d.records ?? '?')} record(s) as ${String(d.file ?? '?')} (SHA-256 ${String(d.sha256 ?? '?')}), verification ${d.verified ? 'passed' : 'FAILED'}`;
    return { at: x.at.toISOString(), actor: x.actor, action: x.action.replace('case.evidence.', ''), detail };
  };

  /**
   * Verifies the case's captures: the whole chain is recomputed, the case's records re-read. Problems of entries
   * outside the case are named by kind and entry only (they belong to other cases, maybe other agencies).
   */
  const verifyCase = async (agencyId: number, caseId: number, actor: string): Promise<CustodyVerification & { failedCaptures: number[]; scope: number[] }> => {
    const ids = (await selectedCaptures(db, { caseId, agencyId }).execute()).map((r) => r.id);
    if (ids.length === 0) throw new ApiError(422, 'no_evidence', `case ${caseId} has no captures to verify; attach captures first`);
    const idSet = new Set(ids);
    const entryCapture = new Map<number, number>();
    for (let i = 0; i < ids.length; i += 5000) {
      for (const e of await db.selectFrom('evidence_log').select(['id', 'capture_id']).where('capture_id', 'in', ids.slice(i, i + 5000)).execute()) entryCapture.set(Number(e.id), e.capture_id!);
    }
    const report = await verifyEvidence(db, { dir: evidenceDir, captureIds: ids, maxProblems: 200 });
    const problems: CustodyVerification['problems'] = report.problems.map((p) => {
      const captureId = p.captureId ?? (p.entryId !== undefined ? entryCapture.get(p.entryId) : undefined);
      if (captureId !== undefined && idSet.has(captureId)) return { kind: p.kind, severity: p.severity, captureId, entryId: p.entryId, detail: p.detail };
      return { kind: p.kind, severity: p.severity, entryId: p.entryId, detail: `a problem in the evidence log outside this case's records (entry ${p.entryId ?? '?'}): an administrator should run darkpatrol evidence verify` };
    });
    const failed = [...new Set(problems.filter((p) => p.severity === 'error' && p.captureId !== undefined).map((p) => p.captureId!))];
    // Captures with no log entry at all are not in the chain of custody.
    const logged = new Set(entryCapture.values());
    for (const id of ids) if (!logged.has(id) && !failed.includes(id)) {
      failed.push(id);
      problems.push({ kind: 'capture-unlogged', severity: 'error', captureId: id, entryId: undefined, detail: `capture ${id} has no evidence-log entry: its bytes are not in the chain of custody` });
    }
    return {
      ok: report.ok && failed.length === 0,
      chainOk: !report.problems.some((p) => p.kind === 'chain-broken' || p.kind === 'chain-reordered'),
      at: new Date().toISOString(),
      by: actor,
      chainHead: report.chainHead,
      entries: report.entries,
      records: report.records,
      problems,
      failedCaptures: failed.sort((a, b) => a - b),
      scope: ids,
    };
  };

  app.get(
    '/cases/:id/evidence',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'case.evidence.list' } },
      schema: { tags: ['evidence'], summary: "A case's captures with their custody (evidence-log entries), how each came into the case, and the last verification", params: idParams, querystring: z.object(page) },
    },
    async (req) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      const { total, captures } = await caseCustody(db, { caseId: c.id, agencyId: p.agencyId, limit: req.query.limit, offset: req.query.offset });
      const rows = await steps(p.agencyId, c.id);
      const last = lastVerification(rows);
      req.auditObject = { type: 'case', id: String(c.id) };
      return {
        case: caseJson(c),
        total,
        limit: req.query.limit,
        offset: req.query.offset,
        nextOffset: req.query.offset + captures.length < total ? req.query.offset + captures.length : null,
        captures: captures.map((x) => ({
          ...x,
          // Per capture, from the last run: verified, failed, or not covered by it (attached or fetched since).
          verification: !last ? 'unverified' : last.failedCaptures.includes(x.id) ? 'failed' : last.scope.includes(x.id) ? 'verified' : 'unverified',
        })),
        verification: last ? { ok: last.ok, chainOk: last.chainOk, at: last.at, by: last.by, chainHead: last.chainHead, entries: last.entries, records: last.records, problems: last.problems } : null,
        steps: rows.map(describe).reverse().slice(0, 50),
      };
    },
  );

  app.post(
    '/cases/:id/evidence',
    {
      config: { access: { ...ACCESS.deconflict, audit: STEPS.attach } },
      schema: {
        tags: ['evidence'],
        summary: "Attach captures of the agency to an open case (captures of other agencies answer as not found)",
        params: idParams,
        body: z.object({ captureIds: z.array(z.number().int().positive().max(2 ** 31 - 1)).min(1).max(1000) }).strict(),
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      req.auditObject = { type: 'case', id: String(c.id) };
      if (c.closed_at) throw conflict(`case ${c.reference} is closed; evidence cannot be attached to it`);
      const wanted = [...new Set(req.body.captureIds)];
      const own = new Set((await db.selectFrom('captures').select('id').where('id', 'in', wanted).where('agency_id', '=', p.agencyId).execute()).map((r) => r.id));
      const notFoundIds = wanted.filter((id) => !own.has(id));
      const attached = own.size
        ? (await db.insertInto('case_evidence').values([...own].map((capture_id) => ({ case_id: c.id, capture_id, added_by: p.actor }))).onConflict((oc) => oc.columns(['case_id', 'capture_id']).doNothing()).returning('capture_id').execute()).map((r) => r.capture_id)
        : [];
      req.auditObject = { type: 'case', id: String(c.id), detail: { attached, notFound: notFoundIds.slice(0, 100) } };
      return reply.code(200).send({ attached, alreadyAttached: [...own].filter((id) => !attached.includes(id)), notFound: notFoundIds });
    },
  );

  app.post(
    '/cases/:id/evidence/verify',
    {
      config: { access: { ...ACCESS.deconflict, audit: STEPS.verify } },
      schema: { tags: ['evidence'], summary: "Verify the case's captures: re-read their WARC records, compare digests and seals, recompute the whole hash chain", params: idParams },
    },
    async (req) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      req.auditObject = { type: 'case', id: String(c.id) }; // a refused run is a step of the case too
      const result = await verifyCase(p.agencyId, c.id, p.actor);
      const { scope, ...shown } = result;
      req.auditObject = { type: 'case', id: String(c.id), detail: { result: { ...shown, problems: shown.problems.slice(0, 50), failedCaptures: shown.failedCaptures.slice(0, 1000), scope: scope.slice(0, 10_000) } } };
      return shown;
    },
  );

  const report = async (p: Principal, c: Awaited<ReturnType<typeof ownCase>>, verification: CustodyVerification | null, bundle?: Parameters<typeof custodyReportHtml>[0]['bundle']) => {
    const { captures } = await caseCustody(db, { caseId: c.id, agencyId: p.agencyId });
    const rows = await steps(p.agencyId, c.id);
    return custodyReportHtml({
      case: caseJson(c),
      agency: { code: c.code, name: c.name },
      generatedAt: new Date().toISOString(),
      generatedBy: p.actor,
      captures,
      verification: verification ?? lastVerification(rows),
      events: rows.map(describe),
      bundle,
    });
  };

  app.get(
    '/cases/:id/evidence/report',
    {
      config: { access: { ...ACCESS.deconflict, audit: 'case.evidence.report' } },
      schema: { tags: ['evidence'], summary: 'The printable custody report (HTML: no script, no loads; captured text shown as text) with the last verification', params: idParams },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      req.auditObject = { type: 'case', id: String(c.id) };
      return sendInertHtml(reply, CUSTODY_REPORT_CSP, await report(p, c, null));
    },
  );

  app.post(
    '/cases/:id/evidence/export',
    {
      config: { access: { ...ACCESS.deconflict, audit: STEPS.export } },
      schema: {
        tags: ['evidence'],
        summary: "The court bundle of a case: verifies its captures, then answers a WACZ (zip) holding the WARC subset byte for byte, DarkPatrol's manifest, the custody report (HTML) and the datapackage digests signed with the agency's key",
        params: idParams,
      },
    },
    async (req, reply) => {
      const p = who(req.principal);
      const c = await ownCase(p, req.params.id);
      req.auditObject = { type: 'case', id: String(c.id) };
      const verification = await verifyCase(p.agencyId, c.id, p.actor);
      const key = await agencySigningKey(db, p.agencyId);
      const work = mkdtempSync(path.join(tmpdir(), 'dp-bundle-'));
      const fileName = `${c.reference.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || `case-${c.id}`}-evidence.wacz`;
      try {
        const out = path.join(work, fileName);
        const result = await exportWacz(db, {
          dir: evidenceDir,
          out,
          selection: { caseId: c.id, agencyId: p.agencyId },
          title: `Case ${c.reference}: ${c.title}`,
          sign: (m) => ({ keyId: key.keyId, agencyId: key.agencyId, algorithm: 'Ed25519', signature: Buffer.from(ed25519.sign(m, key.secretKey)).toString('base64url'), publicKeyJwk: { ...exportPublicKeyJwk(key) } }),
          extra: async (manifest) => {
            const warc = manifest.files[0]!;
            const { scope: _s, failedCaptures: _f, ...v } = verification;
            const html = await report(p, c, v, { warcFile: warc.name, warcSha256: warc.sha256, warcBytes: warc.bytes, records: manifest.records.length, chainHead: manifest.chainHead.head, chainEntries: manifest.chainHead.entries });
            return [{ name: 'custody-report.html', source: Buffer.from(html, 'utf8') }];
          },
        }).catch((e: Error) => {
          if (/does not match the evidence log|is unreadable/.test(e.message)) throw new ApiError(409, 'evidence_mismatch', e.message);
          if (/no evidence matches/.test(e.message)) throw new ApiError(422, 'no_evidence', `case ${c.reference} has no logged captures to export`);
          throw e;
        });
        if (statSync(out).size > MAX_BUNDLE_BYTES) throw new ApiError(413, 'bundle_too_large', `the bundle is ${statSync(out).size} bytes; export it with darkpatrol evidence wacz --case ${c.id}`);
        req.auditObject = { type: 'case', id: String(c.id), detail: { file: fileName, sha256: result.sha256, bytes: result.bytes, records: result.manifest.records.length, verified: verification.ok } };
        return reply
          .header('content-disposition', `attachment; filename="${fileName}"`)
          .header('x-bundle-sha256', result.sha256)
          .header('cache-control', 'no-store')
          .type('application/wacz')
          .send(readFileSync(out));
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );
}
