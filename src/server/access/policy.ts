import { sql, type RawBuilder } from 'kysely';
import type { Role } from '../../domain/role.ts';
import type { Tlp } from '../../domain/tlp.ts';
import { agencyViewSql } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';

/**
 * THE access policy of the API, in one place.
 *
 * Rows (every owned row carries agency_id and tlp):
 *   - users of the owning agency see all of its rows, whatever the TLP (CLEAR … RED);
 *   - users of another agency see only rows marked CLEAR or GREEN (TLP 2.0: community-wide);
 *     AMBER, AMBER+STRICT and RED rows never leave the owning agency through this API;
 *   - only the owning agency may change a row (confirm/reject a link, record a market event, …);
 *   - partners never read rows: they reach only the feed routes, which publish aggregates of CLEAR/GREEN rows.
 *
 * Routes: every route declares a RouteAccess (who may call it). A route without one is refused (deny by default),
 * and the access-matrix test walks the live route table, so a new route is covered the moment it is added.
 */

/** Markings another agency may see. */
export const SHARED_TLP: readonly Tlp[] = ['CLEAR', 'GREEN'];

/** What a route does, for API-token scopes: a token may call a route only if it holds the route's scope. */
export const SCOPES = ['intel:read', 'intel:write', 'captcha', 'feed', 'audit', 'admin', 'self', 'deconflict', 'exchange', 'taxii'] as const;
export type Scope = (typeof SCOPES)[number];

export interface RouteAccess {
  /** Open to anyone (login, health, the console's static files). */
  public?: boolean;
  /**
   * Called by a federated installation, not a user or token: the route itself verifies the Ed25519 request
   * signature of a registered peer (src/server/exchange/federation.ts) and answers 401 otherwise. Set with public.
   */
  peer?: boolean;
  roles: readonly Role[];
  scope: Scope;
  /** The audit action written for each call; defaults to METHOD + route pattern. */
  audit?: string;
}

const INTEL: readonly Role[] = ['analyst', 'investigator', 'supervisor', 'admin'];

/** The role groups routes are built from; tests read these to compute the expected matrix. */
export const ACCESS = {
  public: { public: true, roles: [], scope: 'self' },
  self: { roles: ['analyst', 'investigator', 'supervisor', 'partner', 'admin'], scope: 'self' },
  intelRead: { roles: INTEL, scope: 'intel:read' },
  /** Deciding links, recording market lifecycle: analysts and their supervisors. */
  intelWrite: { roles: ['analyst', 'supervisor', 'admin'], scope: 'intel:write' },
  captcha: { roles: ['analyst', 'supervisor', 'admin'], scope: 'captcha' },
  audit: { roles: ['supervisor', 'admin'], scope: 'audit' },
  admin: { roles: ['admin'], scope: 'admin' },
  feed: { roles: ['partner', 'admin'], scope: 'feed' },
  /** Cases, selector registration, hit/no-hit notices, blinded mode, federation sync: the agency's own only. */
  deconflict: { roles: ['investigator', 'supervisor', 'admin'], scope: 'deconflict' },
  /** Signed STIX packages: export, import, the agency's imports. */
  exchange: { roles: ['investigator', 'supervisor', 'admin'], scope: 'exchange' },
  /**
   * The TAXII 2.1 server (/taxii2/): staff read their agency view and add to their agency's collections (write
   * needs an exchange role, checked per collection); partners read the collections addressed to them, CLEAR/GREEN only.
   */
  taxii: { roles: [...INTEL, 'partner'], scope: 'taxii' },
  /** Signed requests from federated installations (see RouteAccess.peer). */
  peer: { public: true, peer: true, roles: [], scope: 'self' },
} as const satisfies Record<string, RouteAccess>;

export type AccessDecision = { allow: true } | { allow: false; status: 401 | 403; reason: string };

/** May this principal call a route with this access rule? (Row checks come after, per row.) */
export function decideRoute(p: Principal | null, access: RouteAccess | undefined): AccessDecision {
  if (!access) return { allow: false, status: 403, reason: 'route has no access rule (deny by default)' };
  if (access.public) return { allow: true };
  if (!p) return { allow: false, status: 401, reason: 'log in or present an API token' };
  if (!access.roles.includes(p.role)) return { allow: false, status: 403, reason: `role ${p.role} may not do this` };
  if (p.kind === 'token' && !p.scopes.includes(access.scope))
    return { allow: false, status: 403, reason: `token lacks scope ${access.scope}` };
  return { allow: true };
}

export interface OwnedRow {
  agency_id: number;
  tlp: Tlp;
}

export function canReadRow(p: Principal, row: OwnedRow): boolean {
  if (p.role === 'partner') return false;
  return row.agency_id === p.agencyId || SHARED_TLP.includes(row.tlp);
}

export function canWriteRow(p: Principal, row: OwnedRow): boolean {
  return p.role !== 'partner' && row.agency_id === p.agencyId;
}

/** The same rule as canReadRow, as SQL over `alias.agency_id` and `alias.tlp`, for list and search queries. */
export function visibleSql(p: Principal, alias: string): RawBuilder<boolean> {
  if (p.role === 'partner') return sql<boolean>`false`;
  return agencyViewSql(p.agencyId, alias);
}

/**
 * Rows a partner feed may publish: shared markings only, and only the minimal fields a feed names (country flows,
 * drop addresses, crypto addresses), never whole rows.
 */
export function feedSql(alias: string): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(`${alias}.tlp`)} in ('CLEAR', 'GREEN')`;
}
