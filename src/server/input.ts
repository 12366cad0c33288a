import { z } from 'zod';
import type { FastifyRequest, RouteOptions } from 'fastify';
import { ApiError } from './errors.ts';

/**
 * Request input rules applied to every route, including routes added later (registered on the root app):
 *   - request bodies are strict: an unknown field is a 400 naming it, at any depth (the route's zod schema is made
 *     strict when the route is registered, so the OpenAPI document says additionalProperties: false too);
 *   - a state-changing route without a body schema accepts no body but an empty JSON object;
 *   - no NUL character anywhere in the query, path parameters or body (PostgreSQL text cannot hold one).
 */

type AnyZod = z.ZodType & { _zod: { def: Record<string, unknown> & { type: string } } };
const strictCache = new WeakMap<object, z.ZodType>();

/** The same schema with every object strict (unknown keys refused); records and intersections are left open. */
export function strictSchema<T extends z.ZodType>(schema: T): T {
  const s = schema as unknown as AnyZod;
  const cached = strictCache.get(s);
  if (cached) return cached as unknown as T;
  const def = s._zod.def;
  const rebuild = (patch: Record<string, unknown>) => (s as unknown as { clone(def: unknown): z.ZodType }).clone({ ...def, ...patch });
  let out: z.ZodType = s;
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const strictShape = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, strictSchema(v)]));
      out = rebuild({ shape: strictShape, catchall: def.catchall ?? z.never() });
      break;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      out = rebuild({ innerType: strictSchema(def.innerType as z.ZodType) });
      break;
    case 'array':
      out = rebuild({ element: strictSchema(def.element as z.ZodType) });
      break;
    case 'union':
      out = rebuild({ options: (def.options as z.ZodType[]).map(strictSchema) });
      break;
    case 'pipe':
      out = rebuild({ in: strictSchema(def.in as z.ZodType) });
      break;
    default:
      out = s;
  }
  strictCache.set(s, out);
  return out as unknown as T;
}

const isZod = (v: unknown): v is z.ZodType => typeof v === 'object' && v !== null && '_zod' in v;
const BODYLESS_OK = z.object({}).strict().nullish();

/** onRoute: strict body schemas; a body-less state-changing route gets a schema that admits only `{}` or nothing. */
export function hardenRoute(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (!methods.some((m) => !['GET', 'HEAD', 'OPTIONS'].includes(m))) return;
  if (route.config?.bodyCheckedByHandler) return;
  const schema = (route.schema ?? {}) as { body?: unknown };
  if (schema.body === undefined) schema.body = BODYLESS_OK;
  else if (isZod(schema.body)) schema.body = strictSchema(schema.body);
  route.schema = schema;
}

/** Path of the first string holding a NUL character, or null. Bounded walk (bodies are already size-limited). */
export function findNul(value: unknown, path = ''): string | null {
  const stack: Array<[unknown, string]> = [[value, path]];
  let seen = 0;
  while (stack.length) {
    const [v, p] = stack.pop()!;
    if (++seen > 1_000_000) return null;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return p || '/';
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push([v[i], `${p}/${i}`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.includes('\u0000')) return `${p}/(a key)`;
        stack.push([x, `${p}/${k}`]);
      }
    }
  }
  return null;
}

/** preValidation: refuse NUL characters in the query, path parameters and body with a clear 400. */
export async function rejectNul(req: FastifyRequest): Promise<void> {
  for (const [part, value] of [['query', req.query], ['params', req.params], ['body', req.body]] as const) {
    const at = findNul(value);
    if (at !== null) throw new ApiError(400, 'nul_character', `the ${part} holds a NUL character (\\u0000) at ${at}; it cannot be stored and is refused`);
  }
}
