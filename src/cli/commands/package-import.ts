import path from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { isTlp, strictestTlp, TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { EvidenceRecorder, resolveEvidenceDir } from '../../evidence/index.ts';
import { importBundle, PackageVerificationError, readThirdParty, StixImportError, storeThirdParty, ThirdPartyImportError } from '../../exchange/index.ts';
import type { ImportResult } from '../../exchange/index.ts';
import { appendAudit } from '../../store/index.ts';
import type { Database } from '../../store/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { readJsonFile, readTrustedKeys } from '../keyfile.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';

interface Opts { trust: string[]; agency: string; keyAgency?: string; evidenceDir?: string; json?: boolean; unsigned?: boolean; source?: string; tlp?: string }

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64) || 'partner';

/**
 * Stores what DarkPatrol models from a verified package: its selectors (with a sighting that carries the package's
 * TLP and points at the preserved package file) and its accounts (on a source named like the package's). Every
 * marking stays on what it marked; the whole package is kept verbatim as evidence.
 */
async function store(db: Kysely<Database>, agencyId: number, r: ImportResult, captureId: number): Promise<{ selectors: number; accounts: number }> {
  const packageTlp: Tlp = r.tlp ?? r.manifest?.tlp ?? 'AMBER';
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    for (const s of r.selectors) {
      const tlp = strictestTlp(packageTlp, s.tlp ?? packageTlp);
      const row = await trx
        .insertInto('selectors')
        .values({ agency_id: agencyId, tlp, kind: s.kind, value: s.value, meta: JSON.stringify({ source: 'stix-package', bundleId: r.bundleId, signer: r.signer?.agencyId ?? null, stixIds: s.stixIds.slice(0, 20) }) })
        .onConflict((oc) => oc.columns(['agency_id', 'kind', 'value']).doUpdateSet({ kind: (eb) => eb.ref('excluded.kind') }))
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('selector_sightings')
        .values({ agency_id: agencyId, tlp, selector_id: row.id, vendor_id: null, source: 'import', capture_id: captureId, observed_at: now })
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
    for (const a of r.accounts) {
      const tlp = strictestTlp(packageTlp, a.tlp ?? packageTlp);
      const marketSlug = slug(a.source.name);
      const market =
        (await trx.selectFrom('markets').select('id').where('agency_id', '=', agencyId).where('slug', '=', marketSlug).executeTakeFirst()) ??
        (await trx
          .insertInto('markets')
          .values({ agency_id: agencyId, tlp, slug: marketSlug, name: a.source.name.slice(0, 300), kind: a.source.kind ?? 'scrape' })
          .returning('id')
          .executeTakeFirstOrThrow());
      const handle = a.handle.slice(0, 200);
      await trx
        .insertInto('vendors')
        .values({
          agency_id: agencyId,
          tlp,
          market_id: market.id,
          handle,
          handle_norm: handle.normalize('NFKC').trim().toLowerCase(),
          first_seen: a.firstSeen ?? now,
          last_seen: a.lastSeen ?? now,
          capture_id: captureId,
          adapter: 'import:stix',
        })
        .onConflict((oc) => oc.columns(['market_id', 'handle_norm']).doNothing())
        .execute();
    }
    return { selectors: r.selectors.length, accounts: r.accounts.length };
  });
}

/** Unverified third-party intelligence: its own table and audit action, never mixed with verified packages. */
async function importUnsigned(file: string, o: Opts, cmd: Command): Promise<void> {
  if (o.trust.length) throw new UserError('--unsigned takes no --trust: nothing is verified');
  if (!o.source || !o.tlp) throw new UserError('--unsigned needs --source (where it comes from) and --tlp (its marking)');
  const tlp = o.tlp.toUpperCase();
  if (!isTlp(tlp)) throw new UserError(`--tlp must be one of ${TLP_LEVELS.join(', ')}`);
  const { text } = readJsonFile(file, 'STIX bundle');
  await withStore(cmd, async (st) => {
    const agency = await st.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
    if (!agency) throw new UserError(`no agency ${o.agency}`);
    let read;
    try {
      read = readThirdParty(text, { tlp });
    } catch (e) {
      if (e instanceof ThirdPartyImportError) {
        await appendAudit(st.db, { agencyId: agency.id, userId: null, actor: 'cli', action: 'intel.import.rejected', objectType: 'file', objectId: path.basename(file), detail: { code: e.code, reason: e.message.slice(0, 500), source: o.source } });
        throw new UserError(`${file} rejected (${e.code}): ${e.message}`);
      }
      throw e;
    }
    const stored = await storeThirdParty(st.db, { agencyId: agency.id, source: o.source!, via: 'file', read });
    await appendAudit(st.db, { agencyId: agency.id, userId: null, actor: 'cli', action: 'intel.import', objectType: 'intel_import', objectId: String(stored.id), detail: { source: o.source, tlp: stored.tlp, objects: stored.objects, sha256: read.sha256 } });
    emit(o.json ?? false, { ...stored, verified: false, source: o.source, warnings: read.result.warnings }, () =>
      [`imported ${file} as UNVERIFIED third-party intelligence ${stored.id} from ${o.source}: TLP:${stored.tlp}; ${stored.objects} objects, ${stored.selectors} selector(s), ${stored.accounts} account(s) (not merged into the agency's selectors)`, ...read.result.warnings.slice(0, 10).map((w) => `warning: ${w}`)].join('\n'),
    );
  });
}

