/** TAXII 2.1: collections and their objects (server side, store-backed), the protocol types, and the client. */
export * from './protocol.ts';
export * from './schema.ts';
export * from './collections.ts';
export * from './objects.ts';
export * from './publish.ts';
export * from './client.ts';
export * from './pull.ts';
