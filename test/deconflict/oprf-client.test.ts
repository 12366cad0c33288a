import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { clientBlind, clientFinalize } from '../../src/deconflict/oprf/client.ts';
import { blindEvaluate, generateKeyPair, OprfError } from '../../src/deconflict/oprf/index.ts';
import { blindingClient, OprfEvaluator, portableBlindingClient } from '../../src/deconflict/index.ts';

interface Fixture {
  skSm: string;
  vectors: { input: string; blind: string; blindedElement: string; evaluationElement: string; output: string }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/rfc9497-ristretto255-sha512-oprf.json', import.meta.url), 'utf8')) as Fixture;

describe('pure-JS OPRF client (the browser side)', () => {
  for (const [i, v] of fx.vectors.entries()) {
    it(`RFC 9497 vector ${i + 1}: Blind and Finalize`, () => {
      const input = hexToBytes(v.input);
      const b = clientBlind(input, hexToBytes(v.blind));
      expect(bytesToHex(b.blindedElement)).toBe(v.blindedElement);
      expect(bytesToHex(clientFinalize(input, b.blind, hexToBytes(v.evaluationElement)))).toBe(v.output);
    });
  }

  it('interoperates with the libsodium evaluator: same token as the Node client for the same selector', () => {
    const evaluator = new OprfEvaluator({ secretKey: generateKeyPair().secretKey, rateLimit: { capacity: 100, refillPerSecond: 1 } });
    const token = (c: typeof blindingClient, value: string): string => {
      const p = c.prepare('email', value);
      const [evaluated] = evaluator.evaluate('nl', [p.request.blindedElement]);
      return c.finish(p.state, evaluated as string);
    };
    const a = token(portableBlindingClient, 'shop.owner@Protonmail.INVALID');
    const b = token(blindingClient, ' shop.owner [at] protonmail [dot] invalid');
    expect(a).toMatch(/^[0-9a-f]{128}$/);
    expect(a).toBe(b);
    expect(token(portableBlindingClient, 'other@protonmail.invalid')).not.toBe(a);
  });

  it('refuses a malformed or identity evaluated element', () => {
    const p = portableBlindingClient.prepare('btc_address', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq');
    expect(() => portableBlindingClient.finish(p.state, 'zz')).toThrow(OprfError);
    expect(() => portableBlindingClient.finish(p.state, '00'.repeat(32))).toThrow(/identity/);
    // A server answer for a different blind does not produce this selector's token (blinds are random).
    const kp = generateKeyPair();
    const q = portableBlindingClient.prepare('btc_address', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq');
    const good = portableBlindingClient.finish(p.state, bytesToHex(blindEvaluate(kp.secretKey, hexToBytes(p.request.blindedElement))));
    const crossed = portableBlindingClient.finish(p.state, bytesToHex(blindEvaluate(kp.secretKey, hexToBytes(q.request.blindedElement))));
    expect(crossed).not.toBe(good);
  });
});
