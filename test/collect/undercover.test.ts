// The undercover vault: secrets sealed at rest (nothing readable in any table, the audit log or the CLI's output),
// every add / use / retirement audited, one login never operated by two agencies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addUndercoverAccount, configureMarketCrawl, listUndercoverAccounts, retireUndercoverAccount, useUndercoverAccount, Vault, VAULT_ENV } from '../../src/collect/index.ts';
import { main } from '../../src/cli/index.ts';
import { openStore } from '../../src/store/index.ts';
import { openTestStore, type TestStore } from '../helpers/store.ts';

const ONION = `${'a'.repeat(56)}.onion`;
const PASSPHRASE = 'correct horse battery staple 42';
const PASSWORD = 'Pw-unique-7f3c9e1b-secret';
const KEY_PASSPHRASE = 'key-pass-91ad2c';

/** Every row of every table, as text (bytea as hex), to search for secrets. */
async function everything(store: TestStore): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(store.db);
  let out = '';
  for (const t of tables.rows) {
    const rows = await sql<{ r: string }>`select t::text as r from ${sql.table(t.table_name)} t`.execute(store.db);
    out += rows.rows.map((r) => r.r).join('\n');
  }
  return out;
}

describe('undercover account vault', () => {
  let store: TestStore;
  let vault: Vault;
  let nl: number;
  let de: number;
  let marketNl: number;
  let marketDe: number;
  let caseNl: number;
  let caseDe: number;
  let armored: string;
  let accountId: number;

  beforeAll(async () => {
    store = await openTestStore();
    const db = store.db;
    nl = (await db.insertInto('agencies').values({ code: 'NLPOL', name: 'NL police', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
    de = (await db.insertInto('agencies').values({ code: 'DEBKA', name: 'BKA', country: 'DE' }).returning('id').executeTakeFirstOrThrow()).id;
    caseNl = (await db.insertInto('cases').values({ agency_id: nl, reference: 'NL-2026-17', title: 't', contact_point: 'c' }).returning('id').executeTakeFirstOrThrow()).id;
    caseDe = (await db.insertInto('cases').values({ agency_id: de, reference: 'DE-2026-3', title: 't', contact_point: 'c' }).returning('id').executeTakeFirstOrThrow()).id;
    marketNl = await configureMarketCrawl(db, { agencyId: nl, slug: 'dream', startUrls: [`http://${ONION}/`] });
    marketDe = await configureMarketCrawl(db, { agencyId: de, slug: 'dream-de', startUrls: [`http://${ONION}/`] });
    ({ privateKey: armored } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'vendor-watch' }], passphrase: KEY_PASSPHRASE, format: 'armored' }));
    vault = await Vault.unlock(db, PASSPHRASE, { scryptN: 2 ** 14 });
    accountId = await addUndercoverAccount(db, vault, { agencyId: nl, marketId: marketNl, username: 'quietbuyer', secrets: { password: PASSWORD, pgpPrivateKey: armored, pgpPassphrase: KEY_PASSPHRASE }, caseId: caseNl, authorisedBy: 'OvJ Jansen (prosecutor)', actor: 'test' });
  }, 60_000);

  afterAll(async () => {
    await store?.close();
  });

  it('keeps no secret readable anywhere in the database (password, PGP key, its passphrase, the vault passphrase)', async () => {
    const dump = await everything(store);
    expect(dump).toContain('quietbuyer'); // the dump does reach the accounts
    const keyBody = armored.split('\n').reduce((a, l) => (l.length > a.length ? l : a), '');
    for (const secret of [PASSWORD, KEY_PASSPHRASE, PASSPHRASE, keyBody]) {
      expect(secret.length).toBeGreaterThan(10);
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(Buffer.from(secret, 'utf8').toString('hex'));
    }
    const crawlRow = await store.db.selectFrom('crawl_accounts').select(['password', 'undercover_id']).where('username', '=', 'quietbuyer').executeTakeFirstOrThrow();
    expect(crawlRow).toEqual({ password: null, undercover_id: accountId });
  });

  it('opens the secrets only with the passphrase, and only on the row they were sealed for', async () => {
    await expect(Vault.unlock(store.db, 'wrong passphrase 123')).rejects.toThrow(/wrong vault passphrase/);
    const again = await Vault.unlock(store.db, PASSPHRASE);
    expect(again.keyId).toBe(vault.keyId);
    const secrets = await useUndercoverAccount(store.db, again, { id: accountId, jobId: 'job-1', actor: 'test' });
    expect(secrets.password).toBe(PASSWORD);
    const key = await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: secrets.pgpPrivateKey ?? '' }), passphrase: secrets.pgpPassphrase ?? '' });
    const [row] = await listUndercoverAccounts(store.db, { agencyId: nl });
    expect(row).toMatchObject({ username: 'quietbuyer', pgpFingerprint: key.getFingerprint().toUpperCase(), caseReference: 'NL-2026-17', useCount: 1, lastUsedJob: 'job-1' });
    // a ciphertext copied onto another row does not open there
    const other = await addUndercoverAccount(store.db, vault, { agencyId: nl, marketId: marketNl, username: 'second', secrets: { password: 'x'.repeat(12) }, caseId: caseNl, authorisedBy: 'x', actor: 'test' });
    const sealed = await store.db.selectFrom('undercover_accounts').select('secret').where('id', '=', accountId).executeTakeFirstOrThrow();
    await store.db.updateTable('undercover_accounts').set({ secret: sealed.secret }).where('id', '=', other).execute();
    await expect(useUndercoverAccount(store.db, vault, { id: other, jobId: 'job-2', actor: 'test' })).rejects.toThrow(/does not decrypt/);
  });

  it('never lets a second agency operate the same login', async () => {
    await expect(addUndercoverAccount(store.db, vault, { agencyId: de, marketId: marketDe, username: 'QuietBuyer', secrets: { password: 'another-password' }, caseId: caseDe, authorisedBy: 'x', actor: 'test' }))
      .rejects.toThrow(/already operated by another agency/);
    expect(await listUndercoverAccounts(store.db, { agencyId: de })).toEqual([]);
    // another login on the same market is fine
    await addUndercoverAccount(store.db, vault, { agencyId: de, marketId: marketDe, username: 'otherbuyer', secrets: { password: 'another-password' }, caseId: caseDe, authorisedBy: 'x', actor: 'test' });
  });

  it('refuses bad input clearly and audits add, use and retirement', async () => {
    await expect(addUndercoverAccount(store.db, vault, { agencyId: nl, marketId: marketNl, username: 'x', secrets: { password: 'p', pgpPrivateKey: 'not a key' }, caseId: caseNl, authorisedBy: 'x', actor: 'test' })).rejects.toThrow(/not an armored OpenPGP private key/);
    await expect(addUndercoverAccount(store.db, vault, { agencyId: nl, marketId: marketNl, username: 'y', secrets: { password: 'p' }, caseId: caseDe, authorisedBy: 'x', actor: 'test' })).rejects.toThrow(/no case/);
    await retireUndercoverAccount(store.db, { id: accountId, agencyId: nl, status: 'burned', reason: 'vendor asked for a selfie', actor: 'test' });
    await expect(useUndercoverAccount(store.db, vault, { id: accountId, jobId: 'job-3', actor: 'test' })).rejects.toThrow(/is burned/);
    const audit = await store.db.selectFrom('audit_log').select(['action', 'object_id']).where('object_type', '=', 'undercover_account').orderBy('id').execute();
    expect(audit.filter((a) => a.object_id === String(accountId)).map((a) => a.action)).toEqual(['undercover.add', 'undercover.use', 'undercover.burn']);
    const crawl = await store.db.selectFrom('crawl_accounts').select('status').where('undercover_id', '=', accountId).executeTakeFirstOrThrow();
    expect(crawl.status).toBe('disabled');
  });
});

