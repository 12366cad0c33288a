import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { isTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { buildSplitIndex, findMarket, PackageInputError, SeizedSplitError, signPackage, signSplitIndex, splitSeizedMarket, validateBundle } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { readPrivateKey } from '../keyfile.ts';
import { emit, table } from '../output.ts';
import { withStore } from '../store-options.ts';

interface Opts { market: string; out: string; key: string; tlp: string; json?: boolean }

export function register(program: Command): void {
  const pkg = commandGroup(program, 'package', 'signed STIX 2.1 intelligence packages: export, verify, import, seized-data split');

  pkg
    .command('split-seized')
    .description('split an imported seized market into one signed STIX package per country (buyers shipping to it, vendors shipping from it, their orders, selectors and messages) plus a signed index.json')
    .requiredOption('--market <id or name>', 'the seized market (id, slug or name), as imported with `darkpatrol import dump`')
    .requiredOption('--out <dir>', 'empty or new directory for <CC>.json packages and index.json')
    .requiredOption('--key <file>', 'the agency\'s private key (JWK from `darkpatrol keys generate`)')
    .option('--tlp <level>', `marking of every package (${TLP_LEVELS.join(', ')})`, 'AMBER')
    .option('--json', 'machine-readable summary')
    .action(async (o: Opts, cmd: Command) => {
      const tlp = o.tlp.toUpperCase();
      if (!isTlp(tlp)) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
      if (existsSync(o.out) && readdirSync(o.out).length > 0) throw new UserError(`${o.out} is not empty; give a new or empty directory`);
      const key = readPrivateKey(o.key);
      await withStore(cmd, async (store) => {
        const agency = await store.db.selectFrom('agencies').select(['id', 'code', 'name', 'contact_point']).where('code', '=', key.agencyId).executeTakeFirst();
        if (!agency) throw new UserError(`the key speaks for agency ${key.agencyId}, which is not in this database (darkpatrol agency add)`);
        const producer = { agencyId: agency.code, name: agency.name, ...(agency.contact_point ? { contact: agency.contact_point } : {}) };
        let split;
        try {
          const market = await findMarket(store.db, o.market, agency.id);
          split = await splitSeizedMarket(store.db, market.id, { producer, tlp: tlp as Tlp });
        } catch (e) {
          if (e instanceof SeizedSplitError || e instanceof PackageInputError) throw new UserError(e.message);
          throw e;
        }
        const invalid = split.packages.flatMap((p) => validateBundle(p.bundle).errors.slice(0, 5).map((err) => `${p.country}: ${err}`));
        if (invalid.length) throw new UserError(`packages do not validate against the OASIS STIX 2.1 schemas; nothing written:\n  ${invalid.slice(0, 20).join('\n  ')}`);
        mkdirSync(o.out, { recursive: true, mode: 0o700 });
        const files = new Map<string, { file: string; sha256: string }>();
        for (const p of split.packages) {
          const text = `${JSON.stringify(signPackage({ bundle: p.bundle, manifest: p.manifest }, key), null, 2)}\n`;
          const file = `${p.country}.json`;
          writeFileSync(path.join(o.out, file), text, { mode: 0o600, flag: 'wx' });
          files.set(p.country, { file, sha256: createHash('sha256').update(text).digest('hex') });
        }
        const index = signSplitIndex(buildSplitIndex(split, producer, files), key);
        writeFileSync(path.join(o.out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        await appendAudit(store.db, {
          agencyId: agency.id,
          userId: null,
          actor: 'cli',
          action: 'package.split_seized',
          objectType: 'market',
          objectId: String(split.market.id),
          detail: { countries: split.packages.map((p) => p.country), tlp, keyId: key.keyId, out: o.out, unplaced: split.unplaced },
        });
        emit(o.json ?? false, { out: o.out, index: path.join(o.out, 'index.json'), market: split.market, tlp, packages: index.index.packages, unplaced: split.unplaced, warnings: split.warnings }, () =>
          [
            `split ${split.market.name} into ${split.packages.length} signed packages in ${o.out} (TLP:${tlp}, key ${key.keyId}):`,
            table(['country', 'file', 'buyers', 'vendors', 'orders', 'messages', 'selectors'], index.index.packages.map((p) => [p.country, p.file, p.buyers, p.vendors, p.orders, p.messages, p.selectors])),
            `not in any package: ${split.unplaced.buyers} buyer(s) without orders, ${split.unplaced.vendors} vendor(s) without ships-from, ${split.unplaced.orders} order(s) without a buyer country`,
            `index: ${path.join(o.out, 'index.json')} (signed; check everything with \`darkpatrol package verify ${path.join(o.out, 'index.json')} --trust <public key>\`)`,
            ...split.warnings.slice(0, 10).map((w) => `warning: ${w}`),
          ].join('\n'),
        );
      });
    });
}
