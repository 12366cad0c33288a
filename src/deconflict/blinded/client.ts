/**
 * The agency side of blinded de-confliction, safe to bundle for the browser (no Node built-in, no WebAssembly):
 * the OPRF input of a selector (`normalizeRegisteredSelector`, the one canonical form) and the blind/finish steps
 * on the pure-JS OPRF client. `blindingClient` (protocol.ts) is the same protocol on libsodium; both give the same
 * tokens for the same selector and key.
 */
import { bytesToHex, hexToBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { clientBlind, clientFinalize } from '../oprf/client.ts';
import { OprfError } from '../oprf/errors.ts';
import { normalizeRegisteredSelector } from '../selectors.ts';
import type { RegisteredSelectorKind } from '../selectors.ts';

const INPUT_LABEL = utf8ToBytes('DarkPatrol-selector-v1');

/** The OPRF input for a selector: a label, the kind and the normalised value, NUL-separated. */
export function selectorOprfInput(kind: RegisteredSelectorKind, value: string): Uint8Array {
  const normalized = normalizeRegisteredSelector(kind, value);
  return concatBytes(INPUT_LABEL, Uint8Array.of(0), utf8ToBytes(kind), Uint8Array.of(0), utf8ToBytes(normalized));
}

export interface BlindRequest {
  /** Hex of the blinded element: the only thing sent to the evaluator. */
  blindedElement: string;
}

/** Kept by the agency between the request and the answer; never sent. */
export interface BlindState {
  input: Uint8Array;
  blind: Uint8Array;
}

export function decodeElementHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex)) throw new OprfError('deserialize', 'element must be 64 hex characters');
  return hexToBytes(hex.toLowerCase());
}

/** The OPRF client steps an agency side runs on: the pure-JS one below or libsodium's (protocol.ts). */
export interface OprfClientSteps {
  blind(input: Uint8Array): { blind: Uint8Array; blindedElement: Uint8Array };
  finalize(input: Uint8Array, blind: Uint8Array, evaluatedElement: Uint8Array): Uint8Array;
}

/** The agency side of the protocol on the given OPRF client steps. */
export function blindingClientOn(oprf: OprfClientSteps) {
  return {
    prepare(kind: RegisteredSelectorKind, value: string): { request: BlindRequest; state: BlindState } {
      const input = selectorOprfInput(kind, value);
      const b = oprf.blind(input);
      return { request: { blindedElement: bytesToHex(b.blindedElement) }, state: { input, blind: b.blind } };
    },
    /** The selector's token (hex of the 64-byte OPRF output) from the evaluator's answer. */
    finish(state: BlindState, evaluatedElement: string): string {
      return bytesToHex(oprf.finalize(state.input, state.blind, decodeElementHex(evaluatedElement)));
    },
  };
}

/** Agency side in pure JavaScript (the web console). */
export const portableBlindingClient = blindingClientOn({ blind: (input) => clientBlind(input), finalize: clientFinalize });
