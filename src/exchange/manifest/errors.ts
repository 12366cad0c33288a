/** Why a package was refused. Each reason is its own class so callers (API, CLI) can answer precisely. */
export type PackageErrorCode =
  | 'malformed'
  | 'unknown_signer'
  | 'signer_mismatch'
  | 'bad_signature'
  | 'bundle_tampered'
  | 'signature_required'
  | 'bad_key';

export class PackageVerificationError extends Error {
  constructor(
    readonly code: PackageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PackageVerificationError';
  }
}

/** The package, manifest or signature is not in the expected shape. */
export class MalformedPackageError extends PackageVerificationError {
  constructor(message: string) {
    super('malformed', message);
    this.name = 'MalformedPackageError';
  }
}

/** The signing key is not among the trusted keys. */
export class UnknownSignerError extends PackageVerificationError {
  constructor(readonly keyId: string) {
    super('unknown_signer', `package signed by unknown key ${keyId}`);
    this.name = 'UnknownSignerError';
  }
}

/** The key is trusted, but for another agency than the manifest's producer. */
export class SignerMismatchError extends PackageVerificationError {
  constructor(keyAgency: string, producerAgency: string) {
    super('signer_mismatch', `key belongs to agency ${keyAgency} but the manifest names producer ${producerAgency}`);
    this.name = 'SignerMismatchError';
  }
}

/** The signature does not verify: the manifest was changed or another key signed it. */
export class BadSignatureError extends PackageVerificationError {
  constructor() {
    super('bad_signature', 'manifest signature does not verify (manifest altered or signed with another key)');
    this.name = 'BadSignatureError';
  }
}

/** The manifest is authentic but the bundle is not the one it describes. */
export class TamperedBundleError extends PackageVerificationError {
  constructor(detail: string) {
    super('bundle_tampered', `bundle does not match its signed manifest: ${detail}`);
    this.name = 'TamperedBundleError';
  }
}

/** Trusted keys were given but the input carries no signature. */
export class SignatureRequiredError extends PackageVerificationError {
  constructor() {
    super('signature_required', 'an unsigned bundle was offered where a signed package is required');
    this.name = 'SignatureRequiredError';
  }
}

export class KeyFormatError extends PackageVerificationError {
  constructor(message: string) {
    super('bad_key', message);
    this.name = 'KeyFormatError';
  }
}
