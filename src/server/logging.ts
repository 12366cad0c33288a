import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerOptions } from './types.ts';

/**
 * Structured server logs (pino via Fastify), on by default: one JSON line when a request comes in and one when it
 * is answered, each with the request id (also sent to the client as X-Request-Id and quoted in error answers).
 * What a line may carry is fixed here: method, route pattern, path without its query string, status, time, and
 * the actor (user:alice, token:worker). Never headers (cookies, tokens), query strings (search terms), bodies
 * (passwords, captured content) or database values.
 */
export function loggerConfig(opts: ServerOptions): false | Record<string, unknown> {
  if (opts.logger === false) return false;
  const custom = typeof opts.logger === 'object' ? opts.logger : {};
  return {
    level: custom.level ?? process.env.DARKPATROL_LOG_LEVEL ?? 'info',
    stream: custom.stream ?? process.stderr,
    base: { service: 'darkpatrol' },
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, route: req.routeOptions?.url, path: req.url.split('?')[0]?.slice(0, 300) }),
      res: (res: FastifyReply) => ({ statusCode: res.statusCode }),
      err: (err: Error & { code?: unknown }) => ({ type: err.name, code: typeof err.code === 'string' ? err.code : undefined, message: redactValues(err.message), stack: err.stack?.split('\n').slice(1, 12).join('\n') }),
    },
  };
}

/** Short random request ids (never taken from the client): easy to quote, useless to guess. */
export const newRequestId = (): string => randomBytes(6).toString('hex');

/** Error messages may quote values (PostgreSQL: `invalid input syntax for type integer: "…"`): keep the words only. */
export function redactValues(message: string): string {
  return message.replace(/"[^"]*"|'[^']*'|\([^)]*\)=\([^)]*\)/g, '…').slice(0, 300);
}
