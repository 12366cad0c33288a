import { z } from 'zod';
import { REVENUE_GROUPS } from '../analyse/index.ts';
import { MAX_START_URLS } from '../collect/index.ts';

const id = z.number().int().positive();
/** A file named relative to the worker's import directory (shared storage): no absolute paths, no "..". */
const importFile = z
  .string()
  .min(1)
  .max(500)
  .refine((f) => !f.startsWith('/') && !f.split(/[\\/]/).includes('..') && !f.includes('\0'), 'a path relative to the import directory, without ".."');

/** What an import job reads: a Telegram export, an SQL dump, a CSV scrape, a WARC file, a page archive (.tar/.tar.gz). */
export const IMPORT_FORMATS = ['telegram', 'dump', 'csv', 'warc', 'pages'] as const;

/** The payload of each job kind. Infrastructure (proxy, evidence directory, import directory) is the worker's own. */
export const JOB_PAYLOADS = {
  /**
   * Crawl one market (slug or id) of the job's agency, from its configured start URLs or from `startUrls` (on the
   * market's own hosts: checked when queued and when run), for a case (`caseId` or `caseRef`: open, of the agency);
   * `resumeCrawlJob` continues a paused or killed crawl.
   */
  crawl: z
    .object({
      market: z.union([z.string().min(1).max(100), id]),
      account: z.string().min(1).max(200).optional(),
      caseId: id.optional(),
      caseRef: z.string().trim().min(1).max(200).optional(),
      startUrls: z.array(z.string().min(1).max(2000)).min(1).max(MAX_START_URLS).optional(),
      maxPages: id.optional(),
      resumeCrawlJob: z.string().uuid().optional(),
    })
    .strict()
    .refine((p) => p.caseId === undefined || p.caseRef === undefined, 'give the case by id or by reference, not both'),
  /** Run the market adapters over stored captures: one market, one crawl job's captures, or everything new. */
  extract: z.object({ marketId: id.optional(), crawlJobId: z.string().uuid().optional(), reparse: z.boolean().optional() }).strict(),
  /** Import a file from the worker's import directory. */
  import: z
    .object({
      format: z.enum(IMPORT_FORMATS),
      file: importFile,
      market: z.string().min(1).max(100).optional(),
      mapping: importFile.optional(),
      /** warc, pages: run the market adapters over the imported pages afterwards (default true), as the CLI does. */
      extract: z.boolean().optional(),
    })
    .strict(),
  /** Re-run alias linking for the job's agency. */
  relink: z.object({}).strict(),
  /** Compute a report over the rows the job's agency may see (as the API would); the result is the job's result. */
  report: z.object({ report: z.enum(['revenue', 'targets', 'markets', 'warnings']), by: z.enum(REVENUE_GROUPS).optional(), limit: z.number().int().min(1).max(10_000).optional() }).strict(),
  /** Blinded de-confliction exchange with one federation peer (hub) of the job's agency. */
  'federation-sync': z.object({ peerId: id }).strict(),
} as const;

export const JOB_KINDS = Object.keys(JOB_PAYLOADS) as Array<keyof typeof JOB_PAYLOADS>;

/** Attempts after the first, per kind: a retry after a dead worker must be safe (every handler resumes). */
export const DEFAULT_RETRY_LIMIT: Record<keyof typeof JOB_PAYLOADS, number> = {
  crawl: 3,
  extract: 2,
  import: 2,
  relink: 1,
  report: 1,
  'federation-sync': 2,
};

export function isJobKind(k: string): k is keyof typeof JOB_PAYLOADS {
  return Object.hasOwn(JOB_PAYLOADS, k);
}
