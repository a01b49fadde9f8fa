import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, type ErrorKind, type FieldIssue } from '../errors.ts';
import { activeTraceIds } from '../telemetry/tracing.ts';

/** The one kind → status table. It is total: adding a kind without a status fails the build. */
export const STATUS_BY_KIND = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  bad_gateway: 502,
  gateway_timeout: 504,
  internal: 500,
} as const satisfies Record<ErrorKind, number>;

const TITLE_BY_KIND = {
  invalid: 'Invalid request',
  unauthenticated: 'Authentication required',
  forbidden: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  gone: 'Gone',
  precondition_failed: 'Precondition failed',
  payload_too_large: 'Payload too large',
  unsupported_media_type: 'Unsupported media type',
  unprocessable: 'Unprocessable content',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  bad_gateway: 'Bad gateway',
  gateway_timeout: 'Gateway timeout',
  internal: 'Internal server error',
} as const satisfies Record<ErrorKind, string>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** RFC 9457 problem details, plus our stable `code`, the request id and field issues. */
export const ProblemSchema = z
  .looseObject({
    type: z.string().describe('Stable URI naming the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().describe('Stable SCREAMING_SNAKE error code; never renamed once shipped'),
    requestId: z.string(),
    traceId: z
      .string()
      .optional()
      .describe('The W3C trace id of the request, when tracing is on: find the whole trace with it'),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export const problemTypeUri = (code: string) =>
  `https://switchyard.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;

/** Turns anything thrown in a request into an AppError; unknown errors become INTERNAL. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'request';
    const issues: FieldIssue[] = err.validation.flatMap((v) => {
      const sub = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      const base = sub ? `${where}.${sub}` : where;
      // Name each unknown key as its own field, so a client can point at it.
      const keys = (v.params as { keys?: unknown }).keys;
      if (v.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
        return keys.map((k) => ({ path: `${base}.${String(k)}`, message: 'is not a known field' }));
      }
      return [{ path: base, message: v.message ?? 'is invalid' }];
    });
    return new AppError('VALIDATION_FAILED', 'invalid', `The ${where} did not match the schema.`, { issues });
  }
  if (isResponseSerializationError(err)) {
    return new AppError('INTERNAL', 'internal', 'The server produced an invalid response.', { cause: err });
  }
  const fe = err as Partial<FastifyError> & { cause?: { code?: string } };
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', 'payload_too_large', 'The request body exceeds the size limit.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported_media_type', 'Send the body as application/json.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('MALFORMED_JSON', 'invalid', 'The body is empty but its content type is JSON.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('MALFORMED_JSON', 'invalid', 'The body is not valid JSON.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('INVALID_CONTENT_LENGTH', 'invalid', 'Content-Length does not match the body.');
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new AppError('BAD_URL', 'invalid', 'The request URL is malformed.');
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    // secure-json-parse rejects __proto__/constructor keys with a SyntaxError too.
    return new AppError('MALFORMED_JSON', 'invalid', 'The body is not valid JSON or holds a forbidden key.');
  }
  if (fe.statusCode === 429) {
    return new AppError('RATE_LIMITED', 'rate_limited', 'Too many requests; retry after the indicated delay.');
  }
  // Database errors that bad input can still reach despite validation (defence in depth).
  const pgCode = fe.cause?.code ?? fe.code;
  if (pgCode === '23505') return new AppError('CONFLICT', 'conflict', 'The resource already exists.');
  if (pgCode === '54000' || pgCode === '22001') {
    return new AppError('VALUE_TOO_LARGE', 'invalid', 'A value is too large to store.');
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('BAD_REQUEST', kindForStatus(fe.statusCode), fe.message ?? 'Bad request.');
  }
  return new AppError('INTERNAL', 'internal', 'An unexpected error occurred. Quote the request id when reporting it.', {
    cause: err,
  });
}

function kindForStatus(status: number): ErrorKind {
  const found = (Object.entries(STATUS_BY_KIND) as [ErrorKind, number][]).find(([, s]) => s === status);
  return found ? found[0] : 'invalid';
}

export function problemBody(error: AppError, request: FastifyRequest) {
  const status = STATUS_BY_KIND[error.kind];
  const traceId = activeTraceIds()?.traceId;
  return {
    ...error.extra,
    type: problemTypeUri(error.code),
    title: TITLE_BY_KIND[error.kind],
    status,
    detail: error.message,
    instance: request.url.split('?')[0],
    code: error.code,
    requestId: request.id,
    ...(traceId ? { traceId } : {}),
    ...(error.issues ? { issues: error.issues } : {}),
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, err: unknown) {
  const error = toAppError(err);
  const body = problemBody(error, request);
  if (error.kind === 'internal') {
    request.log.error({ err: error.cause ?? err }, 'request failed');
  } else if (error.kind !== 'not_found') {
    request.log.info({ code: error.code, status: body.status }, 'request rejected');
  }
  // Set here too: router errors are answered before the onRequest hook that normally sets it.
  reply.header('x-request-id', request.id);
  // Every "wait and retry" refusal (rate limits, lockouts) says how long in the header too.
  const retryAfter = error.extra?.retryAfterSeconds;
  if (error.kind === 'rate_limited' && typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) {
    reply.header('retry-after', String(retryAfter));
  }
  return reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}
