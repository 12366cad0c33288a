// Public face of the simulated world: the typed model, the rate table and (soon) the generator.
export * from './types.ts';
export * from './rates.ts';
export { Rng } from './rng.ts';
