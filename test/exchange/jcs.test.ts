import { describe, expect, it } from 'vitest';
import { canonicalize, CanonicalizationError } from '../../src/exchange/index.ts';

describe('RFC 8785 JSON canonicalisation', () => {
  it('serialises numbers, strings and literals as the RFC example (§3.2.2)', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (§3.2.3)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control","\\u00f6":"Latin Small Letter O With Diaeresis"}',
    ) as Record<string, string>;
    // Read the order from the text: JavaScript objects list integer-like keys ("1") first whatever the source.
    const text = canonicalize(input);
    const order = Object.values(input).sort((a, b) => text.indexOf(a) - text.indexOf(b));
    expect(order).toEqual([
      'Carriage Return',
      'One',
      'Control',
      'Latin Small Letter O With Diaeresis',
      'Euro Sign',
      'Emoji: Grinning Face',
      'Hebrew Letter Dalet With Dagesh',
    ]);
  });

  it('gives the same text whatever the member order', () => {
    expect(canonicalize({ b: 1, a: { d: [1, 2], c: 'x' } })).toBe(canonicalize({ a: { c: 'x', d: [1, 2] }, b: 1 }));
  });

  it('refuses values without a canonical form', () => {
    expect(() => canonicalize({ n: NaN })).toThrow(CanonicalizationError);
    expect(() => canonicalize({ s: 'bad \ud800 surrogate' })).toThrow(/surrogate/);
    expect(() => canonicalize([undefined])).toThrow(CanonicalizationError);
    expect(() => canonicalize({ d: new Date(0) })).toThrow(/plain objects/);
    expect(() => canonicalize({ b: 1n })).toThrow(CanonicalizationError);
  });
});
