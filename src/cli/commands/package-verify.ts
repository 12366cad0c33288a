import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { PackageVerificationError, validateBundle, verifyPackage, verifySplitIndex } from '../../exchange/index.ts';
import type { AgencyPublicKey } from '../../exchange/index.ts';
import { UserError } from '../errors.ts';
import { commandGroup } from '../group.ts';
import { readJsonFile, readTrustedKeys } from '../keyfile.ts';
import { emit } from '../output.ts';

interface Report {
  file: string;
  kind?: 'index';
  valid: boolean;
  code?: string;
  reason?: string;
  signer?: { keyId: string; agencyId: string };
  bundleId?: string;
  tlp?: string;
  objects?: number;
  evidence?: number;
  schemaErrors?: string[];
}

/** Verifies one signed package file: signature, manifest against bundle, then the OASIS schemas. */
export function verifyPackageFile(file: string, trusted: AgencyPublicKey[]): Report {
  const { json } = readJsonFile(file, 'package');
  try {
    const v = verifyPackage(json, trusted);
    const schema = validateBundle(v.bundle);
    return {
      file,
      valid: schema.valid,
      ...(schema.valid ? {} : { code: 'schema_invalid', reason: `bundle does not validate against the OASIS STIX 2.1 schemas: ${schema.errors[0] ?? ''}` }),
      signer: v.signer,
      bundleId: v.bundle.id,
      tlp: v.manifest.tlp,
      objects: v.bundle.objects.length,
      evidence: v.manifest.evidence.length,
      ...(schema.valid ? {} : { schemaErrors: schema.errors.slice(0, 20) }),
    };
  } catch (e) {
    if (e instanceof PackageVerificationError) return { file, valid: false, code: e.code, reason: e.message };
    throw e;
  }
}

function human(r: Report): string {
  if (!r.valid) return `${r.file}: REJECTED (${r.code}): ${r.reason}`;
  if (r.kind === 'index') return `${r.file}: OK — split index signed by ${r.signer!.agencyId} with ${r.signer!.keyId}; lists ${r.objects} packages (TLP:${r.tlp})`;
  return `${r.file}: OK — signed by ${r.signer!.agencyId} with ${r.signer!.keyId}; bundle ${r.bundleId} matches the signed manifest (${r.objects} objects, TLP:${r.tlp}, ${r.evidence} evidence digests); valid STIX 2.1 (OASIS schemas)`;
}

export function register(program: Command): void {
  const pkg = commandGroup(program, 'package', 'signed STIX 2.1 intelligence packages: export, verify, import, seized-data split');

  pkg
    .command('verify <file>')
    .description('check a signed package (or a split index and every package it lists) against trusted public keys; exit code 2 with the precise reason if anything is wrong')
    .option('--trust <file...>', 'public key file(s) of the producing agency (JWK, or PEM with --agency)', [])
    .option('--agency <code>', 'the agency a PEM public key belongs to')
    .option('--json', 'machine-readable report')
    .action((file: string, o: { trust: string[]; agency?: string; json?: boolean }) => {
      const trusted = readTrustedKeys(o.trust, o.agency?.toUpperCase());
      const { json } = readJsonFile(file, 'package');
      let reports: Report[];
      if (typeof json === 'object' && json !== null && (json as { format?: unknown }).format === 'darkpatrol-signed-split-index') {
        reports = verifyIndex(file, json, trusted);
      } else {
        reports = [verifyPackageFile(file, trusted)];
      }
      const bad = reports.filter((r) => !r.valid);
      emit(o.json ?? false, reports.length === 1 ? reports[0] : { file, valid: bad.length === 0, packages: reports }, () => reports.map(human).join('\n'));
      if (bad.length) throw new UserError(bad.length === 1 ? `${bad[0]!.file} rejected: ${bad[0]!.reason}` : `${bad.length} of ${reports.length} files rejected`);
    });
}

function verifyIndex(file: string, json: unknown, trusted: AgencyPublicKey[]): Report[] {
  let index;
  try {
    index = verifySplitIndex(json, trusted);
  } catch (e) {
    if (e instanceof PackageVerificationError) return [{ file, valid: false, code: e.code, reason: `split index: ${e.message}` }];
    throw e;
  }
  const dir = path.dirname(file);
  const reports: Report[] = [{ file, kind: 'index', valid: true, tlp: index.tlp, objects: index.packages.length, signer: { keyId: (json as { signature: { keyId: string } }).signature.keyId, agencyId: index.producer.agencyId } }];
  for (const p of index.packages) {
    const f = path.join(dir, p.file);
    let digest: string;
    try {
      digest = createHash('sha256').update(readFileSync(f)).digest('hex');
    } catch {
      reports.push({ file: f, valid: false, code: 'missing', reason: `listed in the index for ${p.country} but not found` });
      continue;
    }
    if (digest !== p.fileSha256) {
      reports.push({ file: f, valid: false, code: 'file_changed', reason: `SHA-256 ${digest} is not the ${p.fileSha256} the signed index lists for ${p.country}` });
      continue;
    }
    const r = verifyPackageFile(f, trusted);
    if (r.valid && r.bundleId !== p.bundleId) reports.push({ file: f, valid: false, code: 'bundle_mismatch', reason: `bundle ${r.bundleId} is not the ${p.bundleId} the index lists` });
    else reports.push(r);
  }
  return reports;
}
