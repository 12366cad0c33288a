/**
 * Unsigned STIX from third parties — a MISP or OpenCTI export, an OASIS example, a TAXII collection pulled from a
 * partner — read as unverified intelligence. It goes through the same hostile-input checks as a signed package
 * (bounds, ids, timestamps, semantics, the STIX pattern grammar), is marked with a TLP the importer chooses (raised to
 * the strictest marking the objects carry, never lowered), records where it came from, and is stored apart from
 * verified packages (intel_imports, not exchange_imports); nothing in it is merged into the agency's own selectors.
 * A DarkPatrol signed package is refused here: it has its own, verifying, import.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Kysely } from 'kysely';
import { strictestTlp } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database } from '../../store/index.ts';
import { canonicalBytes } from '../jcs.ts';
import { importBundle, StixImportError } from '../stix/import.ts';
import type { ImportResult } from '../stix/import.ts';
import { taxiiDb } from '../taxii/schema.ts';

export type ThirdPartyVia = 'file' | 'api' | 'taxii';

export interface ThirdPartyRead {
  result: ImportResult;
  /** The chosen TLP raised to the strictest marking in the bundle. */
  tlp: Tlp;
  /** SHA-256 of the canonical JSON of what was read. */
  sha256: string;
}

export class ThirdPartyImportError extends Error {
  constructor(
    readonly code: 'signed_package' | StixImportError['code'],
    message: string,
    readonly issues: { code: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ThirdPartyImportError';
  }
}

export function readThirdParty(input: unknown, o: { tlp: Tlp; maxBytes?: number }): ThirdPartyRead {
  let result: ImportResult;
  try {
    result = importBundle(input, { requireSignature: false, ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) });
  } catch (e) {
    if (e instanceof StixImportError) throw new ThirdPartyImportError(e.code, e.message, e.issues);
    throw e;
  }
  // importBundle reads a signed package without keys only with this warning: such a package has its own import.
  if (result.warnings.some((w) => w.startsWith('signed package read without trusted keys'))) {
    throw new ThirdPartyImportError('signed_package', 'this is a DarkPatrol signed package: import it with its signature checked (package import), not as third-party intelligence');
  }
  const tlp = result.tlp ? strictestTlp(o.tlp, result.tlp) : o.tlp;
  const digest = bytesToHex(sha256(canonicalBytes({ bundleId: result.bundleId, objects: result.objects })));
  return { result, tlp, sha256: digest };
}

export interface StoredThirdParty {
  id: number;
  tlp: Tlp;
  objects: number;
  selectors: number;
  accounts: number;
}

/** Store what was read, owned by the importing agency, with its source. */
export async function storeThirdParty(
  db: Kysely<Database>,
  o: { agencyId: number; source: string; via: ThirdPartyVia; read: ThirdPartyRead; userId?: number | null },
): Promise<StoredThirdParty> {
  const r = o.read.result;
  const summary = {
    objects: r.objects.length,
    selectors: r.selectors.map((s) => ({ kind: s.kind, value: s.value, tlp: s.tlp ?? null })).slice(0, 10_000),
    accounts: r.accounts.map((a) => ({ handle: a.handle, source: a.source.name, tlp: a.tlp ?? null })).slice(0, 10_000),
    warnings: r.warnings.slice(0, 50),
    verified: false,
  };
  const row = await taxiiDb(db)
    .insertInto('intel_imports')
    .values({
      agency_id: o.agencyId,
      tlp: o.read.tlp,
      source: o.source.slice(0, 2000),
      via: o.via,
      bundle_id: r.bundleId || '(single object)',
      sha256: o.read.sha256,
      objects: JSON.stringify(r.objects),
      markings: JSON.stringify(r.markings.map((m) => ({ id: m.id, tlp: m.tlp ?? null, official: m.official ?? null, name: m.name ?? null }))),
      summary: JSON.stringify(summary),
      imported_by: o.userId ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, tlp: o.read.tlp, objects: r.objects.length, selectors: r.selectors.length, accounts: r.accounts.length };
}
