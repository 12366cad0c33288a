import { schnorr } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bech32m } from 'bech32';
import { address, networks } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import {
  decodeMoneroAddress, encodeMoneroAddress, isValidMoneroAddress, moneroBase58Decode, moneroBase58Encode,
} from '../../src/domain/monero.ts';
import { Rng, generateWorld } from '../../src/sim/world/index.ts';

// The Monero Project's general-fund donation address (published on getmonero.org).
const MONERO_FUND = '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A';

describe('Monero addresses (src/domain/monero.ts)', () => {
  it('decodes a published mainnet address and re-encodes it identically', () => {
    const a = decodeMoneroAddress(MONERO_FUND);
    expect(a).toMatchObject({ network: 'mainnet', type: 'standard' });
    expect(a.publicSpendKey).toHaveLength(32);
    expect(encodeMoneroAddress(a)).toBe(MONERO_FUND);
  });

  it('rejects a changed character, bad characters and bad lengths', () => {
    const flipped = MONERO_FUND.slice(0, 40) + (MONERO_FUND[40] === 'a' ? 'b' : 'a') + MONERO_FUND.slice(41);
    expect(isValidMoneroAddress(flipped)).toBe(false);
    expect(() => decodeMoneroAddress(flipped)).toThrow(/checksum|overflow/);
    expect(() => decodeMoneroAddress(MONERO_FUND.replace(/.$/, '0'))).toThrow(/character/);
    expect(() => decodeMoneroAddress(MONERO_FUND.slice(1))).toThrow(/95 or 106/);
    expect(() => moneroBase58Decode('zzzzzzzzzzz')).toThrow(/overflow/);
    expect(() => moneroBase58Decode('1')).toThrow(/length/);
  });

  it('round-trips arbitrary lengths through the block base58 and encodes integrated addresses', () => {
    const rng = new Rng('monero-b58');
    for (let n = 0; n <= 80; n++) {
      const bytes = rng.bytes(n);
      expect(moneroBase58Decode(moneroBase58Encode(bytes))).toEqual(bytes);
    }
    const a = decodeMoneroAddress(MONERO_FUND);
    const integrated = encodeMoneroAddress({ ...a, type: 'integrated', paymentId: rng.bytes(8) });
    expect(integrated).toHaveLength(106);
    expect(integrated.startsWith('4')).toBe(true);
    expect(decodeMoneroAddress(integrated).type).toBe('integrated');
    expect(() => encodeMoneroAddress({ ...a, paymentId: rng.bytes(8) })).toThrow(/integrated/);
  });
});

describe('crypto addresses in the world', () => {
  const w = generateWorld({ seed: 'crypto', scale: 'tiny' });
  const all = w.identities.flatMap((i) => i.crypto);

  it('has every output type', () => {
    expect(new Set(all.map((c) => c.kind))).toEqual(new Set(['btc-p2pkh', 'btc-p2sh', 'btc-p2wpkh', 'btc-p2tr', 'xmr']));
  });

  it('are all valid: bitcoinjs-lib parses the Bitcoin ones, Taproot keys are curve points, Monero checksums hold', () => {
    for (const c of all) {
      switch (c.kind) {
        case 'btc-p2pkh': expect(c.address).toMatch(/^1/); expect(address.toOutputScript(c.address, networks.bitcoin)).toHaveLength(25); break;
        case 'btc-p2sh': expect(c.address).toMatch(/^3/); expect(address.toOutputScript(c.address, networks.bitcoin)).toHaveLength(23); break;
        case 'btc-p2wpkh': expect(c.address).toMatch(/^bc1q/); expect(address.toOutputScript(c.address, networks.bitcoin)).toHaveLength(22); break;
        case 'btc-p2tr': {
          // bitcoinjs-lib needs an ECC library for Taproot; decode with bech32m and check the x-only key instead.
          const d = bech32m.decode(c.address);
          expect(d.prefix).toBe('bc');
          expect(d.words[0]).toBe(1);
          const key = Uint8Array.from(bech32m.fromWords(d.words.slice(1)));
          expect(key).toHaveLength(32);
          expect(() => schnorr.utils.lift_x(BigInt(`0x${Buffer.from(key).toString('hex')}`))).not.toThrow();
          break;
        }
        case 'xmr': {
          const x = decodeMoneroAddress(c.address);
          expect(x).toMatchObject({ network: 'mainnet', type: 'standard' });
          // Keys are real ed25519 points.
          expect(() => ed25519.ExtendedPoint.fromHex(x.publicSpendKey)).not.toThrow();
          expect(() => ed25519.ExtendedPoint.fromHex(x.publicViewKey)).not.toThrow();
          break;
        }
      }
    }
  });
});
