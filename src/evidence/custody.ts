/**
 * A case's chain of custody: its captures, each with the evidence-log entries of its WARC records (the hash chain
 * links), who attached it to the case, and the printable custody report for a court bundle. Captured text (URLs,
 * record targets) is untrusted: the report escapes every value and forbids scripts and every load by its own CSP.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import { selectedCaptures } from './export.ts';

export interface CustodyEntry {
  /** Evidence-log entry id: its position in the chain. */
  id: number;
  at: string;
  recordType: string;
  recordId: string;
  targetUri: string | null;
  warcFile: string;
  warcOffset: number;
  warcLength: number;
  blockSha256: string;
  payloadSha256: string | null;
  prevHash: string;
  hash: string;
  /** The entry seals the capture's URL, time, digests, agency and case (migration 0130). */
  sealed: boolean;
}

export interface CustodyCapture {
  id: number;
  kind: string;
  url: string;
  fetchedAt: string;
  httpStatus: number | null;
  contentType: string | null;
  payloadSha256: string;
  payloadSize: number;
  warcRecordId: string | null;
  jobId: string | null;
  /** The undercover/market account the page was fetched as, if any. */
  account: string | null;
  tlp: string;
  /** How it belongs to the case: attached by someone, or fetched by a crawl job of the case. */
  via: 'attached' | 'crawl';
  attachedAt: string | null;
  attachedBy: string | null;
  entries: CustodyEntry[];
}

/**
 * The case's captures (only the agency's own: selectedCaptures with the agency), in fetch order, a page at a time,
 * with their evidence-log entries. `total` counts all of them.
 */
export async function caseCustody(
  db: Kysely<Database>,
  options: { caseId: number; agencyId: number; limit?: number; offset?: number },
): Promise<{ total: number; captures: CustodyCapture[] }> {
  const sel = selectedCaptures(db, { caseId: options.caseId, agencyId: options.agencyId });
  const total = Number(
    (await db.selectFrom('captures').select((eb) => eb.fn.countAll<number>().as('n')).where('id', 'in', sel).executeTakeFirstOrThrow()).n,
  );
  let q = db
    .selectFrom('captures as k')
    .leftJoin('case_evidence as ce', (j) => j.onRef('ce.capture_id', '=', 'k.id').on('ce.case_id', '=', options.caseId))
    .select([
      'k.id', 'k.kind', 'k.url', 'k.fetched_at', 'k.http_status', 'k.content_type', 'k.payload_sha256', 'k.payload_size', 'k.warc_record_id',
      'k.job_id', 'k.account', 'k.tlp', 'ce.added_at', 'ce.added_by',
    ])
    .where('k.id', 'in', sel)
    .orderBy('k.fetched_at')
    .orderBy('k.id');
  if (options.limit !== undefined) q = q.limit(options.limit).offset(options.offset ?? 0);
  const rows = await q.execute();
  const byCapture = new Map<number, CustodyEntry[]>();
  const ids = rows.map((r) => r.id);
  for (let i = 0; i < ids.length; i += 5000) {
    const entries = await db.selectFrom('evidence_log').selectAll().where('capture_id', 'in', ids.slice(i, i + 5000)).orderBy('id').execute();
    for (const e of entries) {
      const list = byCapture.get(e.capture_id!) ?? [];
      byCapture.set(e.capture_id!, list);
      list.push({
        id: Number(e.id),
        at: e.at.toISOString(),
        recordType: e.record_type,
        recordId: e.record_id,
        targetUri: e.target_uri,
        warcFile: e.warc_file,
        warcOffset: Number(e.warc_offset),
        warcLength: Number(e.warc_length),
        blockSha256: e.block_sha256,
        payloadSha256: e.payload_sha256,
        prevHash: e.prev_hash,
        hash: e.hash,
        sealed: e.seal !== null,
      });
    }
  }
  return {
    total,
    captures: rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      url: r.url,
      fetchedAt: r.fetched_at.toISOString(),
      httpStatus: r.http_status,
      contentType: r.content_type,
      payloadSha256: r.payload_sha256,
      payloadSize: Number(r.payload_size),
      warcRecordId: r.warc_record_id,
      jobId: r.job_id,
      account: r.account,
      tlp: r.tlp,
      via: r.added_at ? 'attached' : 'crawl',
      attachedAt: r.added_at ? r.added_at.toISOString() : null,
      attachedBy: r.added_by ?? null,
      entries: byCapture.get(r.id) ?? [],
    })),
  };
}

