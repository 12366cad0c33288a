/**
 * Address checksums: published vectors (BIP-173/BIP-350, EIP-55, Monero, Tor) and the rule that changing
 * any one character of a valid address makes it invalid — for every position of seeded addresses.
 */
import { describe, expect, it } from 'vitest';
import { extractSelectors, parseSelector, validateSegwitAddress } from '../../src/extract/selectors/index.ts';
import { encodeMoneroAddress } from '../../src/domain/monero.ts';
import { generate, mutate, Rng } from './selectors-gen.ts';
import type { GeneratedKind } from './selectors-gen.ts';

describe('segwit vectors (BIP-173 / BIP-350, mainnet)', () => {
  const valid: [string, number][] = [
    ['BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4', 0],
    ['bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3', 0],
    ['bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y', 1],
    ['BC1SW50QGDZ25J', 16],
    ['bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs', 2],
    ['bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0', 1],
  ];
  const invalid = [
    'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd', // v1 with a bech32 checksum
    'BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL', // v16 with a bech32 checksum
    'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh', // v0 with a bech32m checksum
    'bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4', // 'o' is not in the charset
    'BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R', // witness version 17
    'bc1pw5dgrnzv', // 1-byte program
    'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav', // 41-byte program
    'BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P', // v0 program of 16 bytes
    'bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq', // mixed case
    'bc1gmk9yu', // no data
  ];
  it('accepts the valid vectors with their witness versions', () => {
    for (const [a, v] of valid) {
      const r = validateSegwitAddress(a);
      expect(r?.meta.witnessVersion, a).toBe(v);
      expect(r?.value).toBe(a.toLowerCase());
    }
  });
  it('rejects the invalid vectors', () => {
    for (const a of invalid) expect(validateSegwitAddress(a), a).toBeUndefined();
  });
  it('recognises test-network addresses and labels their network (BIP-173 testnet vectors, regtest)', async () => {
    const tb = validateSegwitAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx');
    expect(tb?.meta).toEqual({ type: 'p2wpkh', witnessVersion: 0, network: 'testnet' });
    expect(validateSegwitAddress('tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7')?.meta.network).toBe('testnet');
    // One changed character still fails the checksum.
    expect(validateSegwitAddress('tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsy')).toBeUndefined();
    const found = await extractSelectors('send test coins to tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx');
    expect(found.map((s) => [s.kind, s.value, (s.meta as { network?: string }).network])).toEqual([['btc_address', 'tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx', 'testnet']]);
    // Base58 testnet P2PKH (version 0x6f, "m"/"n").
    const b58 = parseSelector('btc_address', 'mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn');
    expect(b58.ok && b58.meta).toEqual({ type: 'p2pkh', network: 'testnet' });
    // Mainnet stays unlabelled.
    expect(validateSegwitAddress('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')?.meta.network).toBeUndefined();
  });
});

describe('published addresses', () => {
  it('EIP-55 examples validate; a flipped case does not', () => {
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
    ]) {
      const r = parseSelector('eth_address', a);
      expect(r.ok && r.meta?.checksummed, a).toBe(true);
      const flipped = a.slice(0, 5) + (a[5] === a[5]?.toUpperCase() ? a[5]?.toLowerCase() : a[5]?.toUpperCase()) + a.slice(6);
      if (flipped !== a) expect(parseSelector('eth_address', flipped).ok, flipped).toBe(false);
    }
  });

  it('Monero: the project donation address (standard) and a subaddress validate; types are read', () => {
    const std = parseSelector('xmr_address', '44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A');
    expect(std.ok && std.meta?.type).toBe('standard');
    const sub = parseSelector('xmr_address', '888tNkZrPN6JsEgekjMnABU4TBzc2Dt29EPAvkRxbANsAnjyPbb3iQ1YBRk1UXcdRsiKc9dhwMVgN5S9cQUiyoogDavup3H');
    expect(sub.ok && sub.meta?.type).toBe('subaddress');
  });

  it('Monero testnet and stagenet addresses are recognised and labelled with their network', async () => {
    const rng = new Rng(11);
    for (const network of ['testnet', 'stagenet'] as const) {
      const a = encodeMoneroAddress({ network, type: 'standard', publicSpendKey: rng.bytes(32), publicViewKey: rng.bytes(32) });
      const parsed = parseSelector('xmr_address', a);
      expect(parsed.ok && parsed.meta, a).toEqual({ type: 'standard', network });
      const found = await extractSelectors(`XMR ${a}`);
      expect(found.map((s) => [s.kind, (s.meta as { network?: string }).network])).toEqual([['xmr_address', network]]);
    }
  });

  it('Litecoin and Bitcoin are told apart by version byte and hrp', async () => {
    const rng = new Rng(7);
    for (let i = 0; i < 20; i++) {
      const g = generate(rng, 'ltc_address');
      expect(parseSelector('ltc_address', g.text).ok).toBe(true);
      const asBtc = parseSelector('btc_address', g.text);
      expect(asBtc.ok).toBe(false);
      const found = await extractSelectors(`LTC ${g.text}`);
      expect(found.map((s) => s.kind)).toEqual(['ltc_address']);
    }
  });
});

describe('one changed character makes any valid address invalid', () => {
  const kinds: GeneratedKind[] = ['btc_address', 'ltc_address', 'eth_address', 'xmr_address', 'onion'];
  for (const kind of kinds) {
    it(`${kind}: every position of 12 seeded addresses`, async () => {
      const rng = new Rng(0x5e1ec7 + kind.length);
      let checked = 0;
      for (let n = 0; n < 12; n++) {
        const g = generate(rng, kind);
        expect(parseSelector(kind, g.text).ok, g.text).toBe(true);
        for (let pos = g.from; pos < g.text.length; pos++) {
          const bad = mutate(g, pos, rng);
          const r = parseSelector(kind, bad);
          expect(r.ok, `${g.text} → ${bad}`).toBe(false);
          checked++;
        }
        // And in running text the lookalike yields nothing at all.
        const bad = mutate(g, g.from + rng.int(g.text.length - g.from), rng);
        expect(await extractSelectors(`pay to ${bad} today`)).toEqual([]);
      }
      expect(checked).toBeGreaterThan(12 * 20);
    });
  }

  it('documents the limits: lowercase Ethereum addresses and Session ids carry no checksum', () => {
    const lower = '0xde0b295669a9fd93d5f28d9ec85e40f4cb697bae';
    expect(parseSelector('eth_address', lower.replace('de0b', 'de0c')).ok).toBe(true);
    const session = `05${'ab'.repeat(32)}`;
    expect(parseSelector('session', session.replace('ab', 'ac')).ok).toBe(true);
  });
});
