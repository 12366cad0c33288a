import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { addUndercoverAccount, listUndercoverAccounts, retireUndercoverAccount, UndercoverError, Vault, VaultError, vaultPassphrase, VAULT_ENV } from '../../collect/index.ts';
import type { Database } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

const actor = () => `cli:${process.env.USER ?? 'unknown'}`;

const clear = <T>(p: Promise<T>) =>
  p.catch((e: unknown) => {
    throw e instanceof UndercoverError || e instanceof VaultError ? new UserError(e.message) : e;
  });

async function agencyOf(db: Kysely<Database>, code: string): Promise<number> {
  const a = await db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!a) throw new UserError(`no agency ${code}`);
  return a.id;
}

async function marketOf(db: Kysely<Database>, agencyId: number, slug: string): Promise<number> {
  const m = await db.selectFrom('markets').select('id').where('agency_id', '=', agencyId).where('slug', '=', slug).executeTakeFirst();
  if (!m) throw new UserError(`no market ${slug} in this agency (configure it first: darkpatrol crawl add)`);
  return m.id;
}

async function caseOf(db: Kysely<Database>, agencyId: number, ref: string): Promise<number> {
  const byRef = await db.selectFrom('cases').select('id').where('agency_id', '=', agencyId).where('reference', '=', ref).executeTakeFirst();
  if (byRef) return byRef.id;
  if (/^\d+$/.test(ref)) {
    const byId = await db.selectFrom('cases').select('id').where('agency_id', '=', agencyId).where('id', '=', Number(ref)).executeTakeFirst();
    if (byId) return byId.id;
  }
  throw new UserError(`no case ${ref} in this agency`);
}

function readSecretFile(file: string, what: string): string {
  try {
    return (file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (err) {
    throw new UserError(`cannot read the ${what} from ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function register(program: Command): void {
  const u = commandGroup(program, 'undercover', `the vault of undercover market accounts (secrets encrypted with $${VAULT_ENV})`);

  u.command('add <market>')
    .description('store an undercover account: password and PGP key sealed in the vault, the authorising case recorded')
    .requiredOption('--agency <code>', 'operating agency')
    .requiredOption('--username <name>', 'the market login')
    .requiredOption('--case <reference>', 'the case that authorised the account (reference or id)')
    .requiredOption('--authorised-by <who>', 'who authorised it (officer, prosecutor)')
    .requiredOption('--password-file <file>', 'file holding the password ("-": standard input); never give it on the command line')
    .option('--pgp-key-file <file>', 'armored PGP private key the account registered for two-factor login')
    .option('--pgp-passphrase-file <file>', 'passphrase of that key, when it is protected')
    .option('--proxy-username <name>', 'SOCKS username of the account\'s circuits (default dp-<market>-<username>)')
    .option('--json', 'machine-readable output')
    .action(async (market: string, o: { agency: string; username: string; case: string; authorisedBy: string; passwordFile: string; pgpKeyFile?: string; pgpPassphraseFile?: string; proxyUsername?: string; json?: boolean }, cmd: Command) => {
      const password = readSecretFile(o.passwordFile, 'password');
      const pgpPrivateKey = o.pgpKeyFile ? readSecretFile(o.pgpKeyFile, 'PGP key') : undefined;
      const pgpPassphrase = o.pgpPassphraseFile ? readSecretFile(o.pgpPassphraseFile, 'PGP passphrase') : undefined;
      const passphrase = await clear(Promise.resolve().then(() => vaultPassphrase()));
      await withStore(cmd, async (store) => {
        const agencyId = await agencyOf(store.db, o.agency);
        const marketId = await marketOf(store.db, agencyId, market);
        const caseId = await caseOf(store.db, agencyId, o.case);
        const vault = await clear(Vault.unlock(store.db, passphrase));
        const id = await clear(addUndercoverAccount(store.db, vault, { agencyId, marketId, username: o.username, secrets: { password, pgpPrivateKey, pgpPassphrase }, caseId, authorisedBy: o.authorisedBy, actor: actor(), proxyUsername: o.proxyUsername }));
        emit(o.json ?? false, { id, market, username: o.username }, () => `undercover account ${o.username} on ${market} stored (id ${id}); its secrets are sealed in the vault`);
      });
    });

  u.command('list')
    .description('the accounts, their case, authoriser and last use (never their secrets)')
    .option('--agency <code>', 'only this agency\'s accounts')
    .option('--market <slug>', 'only this market (with --agency)')
    .option('--all', 'include retired and burned accounts')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency?: string; market?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const agencyId = o.agency ? await agencyOf(store.db, o.agency) : undefined;
        if (o.market && agencyId === undefined) throw new UserError('--market needs --agency');
        const marketId = o.market && agencyId !== undefined ? await marketOf(store.db, agencyId, o.market) : undefined;
        const rows = await listUndercoverAccounts(store.db, { agencyId, marketId, all: o.all });
        emit(o.json ?? false, rows, () => rows.length
          ? table(['id', 'market', 'username', 'status', 'case', 'authorised by', 'pgp', 'uses', 'last used'], rows.map((r) => [r.id, r.market, r.username, r.status, r.caseReference, r.authorisedBy, r.pgpFingerprint ? r.pgpFingerprint.slice(-16) : '', r.useCount, r.lastUsedAt?.toISOString() ?? 'never']))
          : 'no undercover account');
      });
    });

  u.command('retire <id>')
    .description('stop using an account (no longer needed, or --burned: exposed); the crawler refuses it from then on')
    .requiredOption('--agency <code>', 'operating agency')
    .requiredOption('--reason <text>', 'why')
    .option('--burned', 'the account is exposed (burned), not just retired')
    .option('--json', 'machine-readable output')
    .action(async (text: string, o: { agency: string; reason: string; burned?: boolean; json?: boolean }, cmd: Command) => {
      const id = Number(text);
      if (!Number.isInteger(id) || id <= 0) throw new UserError(`account id must be a positive integer, got ${JSON.stringify(text)}`);
      await withStore(cmd, async (store) => {
        const agencyId = await agencyOf(store.db, o.agency);
        const status = o.burned ? 'burned' : 'retired';
        await clear(retireUndercoverAccount(store.db, { id, agencyId, status, reason: o.reason, actor: actor() }));
        emit(o.json ?? false, { id, status }, () => `undercover account ${id} ${status}`);
      });
    });
}
