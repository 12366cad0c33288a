// The Agora adapter's figures on the hand-checked Agora fixtures (pages in a fixtures directory, truth in
// test/fixtures/extract/agora-truth.json), with the scorer the Agora tests use.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractPage } from '../adapter/run.ts';
import { agoraAdapter } from '../adapters/agora.ts';
import type { ExtractResult, PageInput } from '../types.ts';
import { report, scorePage, type FieldReport, type FieldScores, type TruthPage } from './score.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEFAULT_AGORA_FIXTURES = path.resolve(REPO, '../shared/fixtures/agora-2014-04-06');
export const DEFAULT_AGORA_TRUTH = path.resolve(REPO, 'test/fixtures/extract/agora-truth.json');

export interface AgoraFixtureEval {
  dir: string;
  pages: number;
  fields: FieldReport[];
}

type PageExtractor = (page: PageInput) => ExtractResult;
const agoraExtractor: PageExtractor = (page) => extractPage(agoraAdapter, page);

/**
 * Scores an extractor (the Agora adapter by default; the generic extractor for `eval generic`) on every page of
 * the truth file; null when the fixtures or the truth are absent.
 */
export function evaluateAgoraFixtures(dir = DEFAULT_AGORA_FIXTURES, truthFile = DEFAULT_AGORA_TRUTH, extract: PageExtractor = agoraExtractor): AgoraFixtureEval | null {
  if (!existsSync(dir) || !existsSync(truthFile)) return null;
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<string, TruthPage>;
  const scores: FieldScores = new Map();
  let pages = 0;
  for (const [key, t] of Object.entries(truth)) {
    const file = path.join(dir, key);
    if (!existsSync(file)) continue;
    const r = extract({
      url: `http://agorahooawayyfoe.onion/${key}`,
      html: readFileSync(file),
      capturedAt: '2014-04-06T12:00:00Z',
      captureDigest: `sha256:${key}`,
    });
    scorePage(scores, r, t);
    pages++;
  }
  return { dir, pages, fields: report(scores) };
}
