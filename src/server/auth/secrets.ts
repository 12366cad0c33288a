import { createHash, randomBytes } from 'node:crypto';

/** 256-bit random secrets: a plain SHA-256 is enough to store them (no brute force possible). */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
