/** Errors named after RFC 9497 §2.2 / §3.2 so callers can tell a bad input from a protocol failure. */
export class OprfError extends Error {
  constructor(
    readonly code: 'invalid_input' | 'deserialize' | 'derive_key_pair' | 'invalid_scalar',
    message: string,
  ) {
    super(message);
    this.name = 'OprfError';
  }
}
