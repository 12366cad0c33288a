/** `link run`: resolve one agency's accounts and write identities, members and explained links. */
import { sql, type Kysely } from 'kysely';
import { appendAudit, type Database } from '../store/index.ts';
import { loadAccounts, type LoadOptions } from './load.ts';
import { explain, loadModel, pairFeatures, type LinkModel } from './model.ts';
import type { Prepared } from './prepare.ts';
import { resolveAccounts, type Decisions, type Resolution, type ResolveOptions } from './resolve.ts';

export interface LinkRunOptions extends ResolveOptions {
  agencyId: number;
  model?: LinkModel;
  load?: LoadOptions;
  /** Proposed links below this score are not written (they are still candidates next run). */
  reportFloor?: number;
  actor?: string;
  userId?: number | null;
}

export interface LinkRunReport {
  runId: number;
  model: string;
  accounts: number;
  candidatePairs: number;
  candidatesByBlock: Resolution['candidates']['byBlock'];
  linksWritten: number;
  identities: number;
  multiAccountIdentities: number;
  joins: { must: number; hard: number; soft: number };
  refused: Resolution['clusters']['refused'];
  decisions: { must: number; cannot: number };
  /** Seconds per stage; `resolve` is load + prepare + blocking + scoring + clustering (no writing). */
  seconds: Record<string, number>;
  /** CPU seconds of this process per stage (load includes the embedded database when it runs in-process). */
  cpuSeconds: Record<string, number>;
}

/** The latest ruling on each pair of this agency's accounts. */
export async function loadDecisions(db: Kysely<Database>, agencyId: number): Promise<Decisions> {
  const rows = await sql<{ vendor_a: number; vendor_b: number; ruling: 'must' | 'cannot' }>`
    select distinct on (vendor_a, vendor_b) vendor_a, vendor_b, ruling from link_decisions
    where agency_id = ${agencyId} order by vendor_a, vendor_b, id desc`.execute(db);
  const out: Decisions = { must: [], cannot: [] };
  for (const r of rows.rows) out[r.ruling].push([r.vendor_a, r.vendor_b]);
  return out;
}

