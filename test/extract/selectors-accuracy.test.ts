/**
 * Accuracy: hand-labelled examples (test/fixtures/selectors/labelled.json) plus generated valid addresses
 * from seeded bytes and their one-character-changed lookalikes. Precision and recall per kind must be
 * ≥ 0.98; the table is printed so the figures are visible in CI logs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractSelectors, formatSelectorScore, normalizeSelector, scoreSelectorExtraction } from '../../src/extract/selectors/index.ts';
import type { LabelledExample, SelectorKind } from '../../src/extract/selectors/index.ts';
import { generate, mutate, Rng, TEMPLATES } from './selectors-gen.ts';
import type { GeneratedKind } from './selectors-gen.ts';

type Example = LabelledExample;

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

const KINDS_SCORED: SelectorKind[] = [
  'pgp_key', 'btc_address', 'ltc_address', 'eth_address', 'xmr_address', 'onion', 'email', 'phone', 'telegram',
  'wickr', 'session', 'signal', 'threema', 'jabber',
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
    const score = await scoreSelectorExtraction(examples);
    console.log(`${formatSelectorScore(score)}\n${score.mistakes.join('\n')}`);
    for (const k of KINDS_SCORED) {
      const s = score.perKind[k];
      expect(s, `no examples for ${k}`).toBeDefined();
      if (!s) continue;
      expect(s.tp, `${k}: no true positives`).toBeGreaterThan(0);
      expect(s.precision, `${k} precision`).toBeGreaterThanOrEqual(0.98);
      expect(s.recall, `${k} recall`).toBeGreaterThanOrEqual(0.98);
    }
  });

  it('every selector found in text is normalizeSelector of its raw text (one normalisation everywhere)', async () => {
    let checked = 0;
    for (const ex of [...labelled.examples, ...generatedExamples(99, 10)]) {
      for (const s of await extractSelectors(ex.text)) {
        if ((s.kind === 'pgp_key' && s.meta?.source === 'key_block') || (s.kind === 'email' && s.meta?.source === 'pgp_uid')) continue;
        expect(normalizeSelector(s.kind, s.raw), `${s.kind} ${JSON.stringify(s.raw)}`).toBe(s.value);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(150);
  });
});
