import { describe, expect, it } from 'vitest';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  BadSignatureError,
  buildPackage,
  canonicalBytes,
  exportKeyPairJwk,
  exportKeyPairPem,
  exportPublicKeyJwk,
  generateAgencyKeyPair,
  importJwk,
  importPrivateKeyPem,
  importPublicKeyPem,
  KeyFormatError,
  MalformedPackageError,
  publicPart,
  SignerMismatchError,
  signPackage,
  TamperedBundleError,
  UnknownSignerError,
  verifyPackage,
} from '../../src/exchange/index.ts';
import type { SignedPackage } from '../../src/exchange/index.ts';
import { vendorPackageInput } from './package-fixture.ts';

const nl = generateAgencyKeyPair('nl-politie');
const de = generateAgencyKeyPair('de-bka');
const trusted = [publicPart(nl), publicPart(de)];

function signed(): SignedPackage {
  // A JSON round trip: what a partner receives is text, not our objects.
  return JSON.parse(JSON.stringify(signPackage(buildPackage(vendorPackageInput()), nl))) as SignedPackage;
}

describe('signPackage / verifyPackage', () => {
  it('verifies an untouched package and names the signer', () => {
    const v = verifyPackage(signed(), trusted);
    expect(v.signer).toEqual({ keyId: nl.keyId, agencyId: 'nl-politie' });
    expect(v.manifest.evidence).toHaveLength(2);
  });

  it('rejects a tampered bundle: a changed value, an added object, a removed object', () => {
    const changed = signed();
    const wallet = changed.bundle.objects.find((o) => o.type === 'cryptocurrency-wallet')!;
    wallet.value = 'bc1qattackerattackerattackerattackerattacker';
    expect(() => verifyPackage(changed, trusted)).toThrow(TamperedBundleError);

    const added = signed();
    added.bundle.objects.push({ type: 'email-addr', spec_version: '2.1', id: 'email-addr--6f6e3c0e-27a8-5d5c-9a4b-6d8f2a1b9c01', value: 'x@y.z' });
    expect(() => verifyPackage(added, trusted)).toThrow(/object ids differ/);

    const removed = signed();
    removed.bundle.objects.pop();
    expect(() => verifyPackage(removed, trusted)).toThrow(TamperedBundleError);
  });

  it('rejects a tampered manifest', () => {
    const pkg = signed();
    pkg.manifest.evidence[0]!.sha256 = '00'.repeat(32);
    expect(() => verifyPackage(pkg, trusted)).toThrow(BadSignatureError);
    const extra = signed();
    (extra.manifest as unknown as Record<string, unknown>).note = 'hi';
    expect(() => verifyPackage(extra, trusted)).toThrow(MalformedPackageError);
  });

  it('rejects a signature by another key than the one named', () => {
    const pkg = signed();
    const forged = signPackage(buildPackage(vendorPackageInput({ producer: { agencyId: 'de-bka', name: 'BKA' } })), de);
    pkg.signature.value = forged.signature.value;
    expect(() => verifyPackage(pkg, trusted)).toThrow(BadSignatureError);
  });

  it('rejects an unknown signer and a key used for another agency', () => {
    const stranger = generateAgencyKeyPair('nl-politie');
    const pkg = signPackage(buildPackage(vendorPackageInput()), stranger);
    expect(() => verifyPackage(pkg, trusted)).toThrow(UnknownSignerError);
    // The BKA key is trusted, but only for de-bka.
    const impostor = { ...de, agencyId: 'nl-politie' };
    const claimed = signPackage(buildPackage(vendorPackageInput()), impostor);
    expect(() => verifyPackage(claimed, trusted)).toThrow(SignerMismatchError);
  });

  it('refuses to sign a manifest that does not describe the bundle, or another agency', () => {
    const built = buildPackage(vendorPackageInput());
    built.bundle.objects.pop();
    expect(() => signPackage(built, nl)).toThrow(TamperedBundleError);
    expect(() => signPackage(buildPackage(vendorPackageInput()), de)).toThrow(SignerMismatchError);
  });

  it('rejects malformed packages with a clear message', () => {
    expect(() => verifyPackage(null, trusted)).toThrow(MalformedPackageError);
    const pkg = signed();
    pkg.signature.value = 'short';
    expect(() => verifyPackage(pkg, trusted)).toThrow(/signature\.value/);
  });

  it('signs with a standard Ed25519 signature over the canonical manifest (OpenSSL-compatible)', () => {
    const pkg = signed();
    const { publicKeyPem } = exportKeyPairPem(nl);
    const ok = nodeVerify(null, canonicalBytes(pkg.manifest), createPublicKey(publicKeyPem), Buffer.from(pkg.signature.value, 'base64url'));
    expect(ok).toBe(true);
  });
});

describe('agency keys', () => {
  it('round-trips through JWK, keeping kid and agency', () => {
    const jwk = exportKeyPairJwk(nl);
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: nl.keyId, agency: 'nl-politie' });
    const back = importJwk(JSON.stringify(jwk));
    expect(back).toEqual(nl);
    const pub = importJwk(exportPublicKeyJwk(nl));
    expect('secretKey' in pub).toBe(false);
    expect(pub.keyId).toBe(nl.keyId);
  });

  it('round-trips through PEM, readable by node:crypto', () => {
    const { privateKeyPem, publicKeyPem } = exportKeyPairPem(nl);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(importPrivateKeyPem(privateKeyPem, 'nl-politie')).toEqual(nl);
    expect(importPublicKeyPem(publicKeyPem, 'nl-politie')).toEqual(publicPart(nl));
    // A key made by OpenSSL's side signs packages we verify.
    const sig = nodeSign(null, Buffer.from('x'), createPrivateKey(privateKeyPem));
    expect(nodeVerify(null, Buffer.from('x'), createPublicKey(publicKeyPem), sig)).toBe(true);
  });

  it('rejects bad keys', () => {
    const jwk = exportKeyPairJwk(nl);
    expect(() => importJwk({ ...jwk, kid: 'ed25519:0000' })).toThrow(KeyFormatError);
    expect(() => importJwk({ ...jwk, d: exportKeyPairJwk(de).d })).toThrow(/does not belong/);
    expect(() => importJwk('{not json')).toThrow(/not JSON/);
    expect(() => importJwk({ ...jwk, crv: 'X25519' })).toThrow(KeyFormatError);
    expect(() => importPrivateKeyPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----', 'x')).toThrow(KeyFormatError);
  });
});
