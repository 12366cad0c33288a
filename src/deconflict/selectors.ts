/**
 * The selector kinds an investigator can register against a case: every extracted kind from
 * `src/domain/selector.ts`, plus the two that only people register (a vendor's handle, a postal drop address).
 * Every side — registration, blinding, STIX export and import — keys on `normalizeRegisteredSelector`.
 */
import { SELECTOR_KINDS, normalizeSelector, isSelectorKind } from '../domain/selector.ts';
import type { SelectorKind } from '../domain/selector.ts';

export const REGISTERED_ONLY_KINDS = ['vendor_handle', 'postal_address'] as const;
export const REGISTERED_SELECTOR_KINDS = [...SELECTOR_KINDS, ...REGISTERED_ONLY_KINDS] as const;
export type RegisteredSelectorKind = SelectorKind | (typeof REGISTERED_ONLY_KINDS)[number];

export function isRegisteredSelectorKind(x: unknown): x is RegisteredSelectorKind {
  return typeof x === 'string' && (REGISTERED_SELECTOR_KINDS as readonly string[]).includes(x);
}

/** The longest selector value accepted anywhere (a PGP fingerprint is 64, a postal address a few hundred). */
export const MAX_SELECTOR_LENGTH = 1024;

export class SelectorValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorValueError';
  }
}

function clean(raw: string): string {
  return raw.normalize('NFKC').replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '');
}

/** Canonical key of a registered selector; throws SelectorValueError for unknown kinds and empty or huge values. */
export function normalizeRegisteredSelector(kind: RegisteredSelectorKind, raw: string): string {
  if (typeof raw !== 'string') throw new SelectorValueError('selector value must be a string');
  if (raw.length > MAX_SELECTOR_LENGTH) throw new SelectorValueError(`selector value longer than ${MAX_SELECTOR_LENGTH}`);
  let value: string;
  if (kind === 'vendor_handle') {
    // Market handles are case-insensitive on every market we know; `@` and surrounding punctuation are decoration.
    value = clean(raw).trim().replace(/^@+/, '').replace(/\s+/g, ' ').toLowerCase();
  } else if (kind === 'postal_address') {
    value = clean(raw)
      .toLowerCase()
      .replace(/[,.;:#"'()]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  } else if (isSelectorKind(kind)) {
    value = normalizeSelector(kind, raw);
  } else {
    throw new SelectorValueError(`unknown selector kind: ${String(kind)}`);
  }
  if (value.length === 0) throw new SelectorValueError(`empty ${kind} selector`);
  return value;
}
