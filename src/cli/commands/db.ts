import type { Command } from 'commander';
import { MIGRATIONS } from '../../store/index.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

export function register(program: Command): void {
  const db = program.command('db').description('the database: status and migrations');

  db.command('status')
    .description('show the engine, location, applied migrations and row counts')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const applied = await store.db.selectFrom('schema_migrations').select(['id', 'name', 'applied_at']).orderBy('id').execute();
        const counts: Record<string, number> = {};
        for (const t of ['agencies', 'markets', 'vendors', 'listings', 'listing_snapshots', 'feedback', 'captures', 'selectors', 'identities', 'audit_log'] as const) {
          const r = await store.db.selectFrom(t).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
          counts[t] = r.n;
        }
        const pending = MIGRATIONS.filter((m) => !applied.some((a) => a.id === m.id)).map((m) => m.id);
        emit(opts.json ?? false, { engine: store.engine, location: store.location, applied, pending, counts }, () =>
          [
            `engine    ${store.engine}`,
            `location  ${store.location}`,
            `schema    ${applied.length} migration(s) applied, latest ${applied.at(-1)?.id ?? '-'}${pending.length ? `, pending ${pending.join(', ')}` : ''}`,
            '',
            table(['table', 'rows'], Object.entries(counts)),
          ].join('\n'),
        );
      });
    });

  db.command('migrate')
    .description('apply pending migrations (opening the database does this too) and report what was applied')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const report = store.migrations ?? { applied: [], current: 0 };
        emit(opts.json ?? false, report, () =>
          report.applied.length ? `applied migration(s) ${report.applied.join(', ')}; schema is at ${report.current}` : `schema is up to date (${report.current})`,
        );
      });
    });
}