export async function runLinking(store: { db: Kysely<Database> }, opts: LinkRunOptions): Promise<LinkRunReport> {
  const { db } = store;
  const started = new Date();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const model = opts.model ?? loadModel();
  const accounts = await loadAccounts(db, opts.agencyId, opts.load);
  const tLoad = (performance.now() - t0) / 1000;
  const cLoad = cpuSince(c0);
  const decisions = await loadDecisions(db, opts.agencyId);
  // Nothing after prepare reads the texts: let them go once tokenised.
  const res = resolveAccounts(accounts, model, decisions, { ...opts, prepare: { releaseTexts: true, ...opts.prepare } });
  const tResolve = (performance.now() - t0) / 1000;
  const cResolve = cpuSince(c0);
  const written = await writeResolution(db, opts, model, res, decisions);
  const tTotal = (performance.now() - t0) / 1000;
  const cTotal = cpuSince(c0);
  const joins = { must: 0, hard: 0, soft: 0 };
  for (const j of res.clusters.joins) joins[j.via]++;
  const report: Omit<LinkRunReport, 'runId'> = {
    model: model.version, accounts: accounts.length, candidatePairs: res.candidates.pairs.length,
    candidatesByBlock: res.candidates.byBlock, linksWritten: written.links, identities: written.identities,
    multiAccountIdentities: written.multi, joins, refused: res.clusters.refused,
    decisions: { must: decisions.must.length, cannot: decisions.cannot.length },
    seconds: { load: round(tLoad), ...res.timings, resolve: round(tResolve), write: round(tTotal - tResolve), total: round(tTotal) },
    cpuSeconds: { load: round(cLoad), ...res.cpu, resolve: round(cResolve), write: round(cTotal - cResolve), total: round(cTotal) },
  };
  const run = await db.insertInto('link_runs').values({ agency_id: opts.agencyId, model_version: model.version,
    started_at: started, finished_at: new Date(), stats: JSON.stringify(report) }).returning('id').executeTakeFirstOrThrow();
  await appendAudit(db, { agencyId: opts.agencyId, userId: opts.userId ?? null, actor: opts.actor ?? 'system:link',
    action: 'link.run', objectType: 'link_run', objectId: String(run.id),
    detail: { model: model.version, accounts: report.accounts, identities: report.identities, links: report.linksWritten } });
  return { runId: run.id, ...report };
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function writeResolution(db: Kysely<Database>, opts: LinkRunOptions, model: LinkModel, res: Resolution,
  decisions: Decisions): Promise<{ links: number; identities: number; multi: number }> {
  const { prepared, scored, clusters } = res;
  const floor = opts.reportFloor ?? 0.3;
  const agency = opts.agencyId;
  const decided = new Set([...decisions.must, ...decisions.cannot].map(([a, b]) => `${Math.min(a, b)}/${Math.max(a, b)}`));
  const linkRows: Array<{ agency_id: number; vendor_a: number; vendor_b: number; score: number; evidence: string }> = [];
  for (const s of scored) {
    const a = prepared[s.a] as Prepared;
    const b = prepared[s.b] as Prepared;
    const va = Math.min(a.data.vendorId, b.data.vendorId);
    const vb = Math.max(a.data.vendorId, b.data.vendorId);
    if (!(s.hard || s.p >= floor || decided.has(`${va}/${vb}`))) continue;
    const ex = explain(model, a, b, pairFeatures(a, b));
    const together = clusters.groupOf[s.a] === clusters.groupOf[s.b];
    linkRows.push({ agency_id: agency, vendor_a: va, vendor_b: vb, score: Math.min(1, Math.max(0, ex.score)),
      evidence: JSON.stringify({ ...ex, clustered: together }) });
  }
  let identities = 0;
  let multi = 0;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('links').where('agency_id', '=', agency).where('status', '=', 'proposed').execute();
    for (let i = 0; i < linkRows.length; i += 2000) {
      await trx.insertInto('links').values(linkRows.slice(i, i + 2000))
        .onConflict((oc) => oc.columns(['vendor_a', 'vendor_b']).doUpdateSet((eb) => ({ score: eb.ref('excluded.score'),
          evidence: eb.ref('excluded.evidence') }))).execute();
    }
    // Identities keep their ids where the same accounts stay together (analysts' references survive re-runs).
    const old = await sql<{ vendor_id: number; identity_id: number }>`
      select m.vendor_id, m.identity_id from identity_members m join identities i on i.id = m.identity_id
      where i.agency_id = ${agency}`.execute(trx);
    const oldOf = new Map(old.rows.map((r) => [r.vendor_id, r.identity_id]));
    await sql`delete from identity_members m using identities i where i.id = m.identity_id and i.agency_id = ${agency}`.execute(trx);
    const groups = new Map<number, number[]>();
    clusters.groupOf.forEach((g, i) => { const l = groups.get(g); if (l) l.push(i); else groups.set(g, [i]); });
    const taken = new Set<number>();
    const reuse: Array<{ id: number; members: number[] }> = [];
    const fresh: Array<{ label: string; members: number[] }> = [];
    for (const members of groups.values()) {
      const votes = new Map<number, number>();
      for (const m of members) {
        const o = oldOf.get((prepared[m] as Prepared).data.vendorId);
        if (o !== undefined && !taken.has(o)) votes.set(o, (votes.get(o) ?? 0) + 1);
      }
      let best: number | undefined;
      let bestN = 0;
      for (const [id, n] of votes) if (n > bestN || (n === bestN && best !== undefined && id < best)) { best = id; bestN = n; }
      if (members.length > 1) multi++;
      if (best !== undefined) { taken.add(best); reuse.push({ id: best, members }); }
      else {
        const first = prepared[members[0] as number] as Prepared;
        fresh.push({ label: members.length > 1 ? `${first.data.handle} (+${members.length - 1})` : first.data.handle, members });
      }
    }
    identities = groups.size;
    const freshIds: number[] = [];
    for (let i = 0; i < fresh.length; i += 5000) {
      const rows = await trx.insertInto('identities').values(fresh.slice(i, i + 5000).map((f) => ({ agency_id: agency, label: f.label })))
        .returning('id').execute();
      for (const r of rows) freshIds.push(r.id);
    }
    const memberRows: Array<{ identity_id: number; vendor_id: number }> = [];
    reuse.forEach((r) => { for (const m of r.members) memberRows.push({ identity_id: r.id, vendor_id: (prepared[m] as Prepared).data.vendorId }); });
    fresh.forEach((f, i) => { for (const m of f.members) memberRows.push({ identity_id: freshIds[i] as number, vendor_id: (prepared[m] as Prepared).data.vendorId }); });
    for (let i = 0; i < memberRows.length; i += 10_000) await trx.insertInto('identity_members').values(memberRows.slice(i, i + 10_000)).execute();
    if (reuse.length > 0) {
      const ids = reuse.map((r) => r.id);
      for (let i = 0; i < ids.length; i += 10_000) {
        await trx.updateTable('identities').set({ updated_at: new Date() }).where('id', 'in', ids.slice(i, i + 10_000)).execute();
      }
    }
    await sql`delete from identities i where i.agency_id = ${agency}
      and not exists (select 1 from identity_members m where m.identity_id = i.id)`.execute(trx);
  });
  return { links: linkRows.length, identities, multi };
}
