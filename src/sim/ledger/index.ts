// The simulated Bitcoin ledger and its Bitcoin-Core-RPC / Esplora endpoints.
export * from './types.ts';
export { generateLedger, LEDGER_BASE_HEIGHT, LEDGER_VERSION, type LedgerOptions } from './generate.ts';
export { outputScript, type OutputScript } from './script.ts';
export { serveLedger, type LedgerServer, type LedgerServerOptions, type LedgerFault } from './serve.ts';
export { publicTags, type SimTag } from './tags.ts';
