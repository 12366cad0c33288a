/**
 * The OpenAPI document, completed in one place for every route (including routes added later by any module): an
 * operationId derived from method and path, the security each route's access rule asks for, and the error answers
 * every route can give, with their schema. Route files declare only what is particular to them.
 */
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { RouteAccess } from './access/policy.ts';

/** The body of every error answer (src/server/errors.ts). */
export const ERROR_SCHEMA = {
  $id: 'ApiError',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'stable machine code, e.g. not_found, forbidden, validation_failed, rate_limited' },
    message: { type: 'string', description: 'a sentence for people' },
    details: { description: 'machine-readable detail (validation issues, refusal reasons)' },
  },
} as const;

const WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Shared as components.schemas.ApiError (registered with app.addSchema in app.ts). */
export const ERROR_SCHEMA_ID = 'ApiError';
const error = (description: string) => ({ description, $ref: `${ERROR_SCHEMA_ID}#` });

/** Which error answers an operation documents, from its method, path, body and access rule. */
export function errorResponses(method: string, url: string, access: RouteAccess | undefined, hasBody: boolean): Record<string, unknown> {
  const r: Record<string, unknown> = {
    400: error('The request does not match the operation\'s schema (validation_failed) or is otherwise malformed (bad_request)'),
  };
  if (access?.peer) {
    r[401] = error('The request is not signed by a registered federation peer (federation_<reason>)');
  } else if (!access?.public) {
    r[401] = error('No valid session cookie or API token (unauthenticated)');
    r[403] = error('The caller\'s role or token scope may not call this operation, or may not change this row (forbidden)');
  }
  r[404] = error(url.includes(':') ? 'The object does not exist or is not visible to the caller (not_found): the same answer for both' : 'Not found');
  if (WRITE.has(method)) {
    r[409] = error('The change conflicts with the current state (conflict)');
    r[422] = error('Well-formed but refused: e.g. a package or bundle that does not verify or validate (package_rejected, intel_rejected)');
  }
  if (hasBody) r[413] = error('The body exceeds the operation\'s size limit');
  r[429] = error('Too many requests from this client (rate_limited); retry later');
  return r;
}

/** `GET /api/vendors/:id/profile` → `getVendorsByIdProfile`. Unique per method and path, stable across releases. */
export function operationId(method: string, url: string): string {
  const parts = url
    .replace(/^\/api\//, '')
    .split('/')
    .filter(Boolean)
    .map((p) => (p.startsWith(':') ? `By-${p.slice(1)}` : p))
    .flatMap((p) => p.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method.toLowerCase() + parts.map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

/** Who may call: nobody needs credentials on public routes; peers sign requests; partners hold tokens only. */
export function operationSecurity(access: RouteAccess | undefined): Record<string, string[]>[] {
  if (!access || access.public) return [];
  if (access.roles.every((r) => r === 'partner' || r === 'admin') && access.scope === 'feed') return [{ token: [] }];
  return [{ session: [] }, { token: [] }];
}

type TransformArgs = Parameters<typeof jsonSchemaTransform>[0];

/** fastify-swagger's transform: the zod conversion, then the common parts above. */
export function openApiTransform(args: TransformArgs): ReturnType<typeof jsonSchemaTransform> {
  const out = jsonSchemaTransform(args);
  const route = (args as unknown as { route: { method: string | string[]; url: string; config?: { access?: RouteAccess } } }).route;
  const method = (Array.isArray(route.method) ? route.method[0]! : route.method).toUpperCase();
  const schema = { ...(out.schema as Record<string, unknown>) };
  if (!route.url.startsWith('/api') || schema.hide) return { ...out, schema };
  const access = route.config?.access;
  const hasBody = schema.body !== undefined || WRITE.has(method);
  const responses = { ...((schema.response as Record<string, unknown> | undefined) ?? {}) };
  if (!Object.keys(responses).some((k) => /^2\d\d$/.test(k))) responses[method === 'POST' ? '200' : '200'] = { description: 'Success', type: 'object', additionalProperties: true };
  for (const [code, body] of Object.entries(errorResponses(method, route.url, access, hasBody))) if (!(code in responses)) responses[code] = body;
  schema.response = responses;
  schema.operationId = (schema.operationId as string | undefined) ?? operationId(method, route.url);
  schema.security = operationSecurity(access);
  return { ...out, schema };
}
