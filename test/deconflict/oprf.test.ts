import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import {
  blind,
  blindEvaluate,
  deriveKeyPair,
  deserializeElement,
  deserializeScalar,
  evaluate,
  finalize,
  generateKeyPair,
  CONTEXT_STRING,
  OprfError,
} from '../../src/deconflict/oprf/index.ts';

interface Fixture {
  seed: string;
  keyInfo: string;
  skSm: string;
  vectors: { input: string; blind: string; blindedElement: string; evaluationElement: string; output: string }[];
}
const fx = JSON.parse(
  readFileSync(new URL('./fixtures/rfc9497-ristretto255-sha512-oprf.json', import.meta.url), 'utf8'),
) as Fixture;

describe('RFC 9497 OPRF(ristretto255, SHA-512) test vectors', () => {
  it('uses the RFC context string', () => {
    expect(bytesToHex(CONTEXT_STRING)).toBe(bytesToHex(utf8ToBytes('OPRFV1-\x00-ristretto255-SHA512')));
  });

  it('DeriveKeyPair reproduces skSm', () => {
    const kp = deriveKeyPair(hexToBytes(fx.seed), hexToBytes(fx.keyInfo));
    expect(bytesToHex(kp.secretKey)).toBe(fx.skSm);
  });

  for (const [i, v] of fx.vectors.entries()) {
    it(`vector ${i + 1}: Blind, BlindEvaluate, Finalize and Evaluate`, () => {
      const input = hexToBytes(v.input);
      const b = blind(input, hexToBytes(v.blind));
      expect(bytesToHex(b.blindedElement)).toBe(v.blindedElement);
      const evaluated = blindEvaluate(hexToBytes(fx.skSm), b.blindedElement);
      expect(bytesToHex(evaluated)).toBe(v.evaluationElement);
      expect(bytesToHex(finalize(input, b.blind, evaluated))).toBe(v.output);
      expect(bytesToHex(evaluate(hexToBytes(fx.skSm), input))).toBe(v.output);
    });
  }
});

describe('OPRF protocol properties', () => {
  it('random blinds give different blinded elements but the same output', () => {
    const kp = generateKeyPair();
    const input = utf8ToBytes('btc_address:bc1qexample');
    const a = blind(input);
    const b = blind(input);
    expect(bytesToHex(a.blindedElement)).not.toBe(bytesToHex(b.blindedElement));
    const outA = finalize(input, a.blind, blindEvaluate(kp.secretKey, a.blindedElement));
    const outB = finalize(input, b.blind, blindEvaluate(kp.secretKey, b.blindedElement));
    expect(bytesToHex(outA)).toBe(bytesToHex(outB));
    expect(bytesToHex(outA)).toBe(bytesToHex(evaluate(kp.secretKey, input)));
  });

  it('different keys give different outputs', () => {
    const input = utf8ToBytes('x');
    expect(bytesToHex(evaluate(generateKeyPair().secretKey, input))).not.toBe(
      bytesToHex(evaluate(generateKeyPair().secretKey, input)),
    );
  });

  it('rejects the identity, non-canonical encodings, wrong lengths and unreduced scalars', () => {
    expect(() => deserializeElement(new Uint8Array(32))).toThrow(OprfError);
    expect(() => deserializeElement(new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => deserializeElement(new Uint8Array(32).fill(0xff))).toThrow(/canonical/);
    expect(() => deserializeScalar(new Uint8Array(32).fill(0xff))).toThrow(/reduced/);
    expect(() => deserializeScalar(new Uint8Array(32))).toThrow(/zero/);
    const kp = generateKeyPair();
    expect(() => blindEvaluate(kp.secretKey, new Uint8Array(32))).toThrow(/identity/);
    expect(() => blind(new Uint8Array(0x10000))).toThrow(/longer/);
  });
});
