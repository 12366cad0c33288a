/**
 * Hostile input: multi-megabyte strings built to trip regex backtracking, unclosed markup, endless
 * entities, floods of valid selectors. Each must finish (vitest's timeout bounds it; speed itself is
 * for benchmarks) with capped, sane results and never throw.
 */
import { describe, expect, it } from 'vitest';
import { extractSelectorsDetailed } from '../../src/extract/selectors/index.ts';

const MB = 1024 * 1024;

function lcgText(len: number, alphabet: string, seed: number): string {
  let x = seed >>> 0;
  const out: string[] = new Array<string>(len);
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = alphabet[(x >>> 8) % alphabet.length] as string;
  }
  return out.join('');
}

const HOSTILE: Record<string, () => string> = {
  'random base58 with spaces (10 MB)': () => lcgText(10 * MB, '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz ', 1),
  'unclosed tags "<a<a<a…" (10 MB)': () => '<a'.repeat(5 * MB),
  'entity starts "&#&#…" (10 MB)': () => '&#'.repeat(5 * MB),
  '"a@a@a@…" (10 MB)': () => 'a@'.repeat(5 * MB),
  'one 10 MB run of digits': () => '1'.repeat(10 * MB),
  'digits and spaces "12 12 …" (9 MB)': () => '12 '.repeat(3 * MB),
  '"+1 +1 …" (9 MB)': () => '+1 '.repeat(3 * MB),
  'BEGIN PGP lines with no END': () => '-----BEGIN PGP PUBLIC KEY BLOCK-----\n'.repeat(250_000),
  'label floods "telegram: wickr me: threema: signal: "': () => 'telegram: wickr me: threema: signal: '.repeat(250_000),
  'open parentheses (10 MB)': () => '('.repeat(10 * MB),
  '"a [at] " repeated': () => 'a [at] '.repeat(MB),
  'deep nesting <div>×2M': () => '<div>'.repeat(2 * MB),
  '63-char local parts, no domain': () => `${`${'a'.repeat(63)}.`.repeat(150_000)}@`,
  'a@ followed by 5M labels': () => `a@${'b.'.repeat(5 * MB)}`,
  'signal: a.a.a.…': () => `signal: ${'a.'.repeat(5 * MB)}`,
  'lone surrogates': () => '\uD800x'.repeat(3 * MB),
  'unclosed comment': () => `<!--${'x'.repeat(10 * MB)}`,
  'hex run (8 MB)': () => '0123456789abcdef'.repeat(MB / 2),
  'PGP-looking base64 lines': () => 'mQENBFKXLp0BEAC6oQhlrwObULlfLFV4jkhZeJdoiX3f5OL4UnJEPo6M+hDs7umh\n'.repeat(150_000),
};

describe('hostile input', () => {
  for (const [name, make] of Object.entries(HOSTILE)) {
    it(`${name}: finishes with bounded output`, async () => {
      const input = make();
      const r = await extractSelectorsDetailed(input);
      expect(r.selectors.length).toBeLessThanOrEqual(10_000);
      expect(r.errors.length).toBeLessThanOrEqual(32);
      for (const s of r.selectors) expect(input.slice(s.offset, s.offset + s.raw.length)).toBe(s.raw);
    });
  }

  it('a flood of valid selectors is capped and flagged', async () => {
    const input = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa '.repeat(50_000);
    const r = await extractSelectorsDetailed(input, { maxMatches: 1000 });
    expect(r.selectors).toHaveLength(1000);
    expect(r.truncated).toBe(true);
  });

  it('input beyond maxInputLength is ignored and flagged', async () => {
    const input = `${'x'.repeat(1000)} 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa`;
    const r = await extractSelectorsDetailed(input, { maxInputLength: 1000 });
    expect(r.selectors).toEqual([]);
    expect(r.truncated).toBe(true);
  });

  it('selectors inside script bodies are not read; a script injection is just text', async () => {
    const page = '<script>alert("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")</script><img src=x onerror="x@y.com">';
    const r = await extractSelectorsDetailed(page);
    expect(r.selectors).toEqual([]);
  });
});
