// The undercover accounts an agency operates on markets: secrets sealed in the vault, the case that authorised
// each account, every use audited, and a claim per market identity so one login is never operated by two agencies.
import { readPrivateKey } from 'openpgp';
import type { Kysely } from 'kysely';
import { appendAudit, type Database, type UndercoverStatus } from '../../store/index.ts';
import { VaultError, type Vault } from './vault.ts';

/** What the vault keeps for an account (never written anywhere in clear). */
export interface UndercoverSecrets {
  password: string;
  /** Armored OpenPGP private key the account registered for two-factor login. */
  pgpPrivateKey?: string;
  /** Passphrase of that key, when it is protected. */
  pgpPassphrase?: string;
}

export interface UndercoverAccountInput {
  agencyId: number;
  marketId: number;
  username: string;
  secrets: UndercoverSecrets;
  caseId: number;
  /** Who authorised the account (name and role of the officer / prosecutor). */
  authorisedBy: string;
  /** Who recorded it ('cli:alice'). */
  actor: string;
  /** SOCKS username of the account's circuits (default dp-<market>-<username>). */
  proxyUsername?: string;
}

export interface UndercoverAccountSummary {
  id: number;
  agencyId: number;
  market: string;
  marketId: number;
  username: string;
  pgpFingerprint: string | null;
  caseId: number;
  caseReference: string;
  authorisedBy: string;
  status: UndercoverStatus;
  createdAt: Date;
  lastUsedAt: Date | null;
  lastUsedJob: string | null;
  useCount: number;
  retiredReason: string | null;
}

export class UndercoverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndercoverError';
  }
}

const aadOf = (marketId: number, username: string) => `undercover/${marketId}/${username.normalize('NFC').toLowerCase()}`;

/** The identities a market login is known by across agencies: each onion of the market and its pinned signing key. */
export async function marketIdentities(db: Kysely<Database>, marketId: number): Promise<string[]> {
  const onions = await db.selectFrom('market_onions').select('onion').where('market_id', '=', marketId).where('status', 'not in', ['phishing', 'rejected']).execute();
  const key = await db.selectFrom('market_signing_keys').select('fingerprint').where('market_id', '=', marketId).executeTakeFirst();
  return [...onions.map((o) => `onion:${o.onion.toLowerCase()}`), ...(key ? [`pgp:${key.fingerprint}`] : [])];
}

/**
 * Claims every identity of the account's market for the account. A claim held by another agency is refused
 * (returned), so one login is never operated by two agencies; the agency's own claims are kept.
 */
export async function claimIdentities(db: Kysely<Database>, accountId: number): Promise<{ conflicts: string[] }> {
  const a = await db.selectFrom('undercover_accounts').select(['agency_id', 'market_id', 'username']).where('id', '=', accountId).executeTakeFirstOrThrow();
  const usernameKey = a.username.normalize('NFC').toLowerCase();
  const conflicts: string[] = [];
  for (const identity of await marketIdentities(db, a.market_id)) {
    await db.insertInto('undercover_claims').values({ identity, username_key: usernameKey, agency_id: a.agency_id, account_id: accountId }).onConflict((oc) => oc.columns(['identity', 'username_key']).doNothing()).execute();
    const holder = await db.selectFrom('undercover_claims').select(['agency_id', 'account_id']).where('identity', '=', identity).where('username_key', '=', usernameKey).executeTakeFirstOrThrow();
    if (holder.agency_id !== a.agency_id) conflicts.push(identity);
  }
  return { conflicts };
}

async function fingerprintOf(armored: string, passphrase: string | undefined): Promise<string> {
  let key;
  try {
    key = await readPrivateKey({ armoredKey: armored });
  } catch (err) {
    throw new UndercoverError(`the PGP key is not an armored OpenPGP private key: ${(err as Error).message.slice(0, 120)}`);
  }
  if (!key.isDecrypted() && !passphrase) throw new UndercoverError('the PGP private key is protected: give its passphrase too');
  return key.getFingerprint().toUpperCase();
}

