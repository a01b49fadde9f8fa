/**
 * The error model shared by every module. Domain code throws `AppError` with a stable `code`
 * (SCREAMING_SNAKE, namespaced by module, never renamed once shipped) and a `kind`; it never
 * knows HTTP statuses. The HTTP adapter maps kind → status through the total table in
 * `http/problem.ts`.
 */
export const ERROR_KINDS = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  /** Existed, but is no longer usable (an expired link). */
  'gone',
  'precondition_failed',
  'payload_too_large',
  'unsupported_media_type',
  /** Well-formed and understood, but this instance cannot do it as configured (no AI provider). */
  'unprocessable',
  'rate_limited',
  'unavailable',
  /** A dependency we called (a model provider) answered with something unusable. */
  'bad_gateway',
  /** A dependency we called took longer than its timeout. */
  'gateway_timeout',
  'internal',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** One problem with one input field, e.g. `{ path: 'body.name', message: 'Too long' }`. */
export interface FieldIssue {
  path: string;
  message: string;
}

export interface AppErrorOptions {
  /** Field-level problems, listed in full so a client can show them all at once. */
  issues?: FieldIssue[];
  /** Extra machine-readable members for the problem document (must not hold secrets). */
  extra?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly issues: FieldIssue[] | undefined;
  readonly extra: Record<string, unknown> | undefined;

  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.issues = options.issues;
    this.extra = options.extra;
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Shorthands for the common cases, so call sites stay one line. */
export const notFound = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(code, 'not_found', message, { extra });
export const invalid = (code: string, message: string, issues?: FieldIssue[]) =>
  new AppError(code, 'invalid', message, { issues });
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) =>
  new AppError(code, 'conflict', message, { extra });
