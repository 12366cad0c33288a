/**
 * Scores selector extraction against labelled examples: per kind true/false positives, false negatives,
 * precision and recall over (kind, normalised value) pairs per example. Used by the accuracy test and
 * meant for `darkpatrol eval` to print the same table.
 */
import type { SelectorKind } from '../../domain/index.ts';
import { extractSelectors } from './extract.ts';
import type { ExtractSelectorsOptions } from './extract.ts';

export interface LabelledExample {
  text: string;
  /** Every (kind, normalised value) the text must yield — nothing more, nothing less. */
  expect: [SelectorKind, string][];
}

export interface KindScore {
  tp: number;
  fp: number;
  fn: number;
  /** 1 when nothing was found (no false positives possible). */
  precision: number;
  /** 1 when nothing was expected. */
  recall: number;
}

export interface SelectorScore {
  perKind: Partial<Record<SelectorKind, KindScore>>;
  /** `FP kind value in "text"` / `FN …` lines, for reading the failures. */
  mistakes: string[];
}

export async function scoreSelectorExtraction(examples: readonly LabelledExample[], opts?: ExtractSelectorsOptions): Promise<SelectorScore> {
  const counts = new Map<SelectorKind, { tp: number; fp: number; fn: number }>();
  const row = (k: SelectorKind): { tp: number; fp: number; fn: number } => {
    let s = counts.get(k);
    if (!s) counts.set(k, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  const mistakes: string[] = [];
  const key = (k: string, v: string): string => `${k}\u0000${v}`;
  for (const ex of examples) {
    const found = new Map((await extractSelectors(ex.text, opts)).map((s) => [key(s.kind, s.value), s.kind] as const));
    const want = new Map(ex.expect.map(([k, v]) => [key(k, v), k] as const));
    const where = JSON.stringify(ex.text.slice(0, 120));
    for (const [, k] of want) row(k);
    for (const [f, k] of found) {
      if (want.has(f)) row(k).tp++;
      else {
        row(k).fp++;
        mistakes.push(`FP ${k} ${f.split('\u0000')[1]} in ${where}`);
      }
    }
    for (const [w, k] of want) {
      if (found.has(w)) continue;
      row(k).fn++;
      mistakes.push(`FN ${k} ${w.split('\u0000')[1]} in ${where}`);
    }
  }
  const perKind: Partial<Record<SelectorKind, KindScore>> = {};
  for (const [k, s] of counts) {
    perKind[k] = {
      ...s,
      precision: s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp),
      recall: s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn),
    };
  }
  return { perKind, mistakes };
}

export function formatSelectorScore(score: SelectorScore): string {
  const lines = ['kind              tp     fp     fn  precision  recall'];
  for (const [k, s] of Object.entries(score.perKind)) {
    lines.push(
      `${k.padEnd(14)} ${String(s.tp).padStart(5)} ${String(s.fp).padStart(6)} ${String(s.fn).padStart(6)}  ${s.precision.toFixed(3).padStart(9)}  ${s.recall.toFixed(3).padStart(6)}`,
    );
  }
  return lines.join('\n');
}
