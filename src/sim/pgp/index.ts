// Public face of the deterministic OpenPGP key builder used by the simulated world.
export { buildPgpKey, pgpKey, pgpFingerprint, v4Fingerprint } from './key.ts';
export type { PgpKeySpec, BuiltPgpKey } from './key.ts';
export { armor, crc24 } from './armor.ts';
