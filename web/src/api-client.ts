/**
 * A typed client of the DarkPatrol API, generated from the server's OpenAPI document (web/src/api-schema.gen.ts,
 * `npm run api:types`): paths, parameters, bodies and answers are checked by the compiler, so a console page using it
 * cannot call an operation the server no longer has. Same-origin; the session cookie travels by itself.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './api-schema.gen.ts';

export type ApiPaths = paths;
export type ApiErrorBody = components['schemas']['ApiError'];

export function createApiClient(options: { baseUrl?: string; headers?: Record<string, string> } = {}) {
  return createClient<paths>({ baseUrl: options.baseUrl ?? '/', credentials: 'same-origin', ...(options.headers ? { headers: options.headers } : {}) });
}
