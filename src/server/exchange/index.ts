/** Server side of de-confliction, exchange and federation: keys, blinded matcher, peers, packages, feeds. */
export * from './schema.ts';
export * from './keys.ts';
export * from './blinded.ts';
export * from './federation.ts';
export * from './feeds.ts';
export * from './context.ts';
export * from './outbound.ts';
