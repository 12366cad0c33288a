// Public face of the deterministic OpenPGP key builder used by the simulated world.
export { buildPgpKey, buildPgpSecretKey, pgpKey, pgpFingerprint, v4Fingerprint } from './key.ts';
export type { PgpKeySpec, BuiltPgpKey, BuiltPgpSecretKey } from './key.ts';
export { armor, crc24 } from './armor.ts';
