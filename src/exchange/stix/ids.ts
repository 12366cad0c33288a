import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';
import { canonicalize } from '../jcs.ts';

/** The STIX 2.1 namespace for deterministic SCO identifiers (STIX 2.1 §2.9). */
export const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';
/**
 * DarkPatrol's own namespace for the ids of its SDOs. Deterministic ids let a recipient recognise a re-issued
 * package's objects as new versions of the ones it already holds (same id, later `modified`).
 */
export const DARKPATROL_NAMESPACE = '9d3f5b61-7c1e-4f6a-9a0b-5e2d8c4f1a37';

/** The identifier grammar of the OASIS schemas (identifier.json): type--UUID with version 1-5, RFC 4122 variant. */
export const STIX_ID_RE =
  /^([a-z][a-z0-9-]+[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/;
/** Object type names (STIX 2.1 §3.1), written without the nested quantifier of the OASIS pattern. */
export const STIX_TYPE_RE = /^[a-z][a-z0-9]*(-[a-z0-9]+)*-?$/;

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function format(bytes: Uint8Array): string {
  const h = hex(bytes);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function parseUuid(uuid: string): Uint8Array {
  const h = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(h)) throw new Error(`not a UUID: ${uuid}`);
  return Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));
}

export function uuidv4(): string {
  const b = randomBytes(16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return format(b);
}

/** RFC 4122 name-based UUID, SHA-1 (version 5). */
export function uuidv5(name: string, namespace: string): string {
  const digest = sha1(concatBytes(parseUuid(namespace), utf8ToBytes(name))).slice(0, 16);
  digest[6] = (digest[6]! & 0x0f) | 0x50;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  return format(digest);
}

/**
 * The deterministic id of a STIX Cyber-observable: UUIDv5 in the STIX namespace over the JCS form of the
 * object's ID-contributing properties (STIX 2.1 §2.9).
 */
export function scoId(type: string, contributing: Record<string, unknown>): string {
  return `${type}--${uuidv5(canonicalize(contributing), STIX_SCO_NAMESPACE)}`;
}

/**
 * A stable DarkPatrol SDO/SRO id from a name unique to the producer (agency + local key). STIX 2.1 §2.9 says SDO and
 * SRO ids SHOULD be UUIDv4: this is one — version 4, RFC 4122 variant — whose 122 other bits are the first bits of
 * SHA-256 over the namespace and the name instead of fresh randomness, so a re-issued package names the same objects.
 */
export function stableId(type: string, ...parts: string[]): string {
  const b = sha256(concatBytes(parseUuid(DARKPATROL_NAMESPACE), utf8ToBytes(JSON.stringify([type, ...parts])))).slice(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return `${type}--${format(b)}`;
}

export function randomId(type: string): string {
  return `${type}--${uuidv4()}`;
}

export function idType(id: string): string | undefined {
  return STIX_ID_RE.exec(id)?.[1];
}
