/**
 * `import pages DIR`: folders of saved pages become evidence — the Darknet Market Archives layout
 * (`<market>/<YYYY-MM-DD>/<path>`, or `<market>-<YYYY-MM-DD>/<path>`), wget and HTTrack mirrors (`<host>/<path>`).
 * Each page is preserved as a WARC `resource` record with the URL and date the layout gives (or the options give),
 * a metadata record naming the file it came from (relative path, SHA-256, mtime, where URL and date were taken
 * from), and a capture of kind `archive`. Streaming over the tree (one file in memory at a time), resumable (by
 * position in the sorted walk) and idempotent (a page already captured with the same URL, date and digest is
 * not preserved again).
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, realpathSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import { EvidenceRecorder } from '../../evidence/index.ts';
import { getAdapter } from '../../extract/index.ts';
import type { Database } from '../../store/index.ts';
import { ArchiveMarkets, archiveCheckpoint, saveArchiveCheckpoint, slugOf } from './archive-common.ts';

export interface PagesImportOptions {
  db: Kysely<Database>;
  evidenceDir: string;
  agencyId: number;
  tlp?: Tlp;
  dir: string;
  /** Source slug (default: the market the layout names). */
  market?: string;
  /** Capture date when the layout gives none (default: each file's modification time). */
  date?: Date;
  /** `http://host/` the paths hang off when no host folder says it (default: the market adapter's host). */
  baseUrl?: string;
  onProgress?: (p: { bytes: number; totalBytes: number; rows: number }) => void;
}

export interface PagesImportSummary {
  dir: string;
  pages: number;
  /** Files that are not HTML pages (images, styles, scripts, HTTrack's cache) and files too large. */
  skipped: number;
  /** The first 100 skipped files with the reason (relative path). */
  skips: Array<{ path: string; reason: string }>;
  alreadyPreserved: number;
  marketIds: number[];
  resumedFrom: number;
  alreadyImported: boolean;
  durationMs: number;
}

/** Pages larger than this are not read (extraction refuses pages over 8 MiB anyway). */
const MAX_PAGE_FILE = 32 * 1024 * 1024;
const SKIP_DIRS = new Set(['hts-cache', '.git', '__MACOSX']);
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MARKET_DATE = /^(.+?)[-_](\d{4}-\d{2}-\d{2})$/;
const HOST = /^(?:[a-z2-7]{16}|[a-z2-7]{56})\.onion$|^(?:[a-z0-9-]+\.)+[a-z]{2,24}$/i;

/** Files under `dir` in a stable order (names sorted), not following symbolic links. */
function* walk(dir: string, rel = ''): Generator<{ full: string; rel: string; size: number; mtime: Date }> {
  let entries: Dirent[];
  try {
    entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) yield* walk(dir, r);
    } else if (e.isFile()) {
      const st = lstatSync(path.join(dir, r));
      yield { full: path.join(dir, r), rel: r, size: st.size, mtime: st.mtime };
    }
  }
}

export function looksLikeHtmlPage(head: Buffer): boolean {
  const text = head.subarray(0, 4096).toString('latin1');
  if (head.subarray(0, 512).includes(0)) return false;
  return /<(?:!doctype\s+html|html|head|body|title|div|table|p|a\s|form|meta)[\s>/]/i.test(text);
}

export interface PageOrigin {
  market: string | null;
  date: string | null;
  url: string;
  urlFrom: string;
}

/** What the layout says about one file: market, day and URL. `lead` are the folder names above the imported DIR. */
export function pageOrigin(lead: string[], rel: string, o: { market?: string; baseUrl?: string }): PageOrigin {
  const segs = [...lead, ...rel.split('/')];
  let market: string | null = null;
  let date: string | null = null;
  let rest = rel.split('/');
  for (let i = segs.length - 2; i >= 0; i--) {
    const s = segs[i] as string;
    const md = MARKET_DATE.exec(s);
    if (DATE.test(s) && i >= 1) {
      market = segs[i - 1] as string;
      date = s;
    } else if (md) {
      market = md[1] as string;
      date = md[2] as string;
    } else continue;
    rest = segs.slice(i + 1);
    break;
  }
  let host: string | null = null;
  if (rest.length > 1 && HOST.test(rest[0] as string)) {
    host = (rest[0] as string).toLowerCase();
    rest = rest.slice(1);
  }
  const last = rest[rest.length - 1] ?? '';
  if (/^index\.html?$/i.test(last)) rest = [...rest.slice(0, -1), ''];
  const pathPart = rest.map((p) => encodeURIComponent(p).replace(/%3F/gi, '?').replace(/%3D/gi, '=').replace(/%26/gi, '&')).join('/');
  const name = o.market ?? market;
  let base: string;
  let urlFrom: string;
  if (host) {
    base = `http://${host}/`;
    urlFrom = 'host folder';
  } else if (o.baseUrl) {
    base = o.baseUrl.endsWith('/') ? o.baseUrl : `${o.baseUrl}/`;
    urlFrom = 'given base URL';
  } else if (name && getAdapter(slugOf(name))?.hosts?.[0]) {
    base = `http://${getAdapter(slugOf(name))!.hosts![0]}/`;
    urlFrom = `the ${slugOf(name)} adapter's host`;
  } else {
    base = `http://${slugOf(name ?? 'archive')}.invalid/`;
    urlFrom = 'assumed: no host in the layout (.invalid host)';
  }
  return { market: name, date, url: new URL(pathPart, base).toString(), urlFrom };
}

