import type { Command } from 'commander';
import { isRole, ROLES } from '../../domain/role.ts';
import { accountDelayedUntil, createUser, generatePassword, unthrottleAccount } from '../../server/index.ts';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) {
    chunks.push(c as Buffer);
    if (chunks.reduce((n, b) => n + b.length, 0) > 4096) throw new UserError('password on stdin is longer than 4 KiB');
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  const user = program.command('user').description('console users (password login, scrypt-hashed)');

  user
    .command('add')
    .description('create a user; the password is read from stdin, or generated and printed once')
    .requiredOption('--agency <code>', 'agency code, e.g. NL-POL')
    .requiredOption('--username <name>', 'login name (a-z, 0-9, . _ -)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .option('--display-name <name>', 'shown in the console')
    .option('--json', 'machine-readable output')
    .action(async (opts: { agency: string; username: string; role: string; passwordStdin?: boolean; displayName?: string; json?: boolean }, cmd: Command) => {
      if (!isRole(opts.role)) throw new UserError(`--role "${opts.role}" must be one of ${ROLES.join(', ')}`);
      const role = opts.role;
      const generated = !opts.passwordStdin;
      const password = generated ? generatePassword() : await readStdin();
      if (password.length < 10) throw new UserError('the password must have at least 10 characters');
      await withStore(cmd, async (store) => {
        try {
          const u = await createUser(store.db, { agencyCode: opts.agency.toUpperCase(), username: opts.username, role, password, displayName: opts.displayName });
          emit(opts.json ?? false, { id: u.id, username: opts.username, role, agency: opts.agency.toUpperCase(), ...(generated ? { password } : {}) }, () =>
            `added ${role} ${opts.username} (id ${u.id}) to ${opts.agency.toUpperCase()}${generated ? `\npassword (shown once): ${password}` : ''}`,
          );
        } catch (e) {
          if (e instanceof RangeError) throw new UserError(e.message);
          throw e;
        }
      });
    });

  user
    .command('list')
    .description('list users')
    .option('--agency <code>', 'only this agency')
    .option('--json', 'machine-readable output')
    .action(async (opts: { agency?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        let q = store.db.selectFrom('users').innerJoin('agencies', 'agencies.id', 'users.agency_id').select(['users.id', 'users.username', 'users.role', 'agencies.code', 'users.disabled']);
        if (opts.agency) q = q.where('agencies.code', '=', opts.agency.toUpperCase());
        const users = await q.orderBy('users.id').execute();
        const delayed = await accountDelayedUntil(store.db, users.map((u) => u.username));
        const rows = users.map((u) => ({ ...u, login_delayed_until: delayed.get(u.username) ?? null }));
        emit(opts.json ?? false, rows, () => (rows.length ? table(['id', 'username', 'role', 'agency', 'login delayed until', 'disabled'], rows.map((r) => [r.id, r.username, r.role, r.code, r.login_delayed_until?.toISOString() ?? '', r.disabled ? 'yes' : ''])) : 'no users yet: add one with `darkpatrol user add`'));
      });
    });

  user
    .command('unlock')
    .description('lift the login delays that failed logins put on an account (from every address)')
    .requiredOption('--username <name>')
    .action(async (opts: { username: string }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        if (!(await store.db.selectFrom('users').select('id').where('username', '=', opts.username).executeTakeFirst())) throw new UserError(`no user ${opts.username}`);
        const n = await unthrottleAccount(store.db, opts.username);
        process.stdout.write(`unlocked ${opts.username} (${n} login delay${n === 1 ? '' : 's'} lifted)\n`);
      });
    });
}
