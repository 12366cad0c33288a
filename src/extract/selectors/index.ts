/**
 * Selector extraction: PGP keys, crypto addresses, onion names, e-mails, phone numbers and messenger
 * handles from any text (HTML pages, messages, dump rows), normalised with `normalizeSelector` from
 * src/domain so every stage keys them identically.
 */
export { extractSelectors, extractSelectorsDetailed, DEFAULT_LIMITS } from './extract.ts';
export type { ExtractSelectorsOptions, ExtractionResult } from './extract.ts';
export { parseSelector } from './parse.ts';
export type { ParsedSelector } from './parse.ts';
export { readArmorBody, emailOfUserId } from './pgp.ts';
export type { PgpKeyError, PgpErrorReason, PgpReadResult } from './pgp.ts';
export { findArmorBlocks, repairArmorBody, crc24 } from './armor.ts';
export { validateBase58Address, validateSegwitAddress, validateEthAddress, toEip55 } from './coins.ts';
export type { CoinAddress } from './coins.ts';
export { validateMoneroAddress } from './monero.ts';
export { validateOnion } from './scan-onion.ts';
export { toScanText, looksLikeHtml } from './text.ts';
export type { ScanText } from './text.ts';
export { uniqueSelectors } from './unique.ts';
export { normalizeSelector, SELECTOR_KINDS } from '../../domain/index.ts';
export type { Selector, SelectorKind, SelectorOf } from '../../domain/index.ts';
export { scoreSelectorExtraction, formatSelectorScore } from './evaluate.ts';
export type { LabelledExample, KindScore, SelectorScore } from './evaluate.ts';
