import type { Command } from 'commander';
import { acknowledgeHit, DeconflictError, listNotices } from '../../deconflict/index.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';
import { noticeLine } from './case.ts';

export function register(program: Command): void {
  program
    .command('notices')
    .description('de-confliction hit notices of an agency: its own case and selector, and the other agency\'s contact point (never its case); --ack acknowledges one. Every read is audited')
    .requiredOption('--agency <code>', 'whose notices')
    .option('--ack <hit id>', 'acknowledge this hit for the agency')
    .option('--unacknowledged', 'only hits the agency has not acknowledged')
    .option('--json', 'machine-readable output')
    .action(async (o: { agency: string; ack?: string; unacknowledged?: boolean; json?: boolean }, cmd: Command) => {
      if (o.ack !== undefined && !/^\d+$/.test(o.ack)) throw new UserError(`--ack must be a hit id, got "${o.ack}"`);
      await withStore(cmd, async (store) => {
        const agency = await store.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
        if (!agency) throw new UserError(`no agency ${o.agency}`);
        const actor = { agencyId: agency.id, userId: null, actor: 'cli' };
        if (o.ack !== undefined) {
          try {
            const n = await acknowledgeHit(store.db, actor, Number(o.ack));
            emit(o.json ?? false, n, () => `acknowledged: ${noticeLine(n)}`);
          } catch (e) {
            if (e instanceof DeconflictError) throw new UserError(e.message);
            throw e;
          }
          return;
        }
        const notices = await listNotices(store.db, actor, { unacknowledgedOnly: o.unacknowledged ?? false });
        emit(o.json ?? false, notices, () => (notices.length ? notices.map(noticeLine).join('\n') : `no${o.unacknowledged ? ' unacknowledged' : ''} hits for ${o.agency.toUpperCase()}`));
      });
    });
}
