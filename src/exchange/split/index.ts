export * from './load.ts';
export * from './split.ts';
export * from './split-index.ts';
