// Public face of the simulated world: the typed model, the generator, ground truth and value helpers.
export * from './types.ts';
export * from './rates.ts';
export { Rng } from './rng.ts';
export { generateWorld, WORLD_VERSION } from './generate.ts';
export { SCALE_PRESETS, resolveScale, isScalePreset } from './scale.ts';
export { buildGroundTruth, priceOn, stockOn } from './truth.ts';
export { SUBSTANCES, unitToGrams, type SubstanceSpec } from './substances.ts';
export { armoredKeyOf, keyByFingerprint, indexWorld, type WorldIndex } from './lookup.ts';
export { btcP2pkh, btcP2sh, btcP2tr, btcP2wpkh } from './crypto.ts';
