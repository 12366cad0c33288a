/**
 * Key-rotation evidence from the keys themselves: a vendor who rotates keys often certifies the new key's user ID
 * with the old key. Extraction records the issuer key IDs of such certifications and each key's public packets
 * (selectors.meta: certifiedBy, packets); here every certification whose issuer is another key in the agency's
 * store is verified with openpgp.js against that key. Only verified signatures count.
 */
import { sql, type Kysely } from 'kysely';
import { readKey, type Key } from 'openpgp';
import type { Database } from '../store/index.ts';

/** Fingerprint of a certified key → fingerprints of the stored keys whose certification on it verified. */
export type VerifiedCertifications = Map<string, string[]>;

async function keyOf(packets: string | null): Promise<Key | null> {
  if (!packets) return null;
  try {
    return await readKey({ binaryKey: Buffer.from(packets, 'base64') });
  } catch {
    return null;
  }
}

export async function verifiedCertifications(db: Kysely<Database>, agencyId: number): Promise<VerifiedCertifications> {
  const out: VerifiedCertifications = new Map();
  const certified = await sql<{ value: string; certified_by: unknown; packets: string | null }>`
    select value, meta->'certifiedBy' as certified_by, meta->>'packets' as packets from selectors
    where agency_id = ${agencyId} and kind = 'pgp_key' and jsonb_typeof(meta->'certifiedBy') = 'array'
      and jsonb_array_length(meta->'certifiedBy') > 0`.execute(db);
  if (certified.rows.length === 0) return out;
  const wanted = new Set<string>();
  for (const r of certified.rows) for (const id of Array.isArray(r.certified_by) ? r.certified_by : []) if (typeof id === 'string') wanted.add(id);
  const issuers = await sql<{ value: string; key_id: string; packets: string | null }>`
    select value, meta->>'keyId' as key_id, meta->>'packets' as packets from selectors
    where agency_id = ${agencyId} and kind = 'pgp_key' and meta->>'keyId' = any(${[...wanted]}::text[])`.execute(db);
  const issuerKeys = new Map<string, Array<{ fingerprint: string; key: Key }>>();
  for (const r of issuers.rows) {
    const key = await keyOf(r.packets);
    if (!key) continue;
    const l = issuerKeys.get(r.key_id) ?? [];
    l.push({ fingerprint: r.value, key });
    issuerKeys.set(r.key_id, l);
  }
  for (const r of certified.rows) {
    const ids = (Array.isArray(r.certified_by) ? r.certified_by : []).filter((x): x is string => typeof x === 'string');
    const candidates = ids.flatMap((id) => issuerKeys.get(id) ?? []).filter((c) => c.fingerprint !== r.value);
    if (candidates.length === 0) continue;
    const key = await keyOf(r.packets);
    if (!key) continue;
    const signers = new Set<string>();
    for (const user of key.users) {
      if (!user.userID) continue;
      let results: Array<{ keyID: { toHex(): string }; valid: boolean | null }>;
      try {
        results = await user.verifyAllCertifications(candidates.map((c) => c.key));
      } catch {
        continue;
      }
      for (const res of results) {
        if (res.valid !== true) continue;
        const id = res.keyID.toHex().toUpperCase();
        for (const c of candidates) if (c.key.getKeyID().toHex().toUpperCase() === id) signers.add(c.fingerprint);
      }
    }
    if (signers.size > 0) out.set(r.value, [...signers]);
  }
  return out;
}
