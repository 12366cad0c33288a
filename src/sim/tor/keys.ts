import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { onionFromPublicKey } from '../../domain/onion.ts';

const SECRET_HEADER = '== ed25519v1-secret: type0 ==';
const PUBLIC_HEADER = '== ed25519v1-public: type0 ==';

/** Tor's 32-byte key-file header: the tag padded with NULs. */
function header(tag: string): Buffer {
  const b = Buffer.alloc(32);
  b.write(tag, 'latin1');
  return b;
}

/**
 * Writes a v3 onion service's keys into `dir` (Tor's HiddenServiceDir) from a 32-byte ed25519 seed, so the
 * service Tor publishes has exactly the address the sim derives for a market. Tor stores the *expanded* secret
 * key: SHA-512 of the seed, the first half clamped (as ref10's `ed25519_seckey_expand` does).
 * Returns the onion hostname.
 */
export function writeOnionServiceKeys(dir: string, seed: Uint8Array): string {
  if (seed.length !== 32) throw new Error('an ed25519 seed is 32 bytes');
  const h = createHash('sha512').update(seed).digest();
  h[0]! &= 248;
  h[31]! &= 63;
  h[31]! |= 64;
  const pub = ed25519.getPublicKey(seed);
  const hostname = onionFromPublicKey(pub);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(path.join(dir, 'hs_ed25519_secret_key'), Buffer.concat([header(SECRET_HEADER), h]), { mode: 0o600 });
  writeFileSync(path.join(dir, 'hs_ed25519_public_key'), Buffer.concat([header(PUBLIC_HEADER), Buffer.from(pub)]), { mode: 0o600 });
  writeFileSync(path.join(dir, 'hostname'), `${hostname}\n`, { mode: 0o600 });
  return hostname;
}
