/**
 * Typed HTTP errors and the one error mapper: every failure leaves as an RFC 9457
 * `application/problem+json` document. Only 5xx are logged as errors (they are bugs).
 */
import type { ErrorRequestHandler, Request, Response } from 'express';
import { ForbiddenError as CaslForbiddenError } from '@casl/ability';
import { IdempotencyConflictError } from '../db/intake-store';

export interface FieldError {
  path: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }
}

export class InputError extends HttpError {
  constructor(detail: string, readonly errors: FieldError[] = []) {
    super(400, 'Invalid request', detail, { errors });
  }
}
export class UnauthorizedError extends HttpError {
  constructor(detail = 'A valid bearer token is required.') {
    super(401, 'Unauthorized', detail);
  }
}
export class NotAllowedError extends HttpError {
  constructor(detail = 'You are not allowed to do this.') {
    super(403, 'Forbidden', detail);
  }
}
export class NotFoundError extends HttpError {
  constructor(detail = 'Not found.') {
    super(404, 'Not found', detail);
  }
}
export class ConflictError extends HttpError {
  constructor(detail: string, extra: Record<string, unknown> = {}) {
    super(409, 'Conflict', detail, extra);
  }
}
export class UnavailableError extends HttpError {
  constructor(detail: string) {
    super(503, 'Service unavailable', detail);
  }
}

const PROBLEM_BASE = 'https://motcua.gov.vn/problems/';

export function sendProblem(req: Request, res: Response, status: number, title: string, detail: string, extra: Record<string, unknown> = {}): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `${PROBLEM_BASE}${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`,
      title,
      status,
      detail,
      instance: req.originalUrl,
      requestId: req.id,
      ...extra,
    });
}

/**
 * Errors of Express's own request handling: the body parser's carry `status` and `type`, except a
 * body that is not what its Content-Encoding says (a zlib error marked 400 and `expose` by
 * http-errors); the router's, for a path parameter that is not valid percent-encoding, is a
 * URIError with status 400.
 */
function bodyParserError(err: unknown): { status: number; title: string; detail: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  if (err instanceof URIError && (err as { status?: number }).status === 400) {
    return { status: 400, title: 'Invalid request', detail: 'The request path is not valid percent-encoding.' };
  }
  if (!('type' in err)) {
    const e = err as { status?: number; expose?: boolean; code?: string };
    return e.status === 400 && e.expose === true && typeof e.code === 'string' && /^(Z_|ERR_)/.test(e.code)
      ? { status: 400, title: 'Invalid request', detail: 'The request body does not match its Content-Encoding.' }
      : undefined;
  }
  const e = err as { type: string; status?: number; message: string };
  switch (e.type) {
    case 'entity.too.large':
      return { status: 413, title: 'Payload too large', detail: 'The request body is larger than the server accepts.' };
    case 'entity.parse.failed':
      return { status: 400, title: 'Invalid request', detail: 'The request body is not valid JSON.' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, title: 'Unsupported media type', detail: e.message };
    default:
      return e.status && e.status >= 400 && e.status < 500 ? { status: e.status, title: 'Invalid request', detail: e.message } : undefined;
  }
}

/**
 * Maps Temporal/pg connectivity failures to 503: the dependency is down, not our logic. A pg client
 * whose connection died under a transaction fails the ROLLBACK with "… is not queryable"; an update
 * whose RPC timed out (the server is down or overloaded) is the same case.
 */
function isUnavailable(err: unknown): boolean {
  const text = `${(err as { name?: string })?.name ?? ''} ${(err as { code?: string })?.code ?? ''} ${(err as Error)?.message ?? ''}`;
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection terminated|is not queryable|ServiceError|UNAVAILABLE|WorkflowUpdateRPCTimeoutOrCancelledError|Knex: Timeout acquiring|connect ECONN|57P01|57P03|08006|08001/i.test(text);
}

export const errorMapper: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  if (res.headersSent) return;
  if (err instanceof HttpError) {
    if (err.status === 503) res.setHeader('Retry-After', '5');
    return sendProblem(req, res, err.status, err.title, err.message, err.extra);
  }
  if (err instanceof CaslForbiddenError) {
    return sendProblem(req, res, 403, 'Forbidden', err.message);
  }
  if (err instanceof IdempotencyConflictError) {
    return sendProblem(req, res, 409, 'Conflict', err.message);
  }
  const parsed = bodyParserError(err);
  if (parsed) return sendProblem(req, res, parsed.status, parsed.title, parsed.detail);
  if (isUnavailable(err)) {
    req.log?.warn({ err }, 'dependency unavailable');
    res.setHeader('Retry-After', '5');
    return sendProblem(req, res, 503, 'Service unavailable', 'A backing service is unavailable; try again shortly.');
  }
  req.log?.error({ err }, 'unhandled error');
  sendProblem(req, res, 500, 'Internal server error', 'An unexpected error occurred. It has been logged.');
};
