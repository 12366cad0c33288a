import { describe, expect, it } from 'vitest';
import { ed25519 } from '@noble/curves/ed25519.js';
import { isValidOnionV3, normalizeOnion, onionFromPublicKey, publicKeyFromOnion } from '../../src/domain/onion.ts';

// The Tor Project's own v3 address, as published on support.torproject.org ("Onion Services" FAQ).
const TORPROJECT_V3 = '2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion';

describe('v3 onion addresses', () => {
  it('accepts the Tor Project published v3 address and round-trips its key', () => {
    expect(isValidOnionV3(TORPROJECT_V3)).toBe(true);
    const pub = publicKeyFromOnion(TORPROJECT_V3);
    expect(pub).toBeDefined();
    expect(onionFromPublicKey(pub!)).toBe(TORPROJECT_V3);
  });

  it('derives a valid address from an ed25519 key; every address ends in "d" (version 3)', () => {
    const pub = ed25519.getPublicKey(new Uint8Array(32).fill(7));
    const onion = onionFromPublicKey(pub);
    expect(onion).toMatch(/^[a-z2-7]{55}d\.onion$/);
    expect(isValidOnionV3(onion)).toBe(true);
    expect(() => onionFromPublicKey(new Uint8Array(31))).toThrow(/32 bytes/);
  });

  it('rejects corrupted addresses: flipped character, wrong version, wrong length, bad alphabet', () => {
    const label = TORPROJECT_V3.slice(0, 56);
    const flipped = (label[0] === 'a' ? 'b' : 'a') + label.slice(1);
    expect(isValidOnionV3(`${flipped}.onion`)).toBe(false);
    // last character carries the version byte's low bits: "d" → version 3; change to another version
    expect(isValidOnionV3(`${label.slice(0, 55)}a.onion`)).toBe(false);
    expect(isValidOnionV3(`${label.slice(0, 55)}.onion`)).toBe(false);
    expect(isValidOnionV3(`${label}a.onion`)).toBe(false);
    expect(isValidOnionV3(`${label.slice(0, 55)}1.onion`)).toBe(false);
    expect(isValidOnionV3(TORPROJECT_V3.toUpperCase())).toBe(false);
    expect(isValidOnionV3('expyuzz4wqqyqhjn.onion')).toBe(false); // v2
    expect(isValidOnionV3('')).toBe(false);
  });

  it('normalises URLs and hostnames to the bare onion host', () => {
    const cases = [
      `http://${TORPROJECT_V3}/`,
      `HTTPS://WWW.${TORPROJECT_V3.toUpperCase()}:443/path?q=1#x`,
      `${TORPROJECT_V3}.`,
      `  user:pw@${TORPROJECT_V3}:80  `,
      `a.b.${TORPROJECT_V3}`,
    ];
    for (const c of cases) {
      expect(normalizeOnion(c)).toBe(TORPROJECT_V3);
      expect(isValidOnionV3(normalizeOnion(c))).toBe(true);
    }
    expect(normalizeOnion('www.example.com:8080/x')).toBe('example.com');
  });
});
