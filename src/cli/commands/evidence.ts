import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { evidenceChainHead, exportEvidence, exportWacz, resolveEvidenceDir, verifyEvidence } from '../../evidence/index.ts';
import { exportPublicKeyJwk } from '../../exchange/index.ts';
import { readPrivateKey } from '../keyfile.ts';
import { progressBar } from '../../collect/progress.ts';
import { UserError } from '../errors.ts';
import { emit } from '../output.ts';
import { withStore } from '../store-options.ts';

export function register(program: Command): void {
  const ev = program.command('evidence').description('WARC evidence: verify the records and the hash chain, export for a case');
  ev.command('verify')
    .description('re-read every WARC record and the hash-chained log; report any tampering precisely (exit 1 on tampering)')
    .option('--evidence-dir <dir>', 'WARC directory (default .darkpatrol/evidence or $DARKPATROL_EVIDENCE_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (o: { evidenceDir?: string; json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const bar = progressBar('verify', '{bar} {value}/{total} records');
        const report = await verifyEvidence(store.db, { dir: resolveEvidenceDir(o.evidenceDir), onProgress: (d, t) => bar.update(d, t) });
        bar.stop();
        emit(o.json ?? false, report, () =>
          [
            `${report.ok ? 'OK' : 'TAMPERING OR LOSS DETECTED'}: ${report.entries} log entries, ${report.records} records re-read in ${report.files} file(s), chain head ${report.chainHead}`,
            ...report.problems.map((p) => `  ${p.severity.toUpperCase()} ${p.kind}${p.file ? ` ${p.file}` : ''}${p.offset !== undefined ? `@${p.offset}` : ''}${p.recordId ? ` ${p.recordId}` : ''}: ${p.detail}`),
          ].join('\n'),
        );
        if (!report.ok) process.exitCode = 1;
      });
    });
  ev.command('head')
    .description('print the evidence chain head (write it into the case file to anchor the chain)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      await withStore(cmd, async (store) => {
        const h = await evidenceChainHead(store.db);
        emit(o.json ?? false, h, () => `${h.head} (${h.entries} entries)`);
      });
    });
  ev.command('export')
    .description('write the selected captures\' WARC records (byte for byte) and manifest.json to a directory')
    .requiredOption('--out <dir>', 'output directory')
    .option('--case <id>', 'captures attached to this case or crawled for it')
    .option('--market <slug>', 'captures of this market')
    .option('--job <id>', 'captures of this crawl job')
    .option('--since <iso-date>', 'captures fetched at or after this time')
    .option('--evidence-dir <dir>', 'WARC directory')
    .option('--json', 'print the manifest as JSON')
    .action(async (o: { out: string; case?: string; market?: string; job?: string; since?: string; evidenceDir?: string; json?: boolean }, cmd: Command) => {
      const since = o.since === undefined ? undefined : new Date(o.since);
      if (since && Number.isNaN(since.getTime())) throw new UserError(`--since ${JSON.stringify(o.since)} is not a date`);
      await withStore(cmd, async (store) => {
        let marketId: number | undefined;
        if (o.market) {
          const m = await store.db.selectFrom('markets').select('id').where('slug', '=', o.market).execute();
          if (m.length !== 1) throw new UserError(m.length ? `market slug ${o.market} is ambiguous` : `no market ${o.market}`);
          marketId = m[0]!.id;
        }
        const manifest = await exportEvidence(store.db, {
          dir: resolveEvidenceDir(o.evidenceDir),
          outDir: o.out,
          selection: { caseId: o.case === undefined ? undefined : Number(o.case), marketId, jobId: o.job, since },
        }).catch((e: Error) => {
          throw /choose what|no evidence matches/.test(e.message) ? new UserError(e.message) : e;
        });
        emit(o.json ?? false, manifest, () => `exported ${manifest.records.length} records to ${o.out}/${manifest.files[0]?.name} (sha256 ${manifest.files[0]?.sha256}); manifest.json written`);
      });
    });

  ev.command('wacz')
    .description('write the selected captures as a WACZ file (opens in ReplayWeb.page): WARC records byte for byte, CDXJ index, pages, DarkPatrol\'s manifest, datapackage digests, signed with --key')
    .requiredOption('--out <file.wacz>', 'output file (must not exist)')
    .option('--case <id>', 'captures attached to this case or crawled for it')
    .option('--market <slug>', 'captures of this market')
    .option('--job <id>', 'captures of this crawl job')
    .option('--since <iso-date>', 'captures fetched at or after this time')
    .option('--key <file>', 'the agency\'s private key (JWK from `darkpatrol keys generate`): signs the datapackage digest')
    .option('--title <text>', 'title shown by WACZ readers')
    .option('--evidence-dir <dir>', 'WARC directory')
    .option('--json', 'print the result as JSON')
    .action(async (o: { out: string; case?: string; market?: string; job?: string; since?: string; key?: string; title?: string; evidenceDir?: string; json?: boolean }, cmd: Command) => {
      const since = o.since === undefined ? undefined : new Date(o.since);
      if (since && Number.isNaN(since.getTime())) throw new UserError(`--since ${JSON.stringify(o.since)} is not a date`);
      if (existsSync(o.out)) throw new UserError(`${o.out} exists; choose a new file`);
      const key = o.key ? readPrivateKey(o.key) : undefined;
      await withStore(cmd, async (store) => {
        let marketId: number | undefined;
        if (o.market) {
          const m = await store.db.selectFrom('markets').select('id').where('slug', '=', o.market).execute();
          if (m.length !== 1) throw new UserError(m.length ? `market slug ${o.market} is ambiguous` : `no market ${o.market}`);
          marketId = m[0]!.id;
        }
        const result = await exportWacz(store.db, {
          dir: resolveEvidenceDir(o.evidenceDir),
          out: o.out,
          title: o.title,
          selection: { caseId: o.case === undefined ? undefined : Number(o.case), marketId, jobId: o.job, since },
          sign: key ? (message) => ({ keyId: key.keyId, agencyId: key.agencyId, algorithm: 'Ed25519', signature: Buffer.from(ed25519.sign(message, key.secretKey)).toString('base64url'), publicKeyJwk: { ...exportPublicKeyJwk(key) } }) : undefined,
        }).catch((e: Error) => {
          throw /choose what|no evidence matches|ZIP64/.test(e.message) ? new UserError(e.message) : e;
        });
        const { manifest: _m, ...shown } = result;
        emit(o.json ?? false, shown, () => `wrote ${result.file} (${result.bytes} bytes, sha256 ${result.sha256}): ${result.manifest.records.length} records, ${result.indexed} indexed, ${result.pages} pages; datapackage ${result.datapackageHash}${result.signature ? `, signed by ${result.signature.agencyId} (${result.signature.keyId})` : ', unsigned'}`);
      });
    });
}