/** One verification of the case's evidence, as the report states it. */
export interface CustodyVerification {
  ok: boolean;
  /** No chain-broken / chain-reordered problem anywhere in the log. */
  chainOk: boolean;
  at: string;
  by: string;
  chainHead: string;
  entries: number;
  records: number;
  problems: Array<{ kind: string; severity: string; captureId?: number; entryId?: number; detail: string }>;
}

/** A custody step recorded in the audit log (attach, verify, export), with its actor. */
export interface CustodyEvent {
  at: string;
  actor: string;
  action: string;
  detail: string;
}

export interface CustodyReportInput {
  case: { id: number; reference: string; title: string; contactPoint: string; tlp: string; createdAt: string; closedAt: string | null };
  agency: { code: string; name: string };
  generatedAt: string;
  generatedBy: string;
  captures: CustodyCapture[];
  verification: CustodyVerification | null;
  events: CustodyEvent[];
  /** When the report is part of an export bundle: the WARC file in it. */
  bundle?: { warcFile: string; warcSha256: string; warcBytes: number; records: number; chainHead: string; chainEntries: number };
}

/** The report's own policy: no script, no load of anything; only its inline stylesheet applies. */
export const CUSTODY_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox";

/** Escapes text for HTML and makes control and bidi characters visible (a URL may carry them to mislead a reader). */
export function escapeHtml(v: unknown): string {
  const s = v === null || v === undefined ? '—' : String(v);
  return s
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this makes visible
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const STYLE = `
body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#111;margin:24px;max-width:1100px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px;border-bottom:1px solid #999}h3{font-size:14px;margin:16px 0 4px}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}th,td{border:1px solid #bbb;padding:3px 5px;text-align:left;vertical-align:top}
th{background:#eee}.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
.ok{color:#0a6b2d;font-weight:600}.bad{color:#a00;font-weight:600}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{font-weight:600}
.capture{break-inside:avoid;page-break-inside:avoid}.muted{color:#555}
@media print{body{margin:0}a{color:inherit;text-decoration:none}}
`;

/**
 * The custody report as one self-contained, printable HTML document: the case, the verification result, the chain
 * head, every capture with its digests and the evidence-log entries (hash and previous hash) of its records, and
 * the custody steps with their actors. Everything is text; nothing in it runs or loads.
 */
export function custodyReportHtml(r: CustodyReportInput): string {
  const e = escapeHtml;
  const v = r.verification;
  const verification = v
    ? `<p class="${v.ok ? 'ok' : 'bad'}">${v.ok ? 'VERIFIED' : 'VERIFICATION FAILED'}: ${e(v.records)} WARC record(s) of this case re-read and compared with the evidence log; hash chain of ${e(v.entries)} entries recomputed: ${v.chainOk ? 'intact' : 'BROKEN'}.</p>
<dl><dt>verified at</dt><dd>${e(v.at)}</dd><dt>verified by</dt><dd>${e(v.by)}</dd><dt>chain head</dt><dd class="mono">${e(v.chainHead)}</dd></dl>
${v.problems.length ? `<table><tr><th>severity</th><th>problem</th><th>capture</th><th>log entry</th><th>detail</th></tr>${v.problems.map((p) => `<tr><td>${e(p.severity)}</td><td>${e(p.kind)}</td><td>${e(p.captureId)}</td><td>${e(p.entryId)}</td><td>${e(p.detail)}</td></tr>`).join('')}</table>` : '<p>No problems found.</p>'}`
    : '<p class="bad">Not verified: run the verification before relying on this evidence.</p>';
  const captures = r.captures
    .map(
      (c) => `<div class="capture"><h3>Capture #${e(c.id)} — ${e(c.kind)}, TLP:${e(c.tlp)}</h3>
<dl><dt>URL</dt><dd class="mono">${e(c.url)}</dd><dt>fetched</dt><dd>${e(c.fetchedAt)} · HTTP ${e(c.httpStatus)} · ${e(c.contentType)} · ${e(c.payloadSize)} bytes</dd>
<dt>payload SHA-256</dt><dd class="mono">${e(c.payloadSha256)}</dd><dt>WARC record</dt><dd class="mono">${e(c.warcRecordId)}</dd>
<dt>collected by</dt><dd>${c.jobId ? `crawl job ${e(c.jobId)}` : 'no crawl job (import or manual)'}${c.account ? ` as account ${e(c.account)}` : ''}</dd>
<dt>in this case</dt><dd>${c.via === 'attached' ? `attached ${e(c.attachedAt)} by ${e(c.attachedBy ?? 'unrecorded (before 0140)')}` : 'fetched by a crawl job of the case'}</dd></dl>
<table><tr><th>log entry</th><th>logged at</th><th>record</th><th>WARC file @ offset (length)</th><th>block SHA-256</th><th>previous entry hash → entry hash</th></tr>
${c.entries.length ? c.entries.map((x) => `<tr><td>#${e(x.id)}${x.sealed ? ' (sealed)' : ''}</td><td>${e(x.at)}</td><td>${e(x.recordType)}<br><span class="mono">${e(x.recordId)}</span></td><td class="mono">${e(x.warcFile)} @ ${e(x.warcOffset)} (${e(x.warcLength)})</td><td class="mono">${e(x.blockSha256)}</td><td class="mono">${e(x.prevHash)}<br>→ ${e(x.hash)}</td></tr>`).join('\n') : '<tr><td colspan="6" class="bad">no evidence-log entry: this capture is not in the chain of custody</td></tr>'}
</table></div>`,
    )
    .join('\n');
  const bundle = r.bundle
    ? `<h2>This bundle</h2><dl><dt>WARC file</dt><dd class="mono">archive/${e(r.bundle.warcFile)} (${e(r.bundle.warcBytes)} bytes, ${e(r.bundle.records)} records, copied byte for byte)</dd><dt>WARC SHA-256</dt><dd class="mono">${e(r.bundle.warcSha256)}</dd><dt>chain head at export</dt><dd class="mono">${e(r.bundle.chainHead)} (${e(r.bundle.chainEntries)} entries)</dd></dl>
<p class="muted">darkpatrol/manifest.json lists every record with its offsets and digests and the hash of its evidence-log entry; datapackage.json holds the SHA-256 of every file of the bundle and datapackage-digest.json the digest of datapackage.json, signed with the agency's Ed25519 key.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<title>Chain of custody — case ${e(r.case.reference)}</title><style>${STYLE}</style></head>
<body>
<h1>Chain of custody — case ${e(r.case.reference)}</h1>
<p>${e(r.case.title)} · ${e(r.agency.name)} (${e(r.agency.code)}) · TLP:${e(r.case.tlp)} · contact point ${e(r.case.contactPoint)}</p>
<dl><dt>case opened</dt><dd>${e(r.case.createdAt)}${r.case.closedAt ? ` · closed ${e(r.case.closedAt)}` : ''}</dd><dt>report generated</dt><dd>${e(r.generatedAt)} by ${e(r.generatedBy)}</dd><dt>captures</dt><dd>${e(r.captures.length)}</dd></dl>
<h2>Verification</h2>
${verification}
${bundle}
<h2>Custody steps</h2>
${r.events.length ? `<table><tr><th>time</th><th>actor</th><th>step</th><th>detail</th></tr>${r.events.map((x) => `<tr><td>${e(x.at)}</td><td>${e(x.actor)}</td><td>${e(x.action)}</td><td>${e(x.detail)}</td></tr>`).join('')}</table>` : '<p>No steps recorded in the audit log.</p>'}
<h2>Captures and their evidence-log entries</h2>
<p class="muted">Each capture's WARC records are entries of one hash chain: an entry's hash covers the previous entry's hash and the record's location and digests, so a change to any earlier entry or record shows. Captured content is not reproduced here; the URLs are shown as text.</p>
${captures || '<p>This case has no captures.</p>'}
</body></html>
`;
}
