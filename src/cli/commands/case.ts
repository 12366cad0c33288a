import type { Command } from 'commander';
import { DeconflictError, deconflictDb, REGISTERED_SELECTOR_KINDS, registerCaseSelectors } from '../../deconflict/index.ts';
import type { HitNotice } from '../../deconflict/index.ts';
import { isTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import { appendAudit } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

/** One line per hit notice: the agency's own case and selector, and whom to call — never the other case. */
export function noticeLine(n: HitNotice): string {
  return `hit ${n.hitId} (${n.via}): your case ${n.yourCase.reference} ${n.yourSelector.kind} ${n.yourSelector.value} — also held by ${n.other.agencyCode} (${n.other.agencyName}); contact ${n.other.contactPoint || '(no contact point)'}${n.acknowledgedAt ? `; acknowledged ${n.acknowledgedAt.toISOString()}` : ''}`;
}

export function register(program: Command): void {
  const c = commandGroup(program, 'case', 'investigations and the selectors registered against them for de-confliction');

  c.command('create')
    .description('open a case for an agency')
    .requiredOption('--agency <code>', 'owning agency')
    .requiredOption('--reference <ref>', 'the agency\'s own case reference (never shown to other agencies)')
    .requiredOption('--title <title>', 'short title (never shown to other agencies)')
    .requiredOption('--contact <text>', 'contact point other agencies are given on a de-confliction hit')
    .option('--tlp <level>', `marking (${TLP_LEVELS.join(', ')})`, 'AMBER')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; reference: string; title: string; contact: string; tlp: string; json?: boolean }, cmd: Command) => {
      const tlp = o.tlp.toUpperCase();
      if (!isTlp(tlp)) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
      if (!o.reference.trim() || !o.title.trim() || !o.contact.trim()) throw new UserError('--reference, --title and --contact must not be empty');
      await withStore(cmd, async (store) => {
        const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
        if (!agency) throw new UserError(`no agency ${o.agency}`);
        const dup = await store.db.selectFrom('cases').select('id').where('agency_id', '=', agency.id).where('reference', '=', o.reference).executeTakeFirst();
        if (dup) throw new UserError(`case ${o.reference} already exists (id ${dup.id})`);
        const row = await store.db
          .insertInto('cases')
          .values({ agency_id: agency.id, tlp, reference: o.reference, title: o.title, contact_point: o.contact })
          .returning(['id', 'reference', 'title', 'contact_point', 'tlp'])
          .executeTakeFirstOrThrow();
        await appendAudit(store.db, { agencyId: agency.id, userId: null, actor: 'cli', action: 'case.create', objectType: 'case', objectId: String(row.id) });
        emit(o.json ?? false, { ...row, agency: o.agency.toUpperCase() }, () => `created case ${row.reference} (id ${row.id}) for ${o.agency.toUpperCase()}`);
      });
    });

  c.command('list')
    .description('list cases with their number of registered selectors')
    .option('--agency <code>', 'only this agency\'s cases')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        let q = deconflictDb(store.db)
          .selectFrom('cases')
          .innerJoin('agencies', 'agencies.id', 'cases.agency_id')
          .select((eb) => [
            'cases.id',
            'agencies.code as agency',
            'cases.reference',
            'cases.title',
            'cases.contact_point',
            'cases.tlp',
            'cases.closed_at',
            eb.selectFrom('deconflict_selectors').whereRef('deconflict_selectors.case_id', '=', 'cases.id').select((e) => e.fn.countAll<number>().as('n')).as('selectors'),
          ]);
        if (o.agency) q = q.where('agencies.code', '=', o.agency.toUpperCase());
        const rows = (await q.orderBy('cases.id').execute()).map((r) => ({ ...r, selectors: Number(r.selectors ?? 0) }));
        emit(o.json ?? false, rows, () =>
          rows.length
            ? table(['id', 'agency', 'reference', 'title', 'contact', 'TLP', 'selectors', 'closed'], rows.map((r) => [r.id, r.agency, r.reference, r.title, r.contact_point, r.tlp, r.selectors, r.closed_at ? r.closed_at.toISOString().slice(0, 10) : '']))
            : 'no cases yet: open one with `darkpatrol case create`',
        );
      });
    });

  const selector = c.command('selector').description('selectors registered against a case');
  selector
    .command('add <case>')
    .description('register a selector against a case (normalised like extracted selectors); prints hit notices when another agency holds it')
    .requiredOption('--type <kind>', REGISTERED_SELECTOR_KINDS.join(', '))
    .requiredOption('--value <value>', 'the selector as written; it is normalised (e.g. bech32 lower-cased, handles without @)')
    .option('--json', 'machine-readable output')
    .action(async (caseRef: string, o: { type: string; value: string; json?: boolean }, cmd: Command) => {
      if (!/^\d+$/.test(caseRef)) throw new UserError(`<case> must be a case id (see \`darkpatrol case list\`), got "${caseRef}"`);
      await withStore(cmd, async (store) => {
        const kase = await store.db.selectFrom('cases').select(['id', 'agency_id', 'reference']).where('id', '=', Number(caseRef)).executeTakeFirst();
        if (!kase) throw new UserError(`no case ${caseRef}`);
        // The CLI acts for the case's own agency (an operator of this installation).
        const actor = { agencyId: kase.agency_id, userId: null, actor: 'cli' };
        let r;
        try {
          r = await registerCaseSelectors(store.db, actor, kase.id, [{ kind: o.type, value: o.value }]);
        } catch (e) {
          if (e instanceof DeconflictError) throw new UserError(e.message);
          throw e;
        }
        emit(o.json ?? false, r, () =>
          [
            r.registered ? `registered ${o.type} on case ${kase.reference}` : `${o.type} was already registered on case ${kase.reference}`,
            ...(r.notices.length ? r.notices.map(noticeLine) : ['no hit: no other agency holds it']),
          ].join('\n'),
        );
      });
    });
}
