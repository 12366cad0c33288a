/**
 * Reads repaired armor data with openpgp.js and describes every public key in it. Never throws: a block
 * that cannot be read gives a `pgp_key_error` with a reason.
 */
import type { Key, Subkey, AlgorithmInfo } from 'openpgp';
import { normalizeSelector } from '../../domain/index.ts';
import type { PgpKeyMeta, PgpSubkeyInfo } from '../../domain/index.ts';
import { repairArmorBody } from './armor.ts';

export type PgpErrorReason =
  | 'unterminated'
  | 'too_large'
  | 'empty'
  | 'invalid_base64'
  | 'armor_checksum_mismatch'
  | 'unparseable'
  | 'too_many_blocks';

/** A PGP block that was found but could not be turned into keys. */
export interface PgpKeyError {
  kind: 'pgp_key_error';
  reason: PgpErrorReason;
  detail: string;
  /** Offset of the BEGIN marker in the input. */
  offset: number;
  /** The block's source text (capped at 256 characters). */
  raw: string;
}

export type PgpReadResult = { ok: true; keys: PgpKeyMeta[] } | { ok: false; reason: PgpErrorReason; detail: string };

/** Repairs and parses the text between a public key block's BEGIN and END lines. */
export async function readArmorBody(body: string): Promise<PgpReadResult> {
  const rep = repairArmorBody(body);
  if (!rep.ok) return { ok: false, reason: rep.reason, detail: rep.detail };
  let keys: Key[];
  try {
    // Loaded on the first block: most texts scanned hold none (a dump import's feed thread then never loads openpgp).
    const { readKeys } = await import('openpgp');
    keys = await readKeys({ binaryKeys: rep.data });
  } catch (err) {
    return { ok: false, reason: 'unparseable', detail: err instanceof Error ? err.message.slice(0, 200) : 'unreadable key data' };
  }
  if (keys.length === 0) return { ok: false, reason: 'unparseable', detail: 'no public key in block' };
  try {
    return { ok: true, keys: keys.map((k) => describeKey(k, rep.checksum, rep.repairs)) };
  } catch (err) {
    return { ok: false, reason: 'unparseable', detail: err instanceof Error ? err.message.slice(0, 200) : 'unreadable key' };
  }
}

function describeKey(key: Key, checksum: 'ok' | 'missing', repairs: string[]): PgpKeyMeta {
  const userIds = key.getUserIDs();
  const emails = new Set<string>();
  for (const uid of userIds) {
    const email = emailOfUserId(uid);
    if (email) emails.add(email);
  }
  return {
    source: 'key_block',
    fingerprint: key.getFingerprint().toUpperCase(),
    keyId: key.getKeyID().toHex().toUpperCase(),
    ...algorithm(key.getAlgorithmInfo()),
    keyVersion: key.keyPacket.version,
    created: key.getCreationTime().toISOString(),
    userIds,
    emails: [...emails],
    subkeys: key.getSubkeys().map(describeSubkey),
    armorChecksum: checksum,
    repairs: [...repairs],
    ...certificationsOf(key),
  };
}

/** Largest public key kept in the metadata (so a later link run can verify certifications between keys). */
const MAX_PACKETS = 16 * 1024;

/**
 * Key IDs of the other keys that certified this key's user IDs (a rotated key signed by the old one), and, when
 * there are any, the key's public packets: a link run verifies those signatures against the issuers' keys.
 * Every key keeps its packets too (bounded), since any key may be the issuer of a later one.
 */
function certificationsOf(key: Key): { certifiedBy?: string[]; packets?: string } {
  const own = key.getKeyID().toHex().toUpperCase();
  const issuers = new Set<string>();
  for (const u of key.users) {
    for (const sig of u.otherCertifications) {
      const id = sig.issuerKeyID.toHex().toUpperCase();
      if (id !== own && /^[0-9A-F]{16}$/.test(id)) issuers.add(id);
    }
  }
  const bytes = key.toPublic().write();
  const out: { certifiedBy?: string[]; packets?: string } = {};
  if (issuers.size > 0) out.certifiedBy = [...issuers].slice(0, 20);
  if (bytes.length <= MAX_PACKETS) out.packets = Buffer.from(bytes).toString('base64');
  return out;
}

function describeSubkey(sub: Subkey): PgpSubkeyInfo {
  return {
    fingerprint: sub.getFingerprint().toUpperCase(),
    keyId: sub.getKeyID().toHex().toUpperCase(),
    ...algorithm(sub.getAlgorithmInfo()),
    created: sub.getCreationTime().toISOString(),
  };
}

function algorithm(info: AlgorithmInfo): { algorithm: string; bits?: number; curve?: string } {
  const out: { algorithm: string; bits?: number; curve?: string } = { algorithm: String(info.algorithm) };
  if (info.bits !== undefined) out.bits = info.bits;
  if (info.curve !== undefined) out.curve = String(info.curve);
  return out;
}

const UID_EMAIL = /<([^<>\s]{1,254}@[^<>\s]{1,254})>/;
const BARE_EMAIL = /^[^\s<>@]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}$/;

export function emailOfUserId(uid: string): string | undefined {
  const m = UID_EMAIL.exec(uid);
  const candidate = m ? m[1] : BARE_EMAIL.test(uid.trim()) ? uid.trim() : undefined;
  if (!candidate || !/^[^@]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(candidate)) return undefined;
  return normalizeSelector('email', candidate);
}