describe('darkpatrol undercover (CLI)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dp-undercover-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
    try {
      return { code: await main(['node', 'darkpatrol', '--data-dir', path.join(dir, 'db'), ...args]), out, err };
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  }

  it('adds, lists and retires accounts without ever printing a secret', async () => {
    writeFileSync(path.join(dir, 'pw'), `${PASSWORD}\n`);
    const setup = await openStore({ dataDir: path.join(dir, 'db') });
    try {
      const agency = (await setup.db.insertInto('agencies').values({ code: 'NLPOL', name: 'NL', country: 'NL' }).returning('id').executeTakeFirstOrThrow()).id;
      await setup.db.insertInto('cases').values({ agency_id: agency, reference: 'NL-1', title: 't', contact_point: 'c' }).execute();
      await configureMarketCrawl(setup.db, { agencyId: agency, slug: 'dream', startUrls: [`http://${ONION}/`] });
    } finally {
      await setup.close();
    }
    const add = ['undercover', 'add', 'dream', '--agency', 'NLPOL', '--username', 'quietbuyer', '--case', 'NL-1', '--authorised-by', 'OvJ', '--password-file', path.join(dir, 'pw'), '--json'];
    delete process.env[VAULT_ENV];
    const locked = await run(add);
    expect(locked.code).toBe(2);
    expect(locked.err).toMatch(/vault is locked/);
    process.env[VAULT_ENV] = PASSPHRASE;
    try {
      const added = await run(add);
      expect(added.code, added.err).toBe(0);
      const id = (JSON.parse(added.out) as { id: number }).id;
      const retired = await run(['undercover', 'retire', String(id), '--agency', 'NLPOL', '--reason', 'case closed']);
      expect(retired.code).toBe(0);
      const list = await run(['undercover', 'list', '--agency', 'NLPOL', '--all', '--json']);
      expect(JSON.parse(list.out)).toMatchObject([{ username: 'quietbuyer', caseReference: 'NL-1', authorisedBy: 'OvJ', status: 'retired', retiredReason: 'case closed' }]);
      for (const r of [added, list, retired]) expect(r.out + r.err).not.toContain(PASSWORD);
    } finally {
      delete process.env[VAULT_ENV];
    }
  }, 120_000);
});
