import { schnorr } from '@noble/curves/secp256k1.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';
import { encodeMoneroAddress } from '../../domain/monero.ts';
import type { Rng } from './rng.ts';
import type { CryptoKind, SimCryptoAddress } from './types.ts';

/**
 * Valid cryptocurrency addresses from seeded bytes. Hash-based Bitcoin outputs take 20 seeded bytes as the hash
 * (indistinguishable from a real HASH160); Taproot outputs and Monero keys are real curve points.
 */
export function btcP2pkh(hash20: Uint8Array): string {
  return bs58check.encode(Uint8Array.of(0x00, ...hash20));
}

export function btcP2sh(hash20: Uint8Array): string {
  return bs58check.encode(Uint8Array.of(0x05, ...hash20));
}

export function btcP2wpkh(hash20: Uint8Array): string {
  return bech32.encode('bc', [0, ...bech32.toWords(hash20)]);
}

export function btcP2tr(xOnlyKey: Uint8Array): string {
  return bech32m.encode('bc', [1, ...bech32m.toWords(xOnlyKey)]);
}

// ed25519's group order; Monero keys are scalars mod L times the base point.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function scalarPoint(bytes: Uint8Array): Uint8Array {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] as number);
  const s = (n % (L - 1n)) + 1n;
  return ed25519.ExtendedPoint.BASE.multiply(s).toRawBytes();
}

export function xmrAddress(rng: Rng): string {
  return encodeMoneroAddress({ network: 'mainnet', type: 'standard', publicSpendKey: scalarPoint(rng.bytes(32)),
    publicViewKey: scalarPoint(rng.bytes(32)) });
}

/** A fresh address of the given kind. */
export function cryptoAddress(rng: Rng, kind: CryptoKind): SimCryptoAddress {
  switch (kind) {
    case 'btc-p2pkh': return { kind, address: btcP2pkh(rng.bytes(20)) };
    case 'btc-p2sh': return { kind, address: btcP2sh(rng.bytes(20)) };
    case 'btc-p2wpkh': return { kind, address: btcP2wpkh(rng.bytes(20)) };
    case 'btc-p2tr': {
      // Any 32 bytes below the group order are a valid secret key; retrying keeps us in range.
      let sk = rng.bytes(32);
      while (sk[0] === 0xff) sk = rng.bytes(32);
      return { kind, address: btcP2tr(schnorr.getPublicKey(sk)) };
    }
    case 'xmr': return { kind, address: xmrAddress(rng) };
  }
}

/** A Bitcoin address kind with the 2025 mix of output types (bech32 dominant, legacy still common). */
export function randomBtcKind(rng: Rng): CryptoKind {
  return rng.weighted(['btc-p2wpkh', 'btc-p2pkh', 'btc-p2sh', 'btc-p2tr'] as const, [50, 20, 15, 15]);
}