export function register(program: Command): void {
  const pkg = commandGroup(program, 'package', 'signed STIX 2.1 intelligence packages: export, verify, import, seized-data split');

  pkg
    .command('import <file>')
    .description('import a partner\'s signed package: verify the signature against --trust keys, keep its TLP markings, store its selectors and accounts, preserve the file as evidence; a tampered or unsigned package is refused (exit code 2)')
    .option('--trust <file...>', 'public key file(s) of the producing agency (JWK, or PEM with --key-agency)', [])
    .option('--key-agency <code>', 'the agency a PEM public key belongs to')
    .requiredOption('--agency <code>', 'the importing agency (owner of the stored rows)')
    .option('--evidence-dir <dir>', 'WARC directory for the preserved package')
    .option('--unsigned', 'import unsigned third-party STIX (MISP, OpenCTI, …) as unverified intelligence, kept apart from verified packages; needs --source and --tlp')
    .option('--source <text>', 'with --unsigned: where the bundle comes from (recorded with it)')
    .option('--tlp <level>', 'with --unsigned: its marking (raised to the objects\' own strictest marking)')
    .option('--json', 'machine-readable summary')
    .action(async (file: string, o: Opts, cmd: Command) => {
      if (o.unsigned) return importUnsigned(file, o, cmd);
      if (o.source || o.tlp) throw new UserError('--source and --tlp go with --unsigned; a signed package keeps its own marking');
      const trusted = readTrustedKeys(o.trust, o.keyAgency?.toUpperCase());
      const { text } = readJsonFile(file, 'package');
      await withStore(cmd, async (st) => {
        const agency = await st.db.selectFrom('agencies').select('id').where('code', '=', o.agency.toUpperCase()).executeTakeFirst();
        if (!agency) throw new UserError(`no agency ${o.agency}`);
        let result: ImportResult;
        try {
          result = importBundle(text, { trustedKeys: trusted });
        } catch (e) {
          if (e instanceof PackageVerificationError || e instanceof StixImportError) {
            await appendAudit(st.db, { agencyId: agency.id, userId: null, actor: 'cli', action: 'package.import.rejected', objectType: 'file', objectId: path.basename(file), detail: { code: e.code, reason: e.message } });
            throw new UserError(`${file} rejected (${e.code}): ${e.message}`);
          }
          throw e;
        }
        const recorder = new EvidenceRecorder(st.db, { dir: resolveEvidenceDir(o.evidenceDir), info: { import: 'stix-package' } });
        let captureId: number;
        try {
          const tlp: Tlp = result.tlp ?? result.manifest?.tlp ?? 'AMBER';
          captureId = (await recorder.recordFile(file, { agencyId: agency.id, tlp, marketId: null, targetUri: `file:///${encodeURIComponent(path.basename(file))}`, contentType: 'application/json' })).captureId;
        } finally {
          await recorder.close();
        }
        const stored = await store(st.db, agency.id, result, captureId);
        const summary = {
          file,
          bundleId: result.bundleId,
          signer: result.signer,
          tlp: result.tlp ?? null,
          markings: result.markings.map((m) => m.tlp ?? m.name ?? m.id),
          objects: result.objects.length,
          storedSelectors: stored.selectors,
          storedAccounts: stored.accounts,
          captureId,
          warnings: result.warnings,
        };
        await appendAudit(st.db, { agencyId: agency.id, userId: null, actor: 'cli', action: 'package.import', objectType: 'capture', objectId: String(captureId), detail: { bundleId: result.bundleId, signer: result.signer ?? null, tlp: summary.tlp, objects: summary.objects, selectors: stored.selectors, accounts: stored.accounts } });
        emit(o.json ?? false, summary, () =>
          [
            `imported ${file}: bundle ${result.bundleId} signed by ${result.signer?.agencyId} (${result.signer?.keyId}), signature and manifest verified`,
            `TLP:${summary.tlp ?? 'none'}; ${summary.objects} objects; stored ${stored.selectors} selector(s) and ${stored.accounts} account(s); package preserved as capture ${captureId}`,
            ...result.warnings.slice(0, 10).map((w) => `warning: ${w}`),
          ].join('\n'),
        );
      });
    });
}
