/** Intelligence exchange: STIX 2.1 packages with TLP 2.0 markings, signed manifests, and the importer. */
export * from './jcs.ts';
export * from './stix/index.ts';
export * from './manifest/index.ts';
export * from './feed.ts';
export * from './federation/index.ts';
export * from './split/index.ts';
export * from './subjects/index.ts';
export * from './taxii/index.ts';
export * from './intel/index.ts';