export async function importPages(o: PagesImportOptions): Promise<PagesImportSummary> {
  const started = Date.now();
  const dir = realpathSync(o.dir);
  const lead = [path.basename(path.dirname(dir)), path.basename(dir)];
  const key = createHash('sha256').update(JSON.stringify([dir, o.market ?? null, o.baseUrl ?? null])).digest('hex');
  const target = o.market ? slugOf(o.market) : '';
  const cp = await archiveCheckpoint(o.db, 'pages', key, target, { dir, market: o.market ?? null, baseUrl: o.baseUrl ?? null });
  const markets = new ArchiveMarkets(o.db, { agencyId: o.agencyId, tlp: o.tlp });
  const summary: PagesImportSummary = { dir, pages: 0, skipped: 0, skips: [], alreadyPreserved: 0, marketIds: [], resumedFrom: cp.position, alreadyImported: cp.done, durationMs: 0 };
  if (cp.done) {
    summary.durationMs = Date.now() - started;
    return summary;
  }
  let totalBytes = 0;
  for (const f of walk(dir)) totalBytes += f.size;
  const recorder = new EvidenceRecorder(o.db, { dir: o.evidenceDir, info: { import: 'pages', 'source-dir': dir } });
  const jobId = `import-pages-${key.slice(0, 16)}`;
  let position = 0;
  let bytes = 0;
  let rows = cp.rows;
  try {
    for (const f of walk(dir)) {
      position++;
      bytes += f.size;
      if (position <= cp.position) continue;
      const skip = (reason: string) => {
        summary.skipped++;
        if (summary.skips.length < 100) summary.skips.push({ path: f.rel, reason });
      };
      if (f.size > MAX_PAGE_FILE) {
        skip(`larger than ${MAX_PAGE_FILE} bytes`);
        continue;
      }
      const body = readFileSync(f.full);
      if (!looksLikeHtmlPage(body)) {
        skip('not an HTML page (image, style, script or other file)');
        continue;
      }
      const where = pageOrigin(lead, f.rel, o);
      const day = where.date ? new Date(`${where.date}T00:00:00Z`) : null;
      const fetchedAt = day && !Number.isNaN(day.getTime()) ? day : (o.date ?? f.mtime);
      const dateFrom = day ? 'layout' : o.date ? 'given date' : 'file modification time';
      const sha = createHash('sha256').update(body).digest('hex');
      const marketId = where.market ? await markets.forSlug(slugOf(where.market), where.market, where.url) : await markets.forUrl(where.url);
      const dup = await o.db.selectFrom('captures').select('id').where('market_id', '=', marketId).where('url', '=', where.url).where('fetched_at', '=', fetchedAt).where('payload_sha256', '=', sha).executeTakeFirst();
      if (dup) {
        summary.alreadyPreserved++;
        continue;
      }
      await recorder.recordArchived(
        {
          record: { resource: { block: body, targetUri: where.url, date: fetchedAt, contentType: 'text/html' } },
          origin: {
            'source-path': f.rel,
            'source-dir': dir,
            'source-sha256': sha,
            'source-mtime': f.mtime.toISOString(),
            'url-from': where.urlFrom,
            'date-from': dateFrom,
            'market-from': o.market ? 'given' : where.market ? 'layout' : 'host',
          },
          capture: { url: where.url, httpStatus: null, contentType: 'text/html', fetchedAt, payloadSha256: sha, payloadSize: body.length },
        },
        { agencyId: o.agencyId, tlp: o.tlp, marketId, jobId },
      );
      summary.pages++;
      rows++;
      if (position % 50 === 0) {
        await saveArchiveCheckpoint(o.db, cp.id, position, rows, 'running');
        o.onProgress?.({ bytes, totalBytes, rows });
      }
    }
    await saveArchiveCheckpoint(o.db, cp.id, position, rows, 'done');
    o.onProgress?.({ bytes: totalBytes, totalBytes, rows });
  } finally {
    await recorder.close();
  }
  summary.marketIds = markets.ids;
  summary.durationMs = Date.now() - started;
  return summary;
}