/** Stores an undercover account: secrets sealed, the case and authoriser recorded, identities claimed, audited. */
export async function addUndercoverAccount(db: Kysely<Database>, vault: Vault, p: UndercoverAccountInput): Promise<number> {
  const username = p.username.trim();
  if (!username || username.length > 200 || /[\r\n\0]/.test(username)) throw new UndercoverError('the username must be 1-200 characters on one line');
  if (!p.secrets.password) throw new UndercoverError('the account needs a password');
  if (!p.authorisedBy.trim()) throw new UndercoverError('say who authorised the account (--authorised-by)');
  const market = await db.selectFrom('markets').select(['id', 'slug', 'agency_id']).where('id', '=', p.marketId).executeTakeFirst();
  if (!market || market.agency_id !== p.agencyId) throw new UndercoverError(`no market ${p.marketId} in this agency`);
  const kase = await db.selectFrom('cases').select(['id', 'agency_id', 'reference', 'closed_at']).where('id', '=', p.caseId).executeTakeFirst();
  if (!kase || kase.agency_id !== p.agencyId) throw new UndercoverError(`no case ${p.caseId} in this agency`);
  if (kase.closed_at) throw new UndercoverError(`case ${kase.reference} is closed: a closed case authorises no new account`);
  const fingerprint = p.secrets.pgpPrivateKey ? await fingerprintOf(p.secrets.pgpPrivateKey, p.secrets.pgpPassphrase) : null;
  const secret = vault.encrypt({ password: p.secrets.password, pgpPrivateKey: p.secrets.pgpPrivateKey, pgpPassphrase: p.secrets.pgpPassphrase } satisfies UndercoverSecrets, aadOf(p.marketId, username));
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('undercover_accounts').select('id').where('market_id', '=', p.marketId).where('username', '=', username).executeTakeFirst();
    if (existing) throw new UndercoverError(`${username} on ${market.slug} is already in the vault (id ${existing.id})`);
    const { id } = await trx
      .insertInto('undercover_accounts')
      .values({ agency_id: p.agencyId, market_id: p.marketId, username, secret, vault_key_id: vault.keyId, pgp_fingerprint: fingerprint, case_id: p.caseId, authorised_by: p.authorisedBy.trim() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const { conflicts } = await claimIdentities(trx, id);
    if (conflicts.length) throw new UndercoverError(`${username} on ${market.slug} is already operated by another agency (${conflicts.length} shared market identit${conflicts.length === 1 ? 'y' : 'ies'}): de-conflict before using it`);
    const proxyUsername = p.proxyUsername ?? `dp-${market.slug}-${username}`;
    const crawl = await trx.selectFrom('crawl_accounts').select(['id', 'undercover_id']).where('market_id', '=', p.marketId).where('username', '=', username).executeTakeFirst();
    if (crawl) await trx.updateTable('crawl_accounts').set({ undercover_id: id, password: null, status: 'active' }).where('id', '=', crawl.id).execute();
    else await trx.insertInto('crawl_accounts').values({ market_id: p.marketId, username, password: null, proxy_username: proxyUsername, undercover_id: id }).execute();
    await appendAudit(trx, { agencyId: p.agencyId, userId: null, actor: p.actor, action: 'undercover.add', objectType: 'undercover_account', objectId: String(id), detail: { market: market.slug, username, case: kase.reference, authorisedBy: p.authorisedBy.trim(), pgpFingerprint: fingerprint } });
    return id;
  });
}

