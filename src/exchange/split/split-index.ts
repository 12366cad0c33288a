/**
 * The index of a seized-data split: which file holds which country's package, the SHA-256 of each file and of
 * each bundle, what each holds by count, and what no package holds. Signed like a package manifest (Ed25519
 * over the RFC 8785 canonical JSON), so the set of files can be checked as a whole.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { z } from 'zod';
import { TLP_LEVELS } from '../../domain/tlp.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { canonicalBytes } from '../jcs.ts';
import { BadSignatureError, MalformedPackageError, SignerMismatchError, UnknownSignerError } from '../manifest/errors.ts';
import { keyIdOf } from '../manifest/keys.ts';
import type { AgencyKeyPair, AgencyPublicKey } from '../manifest/keys.ts';
import type { ManifestSignature, TrustedKeys } from '../manifest/sign.ts';
import type { SeizedSplit } from './split.ts';

export interface SplitIndexEntry {
  country: string;
  file: string;
  /** SHA-256 (hex) of the file as written. */
  fileSha256: string;
  bundleId: string;
  bundleSha256: string;
  buyers: number;
  vendors: number;
  orders: number;
  messages: number;
  selectors: number;
}

export interface SplitIndex {
  format: 'darkpatrol-seized-split-index';
  version: 1;
  producer: { agencyId: string; name: string };
  created: string;
  tlp: Tlp;
  market: { slug: string; name: string };
  packages: SplitIndexEntry[];
  unplaced: { buyers: number; vendors: number; orders: number };
}

export interface SignedSplitIndex {
  format: 'darkpatrol-signed-split-index';
  index: SplitIndex;
  signature: ManifestSignature;
}

const hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const count = z.number().int().min(0);
const indexSchema = z.strictObject({
  format: z.literal('darkpatrol-seized-split-index'),
  version: z.literal(1),
  producer: z.strictObject({ agencyId: z.string().min(1).max(200), name: z.string().min(1).max(300) }),
  created: z.string().max(40),
  tlp: z.enum(TLP_LEVELS),
  market: z.strictObject({ slug: z.string().max(200), name: z.string().max(300) }),
  packages: z
    .array(
      z.strictObject({
        country: z.string().regex(/^[A-Z]{2}$/),
        file: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
        fileSha256: hex64,
        bundleId: z.string().max(300),
        bundleSha256: hex64,
        buyers: count,
        vendors: count,
        orders: count,
        messages: count,
        selectors: count,
      }),
    )
    .max(1000),
  unplaced: z.strictObject({ buyers: count, vendors: count, orders: count }),
});

export function buildSplitIndex(split: SeizedSplit, producer: { agencyId: string; name: string }, files: ReadonlyMap<string, { file: string; sha256: string }>): SplitIndex {
  return {
    format: 'darkpatrol-seized-split-index',
    version: 1,
    producer: { agencyId: producer.agencyId, name: producer.name },
    created: split.created,
    tlp: split.tlp,
    market: { slug: split.market.slug, name: split.market.name },
    packages: split.packages.map((p) => {
      const f = files.get(p.country);
      if (!f) throw new Error(`no file written for ${p.country}`);
      return {
        country: p.country,
        file: f.file,
        fileSha256: f.sha256,
        bundleId: p.bundle.id,
        bundleSha256: p.manifest.bundleSha256,
        buyers: p.buyers.length,
        vendors: p.vendors.length,
        orders: p.orders,
        messages: p.messages,
        selectors: p.selectors,
      };
    }),
    unplaced: { ...split.unplaced },
  };
}

export function signSplitIndex(index: SplitIndex, key: AgencyKeyPair): SignedSplitIndex {
  if (index.producer.agencyId !== key.agencyId) throw new SignerMismatchError(key.agencyId, index.producer.agencyId);
  const sig = ed25519.sign(canonicalBytes(index), key.secretKey);
  return { format: 'darkpatrol-signed-split-index', index, signature: { alg: 'Ed25519', keyId: key.keyId, value: Buffer.from(sig).toString('base64url') } };
}

/** Checks shape, signer and signature; the caller then compares each file's SHA-256 with the index. */
export function verifySplitIndex(input: unknown, trustedKeys: TrustedKeys): SplitIndex {
  const doc = z
    .object({
      format: z.literal('darkpatrol-signed-split-index'),
      index: z.unknown(),
      signature: z.strictObject({ alg: z.literal('Ed25519'), keyId: z.string().max(100), value: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }),
    })
    .safeParse(input);
  if (!doc.success) throw new MalformedPackageError(`not a signed split index: ${doc.error.issues[0]?.message ?? ''}`);
  const parsed = indexSchema.safeParse(doc.data.index);
  if (!parsed.success) throw new MalformedPackageError(`malformed split index: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  const keys = trustedKeys instanceof Map ? (trustedKeys as ReadonlyMap<string, AgencyPublicKey>) : new Map([...(trustedKeys as Iterable<AgencyPublicKey>)].map((k) => [keyIdOf(k.publicKey), k]));
  const key = keys.get(doc.data.signature.keyId);
  if (!key) throw new UnknownSignerError(doc.data.signature.keyId);
  if (key.agencyId !== parsed.data.producer.agencyId) throw new SignerMismatchError(key.agencyId, parsed.data.producer.agencyId);
  let ok = false;
  try {
    ok = ed25519.verify(new Uint8Array(Buffer.from(doc.data.signature.value, 'base64url')), canonicalBytes(doc.data.index), key.publicKey);
  } catch {
    ok = false;
  }
  if (!ok) throw new BadSignatureError();
  return parsed.data as SplitIndex;
}
