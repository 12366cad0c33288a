import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isTlp, strictestTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { buildFeedPackage, feedCsv, signPackage, validateBundle } from '../../exchange/index.ts';
import { financialFeed, postalFeed, type FeedScope } from '../../server/exchange/index.ts';
import type { Principal } from '../../server/index.ts';
import { appendAudit } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { readPrivateKey } from '../keyfile.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';

type PartnerFeedKind = 'postal' | 'financial';
interface Opts { partnerCountry: string; agency: string; csv?: boolean; stix?: boolean; key?: string; out: string; tlp: string; top: string; since?: string; force?: boolean; json?: boolean }

const ABOUT: Record<PartnerFeedKind, string> = {
  postal: 'postal/courier feed: vendors shipping from or to the partner\'s country and the drop/return addresses seen on them',
  financial: 'financial feed: crypto addresses of the top targets of the ranking',
};

export function register(program: Command): void {
  const feed = commandGroup(program, 'feed', 'minimal, TLP-marked partner feeds (postal operators, financial institutions) as CSV or signed STIX');
  for (const kind of ['postal', 'financial'] as const) {
    feed
      .command(kind)
      .description(`write the ${ABOUT[kind]}; every export is audited`)
      .requiredOption('--partner-country <CC>', 'ISO 3166-1 alpha-2 country of the partner')
      .requiredOption('--agency <code>', 'the agency issuing the feed (sees its own rows and others\' CLEAR/GREEN rows)')
      .requiredOption('--out <file>', 'file to write')
      .option('--csv', 'CSV (default): kind,value,label,country,first_seen after a # TLP line')
      .option('--stix', 'a signed STIX 2.1 package instead (needs --key)')
      .option('--key <file>', 'private key for --stix (JWK from `darkpatrol keys generate`)')
      .option('--tlp <level>', `marking (${TLP_LEVELS.join(', ')}); raised to the strictest marking of the data`, 'AMBER')
      .option('--top <n>', 'financial: how many top targets', '50')
      .option('--since <date>', 'postal: only listings observed since this date (YYYY-MM-DD; default: all)')
      .option('--force', 'overwrite --out')
      .option('--json', 'machine-readable summary')
      .action(async (o: Opts, cmd: Command) => {
        const cc = o.partnerCountry.toUpperCase();
        if (!/^[A-Z]{2}$/.test(cc)) throw new UserError(`--partner-country "${o.partnerCountry}" must be a two-letter ISO country code`);
        if (o.csv && o.stix) throw new UserError('give --csv or --stix, not both');
        const requested = o.tlp.toUpperCase();
        if (!isTlp(requested)) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
        const top = Number(o.top);
        if (!Number.isInteger(top) || top < 1 || top > 200) throw new UserError('--top must be an integer from 1 to 200');
        const since = o.since === undefined ? new Date(0) : new Date(`${o.since}T00:00:00Z`);
        if (Number.isNaN(since.getTime()) || (o.since !== undefined && !/^\d{4}-\d\d-\d\d$/.test(o.since))) throw new UserError(`--since "${o.since}" must be a date like 2026-01-31`);
        if (existsSync(o.out) && !o.force) throw new UserError(`${o.out} exists; use --force to overwrite`);
        if (o.stix && !o.key) throw new UserError('--stix needs --key <private key file>: STIX feeds are signed packages');
        const key = o.stix ? readPrivateKey(o.key!) : undefined;
        await withStore(cmd, async (store) => {
          const agency = await store.db.selectFrom('agencies').select(['id', 'code', 'name', 'contact_point']).where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
          if (!agency) throw new UserError(`no agency ${o.agency}`);
          if (key && key.agencyId !== agency.code) throw new UserError(`the key speaks for ${key.agencyId}, not ${agency.code}`);
          // The agency's own export: its own rows and others' CLEAR/GREEN rows, marked as strictly as they require.
          const scope: FeedScope = { kind: 'agency', agencyId: agency.id };
          const viewer: Principal = { kind: 'token', userId: null, agencyId: agency.id, agencyCode: agency.code, role: 'analyst', actor: 'cli', username: 'cli', scopes: [] };
          const feedData = kind === 'postal' ? await postalFeed(store.db, cc, since, scope) : await financialFeed(store.db, viewer, top, scope);
          const data = { ...feedData, vendors: feedData.entries.filter((e) => e.kind === 'vendor_handle').length };
          const tlp: Tlp = strictestTlp(requested as Tlp, data.tlp);
          let format: 'csv' | 'stix' = 'csv';
          if (o.stix) {
            format = 'stix';
            const built = buildFeedPackage({
              producer: { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) },
              id: `${kind}-${cc.toLowerCase()}`,
              name: `${kind === 'postal' ? 'Postal/courier' : 'Financial'} feed for ${cc}`,
              description: ABOUT[kind],
              tlp,
              entries: data.entries,
            });
            const v = validateBundle(built.bundle);
            if (!v.valid) throw new UserError(`the feed bundle does not validate against the OASIS schemas; nothing written:\n  ${v.errors.slice(0, 10).join('\n  ')}`);
            writeFileSync(o.out, `${JSON.stringify(signPackage(built, key!), null, 2)}\n`, { mode: 0o600 });
          } else {
            writeFileSync(o.out, feedCsv({ tlp, entries: data.entries }), { mode: 0o600 });
          }
          await appendAudit(store.db, {
            agencyId: agency.id,
            userId: null,
            actor: 'cli',
            action: 'feed.export',
            objectType: 'feed',
            objectId: `${kind}:${cc}`,
            detail: { format, tlp, entries: data.entries.length, vendors: data.vendors, file: o.out },
          });
          const summary = { feed: kind, partnerCountry: cc, format, tlp, entries: data.entries.length, vendors: data.vendors, file: o.out };
          emit(o.json ?? false, summary, () => `wrote ${o.out}: ${kind} feed for ${cc} as ${format.toUpperCase()}, TLP:${tlp}, ${summary.entries} entries${kind === 'postal' ? ` (${summary.vendors} vendor(s))` : ''}${tlp !== requested ? ` (raised from ${requested} to the data's marking)` : ''}`);
        });
      });
  }
}
