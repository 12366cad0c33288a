/**
 * Each agency's package- and request-signing key (Ed25519), generated on first use and kept in `exchange_keys`,
 * and the partner keys the agency's admin trusts (`exchange_trusted_keys`). The key speaks for the agency's code,
 * which is the `producer.agencyId` of its packages.
 */
import type { Kysely } from 'kysely';
import { generateAgencyKeyPair, keyIdOf } from '../../exchange/index.ts';
import type { AgencyKeyPair, AgencyPublicKey } from '../../exchange/index.ts';
import type { Database } from '../../store/index.ts';
import { exchangeDb } from './schema.ts';

export async function agencySigningKey(database: Kysely<Database>, agencyId: number): Promise<AgencyKeyPair> {
  const db = exchangeDb(database);
  const agency = await db.selectFrom('agencies').select('code').where('id', '=', agencyId).executeTakeFirstOrThrow();
  let row = await db.selectFrom('exchange_keys').selectAll().where('agency_id', '=', agencyId).executeTakeFirst();
  if (!row) {
    const k = generateAgencyKeyPair(agency.code);
    // Two first uses at once: one insert wins, both read the winner.
    await db
      .insertInto('exchange_keys')
      .values({ agency_id: agencyId, key_id: k.keyId, public_key: Buffer.from(k.publicKey), secret_key: Buffer.from(k.secretKey) })
      .onConflict((oc) => oc.column('agency_id').doNothing())
      .execute();
    row = await db.selectFrom('exchange_keys').selectAll().where('agency_id', '=', agencyId).executeTakeFirstOrThrow();
  }
  return { keyId: row.key_id, agencyId: agency.code, publicKey: new Uint8Array(row.public_key), secretKey: new Uint8Array(row.secret_key) };
}

/** Keys the agency accepts packages from: partner keys its admin registered, and its federation peers' keys. */
export async function trustedKeysOf(database: Kysely<Database>, agencyId: number): Promise<Map<string, AgencyPublicKey>> {
  const db = exchangeDb(database);
  const m = new Map<string, AgencyPublicKey>();
  for (const r of await db.selectFrom('exchange_trusted_keys').select(['partner', 'public_key']).where('agency_id', '=', agencyId).execute()) {
    const publicKey = new Uint8Array(r.public_key);
    m.set(keyIdOf(publicKey), { keyId: keyIdOf(publicKey), agencyId: r.partner, publicKey });
  }
  for (const r of await db.selectFrom('federation_peers').select(['peer_agency', 'public_key']).where('agency_id', '=', agencyId).execute()) {
    const publicKey = new Uint8Array(r.public_key);
    m.set(keyIdOf(publicKey), { keyId: keyIdOf(publicKey), agencyId: r.peer_agency, publicKey });
  }
  return m;
}
