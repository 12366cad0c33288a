import type { Command } from 'commander';
import { pullIntoImports, runDueSubscriptions, taxiiDb, TaxiiClientError, ThirdPartyImportError } from '../../exchange/index.ts';
import type { TaxiiAuth } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';
import { agencyIdOf, tlpOption } from './taxii.ts';

/** The partner's credential comes from the environment, never the command line (where `ps` shows it). */
export const SECRET_ENV = 'DARKPATROL_TAXII_SECRET';

function authFrom(user: string | undefined): TaxiiAuth {
  const secret = process.env[SECRET_ENV];
  if (!secret) return { kind: 'none' };
  return user ? { kind: 'basic', username: user, password: secret } : { kind: 'bearer', token: secret };
}

function collectionUrl(u: string): string {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new UserError(`${u} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UserError(`${u}: only http and https`);
  if (!/\/collections\/[^/]+\/?$/.test(url.pathname)) throw new UserError(`${u} is not a TAXII collection URL (…/<api-root>/collections/<id>/)`);
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

const wrap = async <T>(fn: () => Promise<T>): Promise<T> => {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TaxiiClientError) throw new UserError(`TAXII: ${e.message}`);
    if (e instanceof ThirdPartyImportError) throw new UserError(`refused (${e.code}): ${e.message}`);
    throw e;
  }
};

/** The TAXII client: pull a partner's collection now, subscribe to it, run due subscriptions on a schedule. */
export function register(program: Command): void {
  const taxii = commandGroup(program, 'taxii', 'TAXII 2.1: the server\'s collections, publishing into them, pulling partners\' collections');

  taxii
    .command('pull <collection-url>')
    .description(`pull a partner's TAXII 2.1 collection (objects added after --added-after) into the agency's unverified third-party imports; credential in $${SECRET_ENV} (bearer token, or Basic password with --user)`)
    .requiredOption('--agency <code>', 'importing agency')
    .requiredOption('--tlp <level>', 'marking of what is imported (raised to the objects\' own strictest marking)')
    .option('--user <name>', 'HTTP Basic user name (the secret is the password)')
    .option('--added-after <timestamp>', 'only objects added after this date_added')
    .option('--json', 'machine-readable output')
    .action(async (url: string, o: { agency: string; tlp: string; user?: string; addedAfter?: string; json?: boolean }, cmd: Command) => {
      const tlp = tlpOption(o.tlp);
      const coll = collectionUrl(url);
      await withStore(cmd, async (st) => {
        const agencyId = await agencyIdOf(st, o.agency);
        const r = await wrap(() => pullIntoImports(st.db, { agencyId, collectionUrl: coll, auth: authFrom(o.user), tlp, ...(o.addedAfter ? { addedAfter: o.addedAfter } : {}), actor: 'cli' }));
        emit(o.json ?? false, r, () =>
          r.importId
            ? `pulled ${r.objects} object(s) in ${r.pages} page(s) from ${coll}: third-party import ${r.importId} (unverified), TLP:${r.tlp}; last date_added ${r.lastDateAdded ?? '-'}${r.truncated ? ' (stopped at a bound: pull again)' : ''}`
            : `nothing new in ${coll}`,
        );
      });
    });

  taxii
    .command('subscribe <collection-url>')
    .description(`pull a partner's collection every --every minutes (run by \`taxii schedule\`); the credential is read from $${SECRET_ENV} now and stored with the subscription`)
    .requiredOption('--agency <code>', 'importing agency')
    .requiredOption('--name <name>', 'name of the subscription')
    .requiredOption('--tlp <level>', 'marking of what is imported')
    .option('--user <name>', 'HTTP Basic user name (the secret is the password)')
    .option('--every <minutes>', 'interval in minutes', '60')
    .option('--json', 'machine-readable output')
    .action(async (url: string, o: { agency: string; name: string; tlp: string; user?: string; every: string; json?: boolean }, cmd: Command) => {
      const tlp = tlpOption(o.tlp);
      const coll = collectionUrl(url);
      const every = Number(o.every);
      if (!Number.isInteger(every) || every < 1 || every > 10080) throw new UserError('--every: minutes, 1 to 10080');
      const secret = process.env[SECRET_ENV];
      if (!secret) throw new UserError(`set $${SECRET_ENV} to the partner's token (or Basic password)`);
      await withStore(cmd, async (st) => {
        const agencyId = await agencyIdOf(st, o.agency);
        const t = taxiiDb(st.db);
        if (await t.selectFrom('taxii_subscriptions').select('id').where('agency_id', '=', agencyId).where('name', '=', o.name).executeTakeFirst()) throw new UserError(`a subscription ${o.name} exists`);
        const row = await t.insertInto('taxii_subscriptions').values({ agency_id: agencyId, name: o.name, collection_url: coll, username: o.user ?? null, secret, tlp, interval_minutes: every }).returning(['id', 'name', 'collection_url', 'interval_minutes']).executeTakeFirstOrThrow();
        await appendAudit(st.db, { agencyId, userId: null, actor: 'cli', action: 'taxii.subscribe', objectType: 'taxii_subscription', objectId: String(row.id), detail: { url: coll, every, tlp } });
        emit(o.json ?? false, row, () => `subscription ${row.id} (${row.name}): ${row.collection_url} every ${row.interval_minutes} min`);
      });
    });

  taxii
    .command('subscriptions')
    .description('list the subscriptions, when they last ran and their last error')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (st) => {
        const rows = await taxiiDb(st.db).selectFrom('taxii_subscriptions as s').innerJoin('agencies as a', 'a.id', 's.agency_id').select(['s.id', 'a.code', 's.name', 's.collection_url', 's.interval_minutes', 's.added_after', 's.last_run_at', 's.last_error']).orderBy('s.id').execute();
        emit(o.json ?? false, rows, () => table(['id', 'agency', 'name', 'url', 'every', 'added after', 'last run', 'last error'], rows.map((r) => [r.id, r.code, r.name, r.collection_url, r.interval_minutes, r.added_after, r.last_run_at ? new Date(r.last_run_at).toISOString() : '-', r.last_error ?? ''])));
      });
    });

  taxii
    .command('schedule')
    .description('run the due subscriptions, then every minute until stopped (--once: one round and exit)')
    .option('--once', 'one round, then exit')
    .option('--json', 'machine-readable output (one line per round)')
    .action(async (o: { once?: boolean; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (st) => {
        for (;;) {
          const runs = await runDueSubscriptions(st.db);
          emit(o.json ?? false, runs, () => (runs.length ? runs.map((r) => `${r.subscription}: ${r.ok ? `${r.objects} object(s)${r.importId ? ` → import ${r.importId}` : ''}` : `FAILED ${r.error}`}`).join('\n') : 'no subscription due'));
          if (o.once) return;
          await new Promise((r) => setTimeout(r, 60_000));
        }
      });
    });
}
