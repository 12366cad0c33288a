/**
 * Signed packages: an Ed25519 signature over the RFC 8785 canonical JSON of the manifest, which in turn pins the
 * bundle (SHA-256 of its canonical JSON), its object ids and the evidence digests. Verification answers with a
 * typed error for every way a package can be wrong.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { z } from 'zod';
import { TLP_LEVELS } from '../../domain/tlp.ts';
import { canonicalBytes } from '../jcs.ts';
import { bundleDigest } from '../stix/build.ts';
import type { PackageManifest } from '../stix/build.ts';
import type { StixBundle } from '../stix/schemas.ts';
import {
  BadSignatureError,
  MalformedPackageError,
  SignerMismatchError,
  TamperedBundleError,
  UnknownSignerError,
} from './errors.ts';
import { keyIdOf } from './keys.ts';
import type { AgencyKeyPair, AgencyPublicKey } from './keys.ts';

export interface ManifestSignature {
  alg: 'Ed25519';
  keyId: string;
  /** base64url of the 64-byte signature. */
  value: string;
}

/** The unit that travels between agencies: one JSON document. */
export interface SignedPackage {
  format: 'darkpatrol-signed-package';
  bundle: StixBundle;
  manifest: PackageManifest;
  signature: ManifestSignature;
}

export interface VerifiedPackage {
  bundle: StixBundle;
  manifest: PackageManifest;
  signer: { keyId: string; agencyId: string };
}

export type TrustedKeys = Iterable<AgencyPublicKey> | ReadonlyMap<string, AgencyPublicKey>;

function keyMap(keys: TrustedKeys): ReadonlyMap<string, AgencyPublicKey> {
  if (keys instanceof Map) return keys as ReadonlyMap<string, AgencyPublicKey>;
  const m = new Map<string, AgencyPublicKey>();
  for (const k of keys as Iterable<AgencyPublicKey>) m.set(keyIdOf(k.publicKey), k);
  return m;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
export const manifestSchema = z.strictObject({
  format: z.literal('darkpatrol-package-manifest'),
  version: z.literal(1),
  producer: z.strictObject({ agencyId: z.string().min(1).max(200), name: z.string().min(1).max(300) }),
  created: z.string().max(40),
  tlp: z.enum(TLP_LEVELS),
  bundleId: z.string().max(300),
  bundleSha256: hex64,
  objectIds: z.array(z.string().max(300)).max(1_000_000),
  evidence: z
    .array(z.strictObject({ captureId: z.string().max(200), sha256: hex64, url: z.string().max(4000), fetchedAt: z.string().max(40) }))
    .max(1_000_000),
});

const signedPackageSchema = z.object({
  format: z.literal('darkpatrol-signed-package'),
  bundle: z.looseObject({ type: z.literal('bundle'), id: z.string(), objects: z.array(z.looseObject({ id: z.string() })) }),
  manifest: z.unknown(),
  signature: z.strictObject({ alg: z.literal('Ed25519'), keyId: z.string().max(100), value: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
});

/** Sign a built package. Refuses a manifest that does not describe the bundle, or a key of another agency. */
export function signPackage(pkg: { bundle: StixBundle; manifest: PackageManifest }, key: AgencyKeyPair): SignedPackage {
  const { bundle, manifest } = pkg;
  if (manifest.producer.agencyId !== key.agencyId) throw new SignerMismatchError(key.agencyId, manifest.producer.agencyId);
  checkBundle(bundle, manifest);
  const sig = ed25519.sign(canonicalBytes(manifest), key.secretKey);
  return {
    format: 'darkpatrol-signed-package',
    bundle,
    manifest,
    signature: { alg: 'Ed25519', keyId: key.keyId, value: Buffer.from(sig).toString('base64url') },
  };
}

function checkBundle(bundle: StixBundle, manifest: PackageManifest): void {
  if (bundle.id !== manifest.bundleId) throw new TamperedBundleError(`bundle id ${bundle.id} is not ${manifest.bundleId}`);
  const ids = bundle.objects.map((o) => o.id).sort();
  const listed = [...manifest.objectIds].sort();
  if (ids.length !== listed.length || ids.some((id, i) => id !== listed[i])) {
    const missing = listed.filter((id) => !ids.includes(id));
    const extra = ids.filter((id) => !listed.includes(id));
    throw new TamperedBundleError(
      `object ids differ (${missing.length} missing, ${extra.length} not in the manifest${extra[0] ? `, e.g. ${extra[0]}` : missing[0] ? `, e.g. missing ${missing[0]}` : ''})`,
    );
  }
  let digest: string;
  try {
    digest = bundleDigest(bundle);
  } catch (e) {
    throw new MalformedPackageError(`bundle has no canonical JSON form: ${(e as Error).message}`);
  }
  if (digest !== manifest.bundleSha256) throw new TamperedBundleError(`SHA-256 ${digest} is not the signed ${manifest.bundleSha256}`);
}

/**
 * Verify a signed package against the keys this installation trusts. Order matters for the answer a caller
 * gets: shape, then signer, then signature (the manifest is authentic), then the bundle against the manifest.
 */
export function verifyPackage(input: unknown, trustedKeys: TrustedKeys): VerifiedPackage {
  const parsed = signedPackageSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new MalformedPackageError(`not a signed package: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : ''}`);
  }
  const manifestParsed = manifestSchema.safeParse(parsed.data.manifest);
  if (!manifestParsed.success) {
    const i = manifestParsed.error.issues[0];
    throw new MalformedPackageError(`malformed manifest: ${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : ''}`);
  }
  const manifest = manifestParsed.data as PackageManifest;
  const { signature } = parsed.data;
  const key = keyMap(trustedKeys).get(signature.keyId);
  if (!key) throw new UnknownSignerError(signature.keyId);
  if (key.agencyId !== manifest.producer.agencyId) throw new SignerMismatchError(key.agencyId, manifest.producer.agencyId);
  let ok = false;
  try {
    // The manifest as received (not the parsed copy), so any extra or changed member breaks the signature.
    ok = ed25519.verify(new Uint8Array(Buffer.from(signature.value, 'base64url')), canonicalBytes(parsed.data.manifest), key.publicKey);
  } catch {
    ok = false;
  }
  if (!ok) throw new BadSignatureError();
  const bundle = parsed.data.bundle as unknown as StixBundle;
  checkBundle(bundle, manifest);
  return { bundle, manifest, signer: { keyId: key.keyId, agencyId: key.agencyId } };
}
