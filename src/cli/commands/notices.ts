import type { Command } from 'commander';
import { acknowledgeBlindedHit, acknowledgeHit, DeconflictError, listBlindedNotices, listNotices } from '../../deconflict/index.ts';
import type { BlindedNoticeView } from '../../deconflict/index.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';
import { noticeLine } from './case.ts';

/** One line per blinded hit notice: the agency's own case handle and token id, and whom to call — never the other case. */
export function blindedNoticeLine(n: BlindedNoticeView): string {
  return `blinded hit ${n.hitId}: your case handle ${n.yourCaseRef} token ${n.tokenId} — also held by ${n.otherAgency}; contact ${n.otherContact}${n.acknowledgedAt ? `; acknowledged ${n.acknowledgedAt.toISOString()}` : ''}`;
}

export function register(program: Command): void {
  program
    .command('notices')
    .description(
      "de-confliction hit notices of an agency: its own case and selector (--blinded: its case handle and token id), and the other agency's contact point (never its case); --ack acknowledges one (the other agency is not told). Every read is audited",
    )
    .requiredOption('--agency <code>', 'whose notices')
    .option('--blinded', 'blinded-mode (OPRF) hits instead of clear-mode hits')
    .option('--ack <hit id>', 'acknowledge this hit for the agency')
    .option('--unacknowledged', 'only hits the agency has not acknowledged')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; blinded?: boolean; ack?: string; unacknowledged?: boolean; json?: boolean }, cmd: Command) => {
      if (o.ack !== undefined && !/^\d+$/.test(o.ack)) throw new UserError(`--ack must be a ${o.blinded ? 'blinded ' : ''}hit id, got "${o.ack}"`);
      if (o.ack !== undefined && o.unacknowledged) throw new UserError('--ack and --unacknowledged do not go together: --ack acknowledges one hit, --unacknowledged filters the listing');
      await withStore(cmd, async (store) => {
        const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
        if (!agency) throw new UserError(`no agency ${o.agency}`);
        const actor = { agencyId: agency.id, userId: null, actor: 'cli' };
        const json = o.json ?? false;
        try {
          if (o.blinded) {
            if (o.ack !== undefined) {
              const n = await acknowledgeBlindedHit(store.db, actor, Number(o.ack));
              emit(json, n, () => `acknowledged: ${blindedNoticeLine(n)}`);
              return;
            }
            const notices = await listBlindedNotices(store.db, actor, { unacknowledgedOnly: o.unacknowledged ?? false });
            emit(json, notices, () => (notices.length ? notices.map(blindedNoticeLine).join('\n') : `no${o.unacknowledged ? ' unacknowledged' : ''} blinded hits for ${o.agency.toUpperCase()}`));
            return;
          }
          if (o.ack !== undefined) {
            const n = await acknowledgeHit(store.db, actor, Number(o.ack));
            emit(json, n, () => `acknowledged: ${noticeLine(n)}`);
            return;
          }
          const notices = await listNotices(store.db, actor, { unacknowledgedOnly: o.unacknowledged ?? false });
          emit(json, notices, () => (notices.length ? notices.map(noticeLine).join('\n') : `no${o.unacknowledged ? ' unacknowledged' : ''} hits for ${o.agency.toUpperCase()}`));
        } catch (e) {
          if (e instanceof DeconflictError) throw new UserError(e.message);
          throw e;
        }
      });
    });
}
