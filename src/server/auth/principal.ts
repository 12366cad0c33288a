import type { Role } from '../../domain/role.ts';

/** Who is calling: a logged-in user (session cookie) or an API token (worker or partner). */
export interface Principal {
  kind: 'user' | 'token';
  /** The user, or the user a token was issued to (null for agency tokens). */
  userId: number | null;
  agencyId: number;
  agencyCode: string;
  role: Role;
  /** Shown in the audit log: 'user:alice' or 'token:postal-feed'. */
  actor: string;
  username: string;
  /** Token scopes; users carry none and are limited by role alone. */
  scopes: readonly string[];
  sessionId?: number;
  tokenId?: number;
}
