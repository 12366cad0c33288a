import type { Kysely } from 'kysely';
import type { Tlp } from '../../domain/tlp.ts';
import type { Database } from '../../store/index.ts';
import { buildPackage } from '../stix/build.ts';
import { validateBundle } from '../stix/validate.ts';
import { subjectPackageInput } from '../subjects/subject.ts';
import type { SubjectKind } from '../subjects/subject.ts';
import type { CollectionRow } from './collections.ts';
import { addObjects } from './objects.ts';
import type { TaxiiStatus } from './protocol.ts';

export class PublishError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PublishError';
  }
}

/**
 * Publish a vendor, identity or case into one of the agency's collections: the same STIX the signed package
 * export builds (from the agency's own view, marked at least as strictly as its rows), added object by object.
 * SDO ids are stable per agency and subject, so a re-publication adds a new version of each SDO (SCOs, which carry
 * no timestamp, are stored once).
 */
export async function publishSubject(
  db: Kysely<Database>,
  collection: CollectionRow,
  o: { agencyId: number; kind: SubjectKind; id: number; tlp?: Tlp },
): Promise<{ status: TaxiiStatus; omitted: string[]; tlp: Tlp }> {
  if (collection.agency_id !== o.agencyId) throw new PublishError('only the owning agency publishes into a collection');
  const { input, omitted } = await subjectPackageInput(db, { agencyId: o.agencyId, kind: o.kind, id: o.id, ...(o.tlp ? { tlp: o.tlp } : {}) });
  const { bundle, manifest } = buildPackage(input);
  const v = validateBundle(bundle);
  if (!v.valid) throw new PublishError(`the ${o.kind}'s bundle does not validate: ${v.errors.slice(0, 3).join('; ')}`);
  const status = await addObjects(db, { collection, objects: bundle.objects, source: `publish:${o.kind}-${o.id}:${bundle.id}`, defaultTlp: manifest.tlp });
  return { status, omitted, tlp: manifest.tlp };
}
