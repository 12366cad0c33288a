/**
 * Privacy-preserving de-confliction with the RFC 9497 OPRF.
 *
 * Three roles, so that no single party can test guesses offline:
 *  - the agency (client) normalises a selector, blinds it, and turns the evaluated element into a token;
 *  - the evaluator holds the OPRF key and evaluates blinded elements, rate-limited per agency — it sees only
 *    uniformly random group elements;
 *  - the matcher stores tokens (never selectors, never the key) against cases and reports overlaps.
 * The matcher cannot compute tokens for guessed selectors (it lacks the key); the evaluator never sees a token
 * or a selector; an agency can only test guesses online, through the rate limit. Deploy the evaluator apart
 * from the matcher (another host, HSM or trustee) — in one process the separation is only a code boundary.
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import { blind, blindEvaluate, deserializeElement, finalize, generateKeyPair } from '../oprf/index.ts';
import { OprfError } from '../oprf/errors.ts';
import { blindingClientOn, decodeElementHex } from './client.ts';
import { TokenBuckets } from './rate-limit.ts';
import type { RateLimit } from './rate-limit.ts';

export { selectorOprfInput } from './client.ts';
export type { BlindRequest, BlindState } from './client.ts';

/** Agency side. */
export const blindingClient = blindingClientOn({ blind: (input) => blind(input), finalize });

const decodeElement = decodeElementHex;

export interface EvaluatorOptions {
  /** 32-byte OPRF secret key (RFC 9497 SerializeScalar); a fresh one when absent. */
  secretKey?: Uint8Array;
  rateLimit: RateLimit;
  /** Most elements in one batch. */
  maxBatch?: number;
  now?: () => number;
}

/** Key holder: evaluates blinded elements for authenticated agencies, within their rate limit. */
export class OprfEvaluator {
  private readonly secretKey: Uint8Array;
  private readonly buckets: TokenBuckets;
  private readonly maxBatch: number;

  constructor(options: EvaluatorOptions) {
    this.secretKey = options.secretKey ?? generateKeyPair().secretKey;
    this.buckets = new TokenBuckets(options.rateLimit, options.now);
    this.maxBatch = options.maxBatch ?? 1000;
  }

  /** Evaluate a batch for one client; charges one token per element, all or nothing. */
  evaluate(clientId: string, blindedElements: readonly string[]): string[] {
    if (blindedElements.length === 0) return [];
    if (blindedElements.length > this.maxBatch) {
      throw new OprfError('invalid_input', `batch of ${blindedElements.length} elements, limit ${this.maxBatch}`);
    }
    const decoded = blindedElements.map(decodeElement);
    // Refuse malformed elements (bad encoding, the identity) before charging: they can reveal nothing.
    for (const e of decoded) deserializeElement(e);
    this.buckets.take(clientId, decoded.length);
    return decoded.map((e) => bytesToHex(blindEvaluate(this.secretKey, e)));
  }
}
