import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

/** A clear 4xx answer: `{ error, message, details }`, where error is a stable machine code. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, id: string | number) => new ApiError(404, 'not_found', `${what} ${id} does not exist or is not visible to you`);
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message);
export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'bad_request', message, details);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);

export interface ErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

export function errorHandler(err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof ApiError) {
    void reply.code(err.statusCode).send({ error: err.code, message: err.message, details: err.details } satisfies ErrorBody);
    return;
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const issues = err.validation.map((v) => ({ path: v.instancePath || '/', message: v.message, where: err.validationContext }));
    void reply.code(400).send({
      error: 'validation_failed',
      message: `invalid ${err.validationContext ?? 'request'}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`,
      details: issues,
    } satisfies ErrorBody);
    return;
  }
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    void reply.code(status).send({ error: (fe.code ?? 'bad_request').toLowerCase(), message: fe.message } satisfies ErrorBody);
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' } satisfies ErrorBody);
}
