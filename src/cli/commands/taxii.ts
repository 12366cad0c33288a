import type { Command } from 'commander';
import { isTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { createCollection, PackageInputError, publishSubject, PublishError, SubjectNotFoundError, taxiiDb, TaxiiCollectionError, ownCollection } from '../../exchange/index.ts';
import type { SubjectKind } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import type { Store } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

export async function agencyIdOf(st: Store, code: string): Promise<number> {
  const a = await st.db.selectFrom('agencies').select('id').where('code', '=', code.toUpperCase()).executeTakeFirst();
  if (!a) throw new UserError(`no agency ${code}`);
  return a.id;
}

export function tlpOption(v: string): Tlp {
  const t = v.toUpperCase();
  if (!isTlp(t)) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
  return t;
}

/** The TAXII 2.1 server's collections: create, list, publish a subject into one. */
export function register(program: Command): void {
  const taxii = commandGroup(program, 'taxii', 'TAXII 2.1: the server\'s collections, publishing into them, pulling partners\' collections');
  const collection = taxii.command('collection').description('collections of the TAXII server (served at /taxii2/ by `darkpatrol serve`)');

  collection
    .command('add')
    .description('create a collection of an agency; --partner makes it a partner collection (read by that partner agency\'s tokens, CLEAR/GREEN objects only)')
    .requiredOption('--agency <code>', 'owning agency')
    .requiredOption('--title <text>', 'title shown to TAXII clients')
    .option('--description <text>', 'description')
    .option('--alias <alias>', 'short name usable in URLs instead of the id')
    .option('--tlp <level>', 'marking of the collection itself: CLEAR/GREEN collections are listed to other agencies', 'AMBER')
    .option('--partner <code>', 'partner agency this collection is addressed to')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; title: string; description?: string; alias?: string; tlp: string; partner?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (st) => {
        const agencyId = await agencyIdOf(st, o.agency);
        const partnerAgencyId = o.partner ? await agencyIdOf(st, o.partner) : undefined;
        try {
          const c = await createCollection(st.db, { agencyId, title: o.title, tlp: tlpOption(o.tlp), ...(o.description ? { description: o.description } : {}), ...(o.alias ? { alias: o.alias } : {}), ...(partnerAgencyId ? { partnerAgencyId } : {}) });
          await appendAudit(st.db, { agencyId, userId: null, actor: 'cli', action: 'taxii.collection.create', objectType: 'taxii_collection', objectId: c.id, detail: { partner: o.partner ?? null } });
          emit(o.json ?? false, c, () => `collection ${c.id}${c.alias ? ` (${c.alias})` : ''}: ${c.title}`);
        } catch (e) {
          if (e instanceof TaxiiCollectionError) throw new UserError(e.message);
          throw e;
        }
      });
    });

  collection
    .command('list')
    .description('the collections of an agency, with their object counts')
    .requiredOption('--agency <code>', 'owning agency')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (st) => {
        const agencyId = await agencyIdOf(st, o.agency);
        const t = taxiiDb(st.db);
        const rows = await t
          .selectFrom('taxii_collections as c')
          .leftJoin('agencies as a', 'a.id', 'c.partner_agency_id')
          .select(['c.id', 'c.alias', 'c.title', 'c.tlp', 'a.code as partner'])
          .select((eb) => eb.selectFrom('taxii_objects as o').whereRef('o.collection_id', '=', 'c.id').select((e) => e.fn.countAll<string>().as('n')).as('objects'))
          .where('c.agency_id', '=', agencyId)
          .orderBy('c.created_at')
          .execute();
        emit(o.json ?? false, rows, () => table(['id', 'alias', 'title', 'tlp', 'partner', 'objects'], rows.map((r) => [r.id, r.alias, r.title, r.tlp, r.partner, String(r.objects ?? 0)])));
      });
    });

  taxii
    .command('publish')
    .description('publish a vendor, identity or case (as the agency sees it, marked as strictly as its rows) into one of its collections')
    .requiredOption('--agency <code>', 'publishing agency (owner of the collection)')
    .requiredOption('--collection <id>', 'collection id or alias')
    .option('--vendor <id>', 'a vendor account')
    .option('--identity <id>', 'an identity (linked accounts)')
    .option('--case <id>', 'a case of the agency')
    .option('--tlp <level>', 'raise the marking (never lowers it)')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; collection: string; vendor?: string; identity?: string; case?: string; tlp?: string; json?: boolean }, cmd: Command) => {
      const given = (['vendor', 'identity', 'case'] as const).filter((k) => o[k] !== undefined);
      if (given.length !== 1) throw new UserError('give exactly one of --vendor, --identity, --case');
      const kind: SubjectKind = given[0]!;
      const id = Number(o[kind]);
      if (!Number.isInteger(id) || id <= 0) throw new UserError(`--${kind} must be a positive integer`);
      await withStore(cmd, async (st) => {
        const agencyId = await agencyIdOf(st, o.agency);
        const c = await ownCollection(st.db, agencyId, o.collection);
        if (!c) throw new UserError(`no collection ${o.collection} of ${o.agency}`);
        try {
          const r = await publishSubject(st.db, c, { agencyId, kind, id, ...(o.tlp ? { tlp: tlpOption(o.tlp) } : {}) });
          await appendAudit(st.db, { agencyId, userId: null, actor: 'cli', action: 'taxii.publish', objectType: 'taxii_collection', objectId: c.id, detail: { subject: `${kind}-${id}`, tlp: r.tlp, status: r.status.id, added: r.status.success_count } });
          emit(o.json ?? false, r, () => [`published ${kind} ${id} into ${c.title}: ${r.status.success_count} object(s), TLP:${r.tlp}`, ...r.omitted.map((m) => `left out: ${m}`)].join('\n'));
        } catch (e) {
          if (e instanceof SubjectNotFoundError || e instanceof PackageInputError || e instanceof PublishError) throw new UserError(e.message);
          throw e;
        }
      });
    });
}
