import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { isTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { buildPackage, MISP_STIX_TOOL_LABEL, mispView, PackageInputError, signPackage, subjectPackageInput, SubjectNotFoundError, validateBundle } from '../../exchange/index.ts';
import type { SubjectKind } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { readPrivateKey } from '../keyfile.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';

interface Opts { identity?: string; vendor?: string; case?: string; key: string; out: string; misp?: string; tlp?: string; force?: boolean; json?: boolean }

export function register(program: Command): void {
  const pkg = commandGroup(program, 'package', 'signed STIX 2.1 intelligence packages: export, verify, import, seized-data split');

  pkg
    .command('export')
    .description('export a vendor, identity or case as a STIX 2.1 bundle with a signed manifest; the bundle is validated against the OASIS schemas before anything is written')
    .option('--identity <id>', 'an identity (cluster of accounts)')
    .option('--vendor <id>', 'one vendor account')
    .option('--case <id>', 'a case of the key\'s agency (its registered selectors)')
    .requiredOption('--key <file>', 'the agency\'s private key (JWK from `darkpatrol keys generate`); its agency is the producer')
    .requiredOption('--out <file>', 'where to write the signed package (JSON)')
    .option('--misp <file>', 'also write the MISP view: the same selectors as MISP attributes and objects misp-stix imports (unsigned; docs/exchange.md)')
    .option('--tlp <level>', `mark at least this strictly (${TLP_LEVELS.join(', ')}); never lowers the data's own marking`)
    .option('--force', 'overwrite --out if it exists')
    .option('--json', 'machine-readable output')
    .action(async (o: Opts, cmd: Command) => {
      const chosen = (['identity', 'vendor', 'case'] as const).filter((k) => o[k] !== undefined);
      if (chosen.length !== 1) throw new UserError('give exactly one of --identity <id>, --vendor <id>, --case <id>');
      const kind: SubjectKind = chosen[0]!;
      const raw = o[kind]!;
      if (!/^\d+$/.test(raw)) throw new UserError(`--${kind} must be a numeric id, got "${raw}"`);
      if (o.tlp !== undefined && !isTlp(o.tlp.toUpperCase())) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
      if (existsSync(o.out) && !o.force) throw new UserError(`${o.out} exists; use --force to overwrite`);
      if (o.misp !== undefined && existsSync(o.misp) && !o.force) throw new UserError(`${o.misp} exists; use --force to overwrite`);
      if (o.misp !== undefined && o.misp === o.out) throw new UserError('--misp must name a different file than --out');
      const key = readPrivateKey(o.key);
      await withStore(cmd, async (store) => {
        const agency = await store.db.selectFrom('agencies').select(['id', 'code']).where('code', '=', key.agencyId).executeTakeFirst();
        if (!agency) throw new UserError(`the key speaks for agency ${key.agencyId}, which is not in this database (darkpatrol agency add)`);
        let built;
        let omitted: string[];
        try {
          const subject = await subjectPackageInput(store.db, { agencyId: agency.id, kind, id: Number(raw), ...(o.tlp ? { tlp: o.tlp.toUpperCase() as Tlp } : {}) });
          omitted = subject.omitted;
          built = buildPackage(subject.input);
        } catch (e) {
          if (e instanceof SubjectNotFoundError || e instanceof PackageInputError) throw new UserError(e.message);
          throw e;
        }
        const validation = validateBundle(built.bundle);
        if (!validation.valid) {
          throw new UserError(`the bundle does not validate against the OASIS STIX 2.1 schemas; nothing written:\n  ${validation.errors.slice(0, 20).join('\n  ')}`);
        }
        const misp = o.misp !== undefined ? mispView(built.bundle) : undefined;
        if (misp) {
          const v = validateBundle(misp.bundle);
          if (!v.valid) throw new UserError(`the MISP view does not validate against the OASIS STIX 2.1 schemas; nothing written:\n  ${v.errors.slice(0, 20).join('\n  ')}`);
        }
        const signed = signPackage(built, key);
        writeFileSync(o.out, `${JSON.stringify(signed, null, 2)}\n`, { mode: 0o600 });
        if (misp) writeFileSync(o.misp!, `${JSON.stringify(misp.bundle, null, 2)}\n`, { mode: 0o600 });
        await appendAudit(store.db, {
          agencyId: agency.id,
          userId: null,
          actor: 'cli',
          action: 'package.export',
          objectType: kind,
          objectId: raw,
          detail: { bundleId: built.bundle.id, tlp: built.manifest.tlp, objects: built.bundle.objects.length, keyId: key.keyId, file: o.out, ...(misp ? { misp: { file: o.misp, bundleId: misp.bundle.id } } : {}) },
        });
        const summary = { file: o.out, subject: { kind, id: Number(raw) }, bundleId: built.bundle.id, tlp: built.manifest.tlp, objects: built.bundle.objects.length, evidence: built.manifest.evidence.length, keyId: key.keyId, valid: true, omitted,
          ...(misp ? { misp: { file: o.misp!, bundleId: misp.bundle.id, attributes: misp.attributes, objects: misp.objects, persons: misp.persons, selectors: misp.selectors, omitted: misp.omitted } } : {}) };
        emit(o.json ?? false, summary, () =>
          [
            `wrote ${o.out}: ${kind} ${raw} as STIX 2.1 bundle ${built.bundle.id} (${summary.objects} objects, TLP:${summary.tlp}, ${summary.evidence} evidence digests)`,
            `validated against the OASIS schemas; manifest signed with ${key.keyId} (${key.agencyId})`,
            ...omitted.map((m) => `left out: ${m}`),
            ...(misp
              ? [
                  `wrote ${o.misp}: MISP view (${misp.attributes} attributes, ${misp.objects} objects, ${misp.persons} persons; grouping labelled ${MISP_STIX_TOOL_LABEL})`,
                  ...misp.omitted.map((m) => `not in the MISP view: ${m}`),
                ]
              : []),
          ].join('\n'),
        );
      });
    });
}
