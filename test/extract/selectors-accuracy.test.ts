/**
 * Accuracy: hand-labelled examples (test/fixtures/selectors/labelled.json) plus generated valid addresses
 * from seeded bytes and their one-character-changed lookalikes. Precision and recall per kind must be
 * ≥ 0.98; the table is printed so the figures are visible in CI logs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractSelectors } from '../../src/extract/selectors/index.ts';
import type { SelectorKind } from '../../src/extract/selectors/index.ts';
import { generate, mutate, Rng, TEMPLATES } from './selectors-gen.ts';
import type { GeneratedKind } from './selectors-gen.ts';

interface Example {
  text: string;
  expect: [SelectorKind, string][];
}

const labelled = JSON.parse(readFileSync(new URL('../fixtures/selectors/labelled.json', import.meta.url), 'utf8')) as {
  examples: Example[];
};

function generatedExamples(seed: number, perKind: number): Example[] {
  const rng = new Rng(seed);
  const out: Example[] = [];
  const kinds: GeneratedKind[] = ['btc_address', 'ltc_address', 'eth_address', 'xmr_address', 'onion', 'session'];
  for (const kind of kinds) {
    for (let i = 0; i < perKind; i++) {
      const g = generate(rng, kind);
      const tpl = rng.pick(TEMPLATES);
      out.push({ text: tpl(g.text), expect: [[g.kind, g.value]] });
      if (g.checksummed) {
        const pos = g.from + rng.int(g.text.length - g.from);
        out.push({ text: tpl(mutate(g, pos, rng)), expect: [] });
      }
    }
  }
  return out;
}

interface Score {
  tp: number;
  fp: number;
  fn: number;
}

async function score(examples: Example[]): Promise<{ table: Map<SelectorKind, Score>; mistakes: string[] }> {
  const table = new Map<SelectorKind, Score>();
  const row = (k: SelectorKind): Score => {
    let s = table.get(k);
    if (!s) table.set(k, (s = { tp: 0, fp: 0, fn: 0 }));
    return s;
  };
  const mistakes: string[] = [];
  for (const ex of examples) {
    const found = new Set((await extractSelectors(ex.text)).map((s) => `${s.kind} ${s.value}`));
    const want = new Set(ex.expect.map(([k, v]) => `${k} ${v}`));
    for (const [k] of ex.expect) row(k);
    for (const f of found) {
      const k = f.split(' ')[0] as SelectorKind;
      if (want.has(f)) row(k).tp++;
      else {
        row(k).fp++;
        mistakes.push(`FP ${f} in ${JSON.stringify(ex.text.slice(0, 120))}`);
      }
    }
    for (const w of want) {
      if (!found.has(w)) {
        row(w.split(' ')[0] as SelectorKind).fn++;
        mistakes.push(`FN ${w} in ${JSON.stringify(ex.text.slice(0, 120))}`);
      }
    }
  }
  return { table, mistakes };
}

const KINDS_SCORED: SelectorKind[] = [
  'btc_address', 'ltc_address', 'eth_address', 'xmr_address', 'onion', 'email', 'phone', 'telegram', 'wickr',
  'session', 'signal', 'threema', 'jabber',
];

describe('selector accuracy', () => {
  it('has labelled positives and negatives for every kind', () => {
    for (const k of KINDS_SCORED.filter((k) => !['ltc_address'].includes(k))) {
      expect(labelled.examples.some((e) => e.expect.some(([kind]) => kind === k)), k).toBe(true);
    }
    expect(labelled.examples.filter((e) => e.expect.length === 0).length).toBeGreaterThan(40);
  });

  it('reaches precision and recall ≥ 0.98 for every kind', async () => {
    const examples = [...labelled.examples, ...generatedExamples(20140406, 60)];
    const { table, mistakes } = await score(examples);
    const lines = ['kind            tp    fp    fn  precision  recall'];
    for (const k of KINDS_SCORED) {
      const s = table.get(k) ?? { tp: 0, fp: 0, fn: 0 };
      const p = s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp);
      const r = s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn);
      lines.push(`${k.padEnd(14)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(5)} ${String(s.fn).padStart(5)}  ${p.toFixed(3).padStart(9)}  ${r.toFixed(3).padStart(6)}`);
    }
    console.log(`${lines.join('\n')}\n${mistakes.join('\n')}`);
    for (const k of KINDS_SCORED) {
      const s = table.get(k);
      expect(s, `no examples for ${k}`).toBeDefined();
      if (!s) continue;
      expect(s.tp, `${k}: no true positives`).toBeGreaterThan(0);
      expect(s.tp / (s.tp + s.fp), `${k} precision`).toBeGreaterThanOrEqual(0.98);
      expect(s.tp / (s.tp + s.fn), `${k} recall`).toBeGreaterThanOrEqual(0.98);
    }
  });
});
