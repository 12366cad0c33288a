import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

export function register(program: Command): void {
  const agency = program.command('agency').description('agencies that own data in this installation');

  agency
    .command('add')
    .description('register an agency')
    .requiredOption('--code <code>', 'short code, e.g. NL-POL (A-Z, 0-9, - and _)')
    .requiredOption('--name <name>', 'full name')
    .requiredOption('--country <cc>', 'ISO 3166-1 alpha-2 country code')
    .option('--contact <text>', 'contact point shown to other agencies on de-confliction hits', '')
    .option('--json', 'machine-readable output')
    .action(async (opts: { code: string; name: string; country: string; contact: string; json?: boolean }, cmd: Command) => {
      const code = opts.code.toUpperCase();
      if (!/^[A-Z0-9][A-Z0-9_-]{1,31}$/.test(code)) throw new UserError(`--code "${opts.code}" must be 2-32 characters of A-Z, 0-9, - and _`);
      const country = opts.country.toUpperCase();
      if (!/^[A-Z]{2}$/.test(country)) throw new UserError(`--country "${opts.country}" must be a two-letter ISO country code`);
      await withStore(cmd, async (store) => {
        const exists = await store.db.selectFrom('agencies').select('id').where('code', '=', code).executeTakeFirst();
        if (exists) throw new UserError(`agency ${code} already exists (id ${exists.id})`);
        const row = await store.db
          .insertInto('agencies')
          .values({ code, name: opts.name, country, contact_point: opts.contact })
          .returningAll()
          .executeTakeFirstOrThrow();
        emit(opts.json ?? false, row, () => `added agency ${row.code} (id ${row.id})`);
      });
    });

  agency
    .command('list')
    .description('list agencies')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const rows = await store.db.selectFrom('agencies').selectAll().orderBy('id').execute();
        emit(opts.json ?? false, rows, () =>
          rows.length ? table(['id', 'code', 'name', 'country', 'contact'], rows.map((r) => [r.id, r.code, r.name, r.country, r.contact_point])) : 'no agencies yet: add one with `darkpatrol agency add`',
        );
      });
    });
}
