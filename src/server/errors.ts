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

/**
 * Every error becomes a JSON answer; nothing of a database error reaches the client. A PostgreSQL error a request
 * could cause (a value out of range, a duplicate, a reference to a missing row, an over-long index key) is a 4xx in
 * words; anything else is a 500 with the request id to quote, and the details go to the server log only.
 */
export function errorHandler(err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply): void {
  // A request for no route whose body could not be parsed (the not-found handler parses bodies too): say so, not
  // what was wrong with a body nothing would have read.
  if (req.is404) {
    void reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 300)}` } satisfies ErrorBody);
    return;
  }
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
  const db = databaseErrorAnswer(err);
  if (db) {
    req.log.warn({ err }, 'request refused by the database');
    void reply.code(db.status).send({ error: db.code, message: `${db.message} (request ${req.id})`, details: { requestId: req.id } } satisfies ErrorBody);
    return;
  }
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    void reply.code(status).send({ error: (fe.code ?? 'bad_request').toLowerCase(), message: fe.message } satisfies ErrorBody);
    return;
  }
  req.log.error({ err }, 'unhandled error');
  void reply.code(500).send({
    error: 'internal',
    message: `internal error ${req.id}: quote this id to your administrator; the server log has the details`,
    details: { requestId: req.id },
  } satisfies ErrorBody);
}

/** SQLSTATE classes a request's own input can cause, as client errors (never with the database's own text). */
function databaseErrorAnswer(err: Error): { status: number; code: string; message: string } | null {
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || !('severity' in err)) return null;
  if (code === '23505') return { status: 409, code: 'conflict', message: 'this already exists' };
  if (code === '23503') return { status: 409, code: 'conflict', message: 'this refers to something that does not exist, or is still referred to' };
  if (code === '23502' || code === '23514') return { status: 400, code: 'invalid_value', message: 'a value is missing or not allowed here' };
  if (code.startsWith('22')) return { status: 400, code: 'invalid_value', message: 'a value is out of range or not valid for its field' };
  if (code === '54000') return { status: 413, code: 'too_large', message: 'a value is too large to store or index' };
  return null;
}
