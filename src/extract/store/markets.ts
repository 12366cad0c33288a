import type { Store } from '../../store/index.ts';
import { extractCaptures, type ExtractCapturesReport } from './captures.ts';
import { classifyForStore } from './classify.ts';
import { loadFxTable } from './fx.ts';

/**
 * The market adapter (or the generic extractor) over every page an archive import (`import pages`, `import warc`,
 * their console jobs) just filed under these markets: one report per market (each ends with the embedded engine's
 * vacuum, in extractCaptures).
 */
export async function extractMarkets(store: Store, o: { evidenceDir: string; marketIds: number[]; onProgress?: (market: number, done: number, total: number) => void }): Promise<ExtractCapturesReport[]> {
  const fx = await loadFxTable(store.db);
  const out: ExtractCapturesReport[] = [];
  for (const marketId of o.marketIds) out.push(await extractCaptures(store, { evidenceDir: o.evidenceDir, marketId, fx, classify: classifyForStore, onProgress: o.onProgress && ((done, total) => o.onProgress!(marketId, done, total)) }));
  return out;
}

const SUMMED = ['parsed', 'failed', 'skippedNoAdapter', 'vendors', 'listings', 'feedback', 'selectors'] as const;
export type ExtractionTotals = Record<(typeof SUMMED)[number], number>;

/** The reports of {@link extractMarkets} added up. */
export function extractionTotals(reports: ExtractCapturesReport[]): ExtractionTotals {
  return Object.fromEntries(SUMMED.map((k) => [k, reports.reduce((n, r) => n + r[k], 0)])) as ExtractionTotals;
}