/** The accounts (never their secrets). */
export async function listUndercoverAccounts(db: Kysely<Database>, o: { agencyId?: number; marketId?: number; all?: boolean } = {}): Promise<UndercoverAccountSummary[]> {
  let q = db
    .selectFrom('undercover_accounts as u')
    .innerJoin('markets as m', 'm.id', 'u.market_id')
    .innerJoin('cases as c', 'c.id', 'u.case_id')
    .select(['u.id', 'u.agency_id', 'm.slug', 'u.market_id', 'u.username', 'u.pgp_fingerprint', 'u.case_id', 'c.reference', 'u.authorised_by', 'u.status', 'u.created_at', 'u.last_used_at', 'u.last_used_job', 'u.use_count', 'u.retired_reason'])
    .orderBy('u.id');
  if (o.agencyId !== undefined) q = q.where('u.agency_id', '=', o.agencyId);
  if (o.marketId !== undefined) q = q.where('u.market_id', '=', o.marketId);
  if (!o.all) q = q.where('u.status', '=', 'active');
  return (await q.execute()).map((r) => ({
    id: r.id, agencyId: r.agency_id, market: r.slug, marketId: r.market_id, username: r.username, pgpFingerprint: r.pgp_fingerprint,
    caseId: r.case_id, caseReference: r.reference, authorisedBy: r.authorised_by, status: r.status, createdAt: r.created_at,
    lastUsedAt: r.last_used_at, lastUsedJob: r.last_used_job, useCount: r.use_count, retiredReason: r.retired_reason,
  }));
}

/** Retires (no longer needed) or burns (exposed) an account: the crawler stops using it. Audited. */
export async function retireUndercoverAccount(db: Kysely<Database>, p: { id: number; agencyId: number; status: 'retired' | 'burned'; reason: string; actor: string }): Promise<void> {
  if (!p.reason.trim()) throw new UndercoverError('give a reason');
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('undercover_accounts').select(['id', 'agency_id', 'status']).where('id', '=', p.id).forUpdate().executeTakeFirst();
    if (!row || row.agency_id !== p.agencyId) throw new UndercoverError(`no undercover account ${p.id} in this agency`);
    if (row.status !== 'active') throw new UndercoverError(`account ${p.id} is already ${row.status}`);
    await trx.updateTable('undercover_accounts').set({ status: p.status, retired_at: new Date(), retired_reason: p.reason.trim() }).where('id', '=', p.id).execute();
    await trx.updateTable('crawl_accounts').set({ status: 'disabled', cookies: '{}' }).where('undercover_id', '=', p.id).execute();
    await appendAudit(trx, { agencyId: p.agencyId, userId: null, actor: p.actor, action: `undercover.${p.status === 'burned' ? 'burn' : 'retire'}`, objectType: 'undercover_account', objectId: String(p.id), detail: { reason: p.reason.trim() } });
  });
}

/**
 * Opens an account's secrets for one use (a crawl job): refused unless the account is active and its claims hold;
 * the use is recorded on the account and in the audit log.
 */
export async function useUndercoverAccount(db: Kysely<Database>, vault: Vault, p: { id: number; jobId: string; actor: string }): Promise<UndercoverSecrets> {
  const row = await db.selectFrom('undercover_accounts').selectAll().where('id', '=', p.id).executeTakeFirst();
  if (!row) throw new UndercoverError(`no undercover account ${p.id}`);
  if (row.status !== 'active') throw new UndercoverError(`undercover account ${row.username} is ${row.status}`);
  const { conflicts } = await claimIdentities(db, row.id);
  if (conflicts.length) throw new UndercoverError(`undercover account ${row.username} is claimed by another agency on ${conflicts.join(', ')}: not used`);
  let secrets: UndercoverSecrets;
  try {
    secrets = vault.decrypt<UndercoverSecrets>(Buffer.from(row.secret), row.vault_key_id, aadOf(row.market_id, row.username));
  } catch (err) {
    throw err instanceof VaultError ? new UndercoverError(`undercover account ${row.username}: ${err.message}`) : err;
  }
  await db.updateTable('undercover_accounts').set((eb) => ({ last_used_at: new Date(), last_used_job: p.jobId, use_count: eb('use_count', '+', 1) })).where('id', '=', row.id).execute();
  await appendAudit(db, { agencyId: row.agency_id, userId: null, actor: p.actor, action: 'undercover.use', objectType: 'undercover_account', objectId: String(row.id), detail: { job: p.jobId, case: row.case_id } });
  return secrets;
}
