import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import { DomainError } from '@warden/common';
import { LOGGER, type Logger } from '@warden/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, type ProblemDetails, problem } from './problem-details.js';

/** Domain error codes → HTTP status. Codes not listed are server faults. */
const STATUS_BY_CODE: Record<string, number> = {
  'REQUEST.INVALID': 400,
  'REQUEST.UNSUPPORTED_MEDIA_TYPE': 415,
  'INGEST.MALFORMED_JSON': 400,
  'REQUEST.MALFORMED_JSON': 400,
  'INGEST.NOT_AN_ARRAY': 400,
  'INGEST.BATCH_TOO_LARGE': 413,
  'QUERY.INVALID_CURSOR': 400,
  NOT_FOUND: 404,
  'AUTH.UNAUTHENTICATED': 401,
  'AUTH.FORBIDDEN': 403,
  'AUTH.KEY_NOT_FOUND': 404,
  'CONTAINMENT.NOT_FOUND': 404,
  'CONTAINMENT.PRINCIPAL_ALREADY_CONTAINED': 409,
  'CONTAINMENT.IDEMPOTENCY_KEY_REUSED': 409,
  'CONTAINMENT.ALREADY_REQUESTED': 409,
  'CONTAINMENT.NOT_CONTAINED': 409,
  'CONTAINMENT.ALREADY_ROLLED_BACK': 409,
  'CONTAINMENT.NOTHING_TO_RETRY': 409,
  'CONTAINMENT.NO_CONNECTORS': 422,
  'CONTAINMENT.UNKNOWN_CONNECTOR': 400,
  'LEDGER.CONCURRENCY_CONFLICT': 409,
  'INTEGRITY.INVALID_QUERY': 400,
  'PERMISSION_CHANGE.EVENT_NOT_FOUND': 404,
  'PERMISSION_CHANGE.REVERT_NOT_FOUND': 404,
  'PERMISSION_CHANGE.NOT_REVERTIBLE': 422,
  'PERMISSION_CHANGE.NO_OWNING_CONNECTOR': 422,
  'PERMISSION_CHANGE.AMBIGUOUS_OWNER': 409,
};

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** Errors raised by the HTTP layer itself (before a route runs) → stable codes and a useful detail. */
const TRANSPORT_PROBLEMS: Record<number, { code: string; detail?: string }> = {
  404: { code: 'NOT_FOUND' },
  405: { code: 'REQUEST.METHOD_NOT_ALLOWED' },
  413: { code: 'REQUEST.TOO_LARGE', detail: 'request body is larger than 8 MiB' },
  429: { code: 'REQUEST.RATE_LIMITED', detail: 'too many requests with this credential; retry after the number of seconds in Retry-After' },
  415: {
    code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
    detail: 'send application/json, or application/x-ndjson for event batches',
  },
};

export function toProblem(error: unknown, instance?: string): ProblemDetails {
  if (error instanceof DomainError) {
    const status = STATUS_BY_CODE[error.code] ?? 500;
    if (status === 500) return problem(500, 'INTERNAL', TITLES[500], { instance });
    const errors = (error as { errors?: ProblemDetails['errors'] }).errors;
    return problem(status, error.code, TITLES[status] ?? 'Error', {
      detail: error.message,
      instance,
      ...(errors ? { errors } : {}),
      ...('location' in error ? (error as { location: object }).location : {}),
    });
  }
  const status =
    error instanceof HttpException
      ? error.getStatus()
      : typeof (error as { statusCode?: unknown }).statusCode === 'number'
        ? (error as { statusCode: number }).statusCode
        : 500;
  if (status < 400 || status >= 500) return problem(500, 'INTERNAL', TITLES[500], { instance });
  const known = TRANSPORT_PROBLEMS[status];
  return problem(status, known?.code ?? `HTTP.${status}`, TITLES[status] ?? 'Error', {
    detail: known?.detail ?? (error as Error).message,
    instance,
  });
}

/** One mapping from errors to problem+json, so no handler or lib deals in HTTP statuses. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const body = toProblem(error, request.url.split('?')[0]);
    if (body.status >= 500) {
      this.logger.error({ err: error, request_id: request.id, route: request.url.split('?')[0] }, 'request failed');
    }
    if (body.status === 401) void reply.header('www-authenticate', 'Bearer realm="warden"');
    void reply.status(body.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
  }
}
