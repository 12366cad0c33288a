/** De-confliction: registered selectors, the RFC 9497 OPRF and the blinded matcher. */
export * from './selectors.ts';
export * from './oprf/index.ts';
export * from './blinded/index.ts';
export * from './store/index.ts';
