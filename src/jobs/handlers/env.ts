import type { Store } from '../../store/index.ts';
import type { CrawlHooks } from '../../collect/index.ts';

/** What a worker machine brings to its jobs: its store, its Tor client, its view of the shared evidence storage. */
export interface WorkerEnv {
  store: Store;
  /** WARC directory (shared storage: every worker writes its own files there, never into another's). */
  evidenceDir: string;
  /** This machine's Tor SOCKS port ("socks5h://127.0.0.1:9050"). */
  proxy: string | undefined;
  /** Where `import` jobs find their files (shared storage). */
  importDir: string;
  crawlHooks?: CrawlHooks;
  /** Crawl limits for this worker (tests and benchmarks keep crawls short). */
  crawl?: { delayMs?: number; concurrency?: number; timeoutMs?: number; retry?: { maxAttempts?: number; baseMs?: number; maxMs?: number } };
}

/** A job's agency is required for work done on an agency's behalf. */
export function requireAgency(agencyId: number | null, kind: string): number {
  if (agencyId === null) throw new Error(`a ${kind} job needs an agency`);
  return agencyId;
}
