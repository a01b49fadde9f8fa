import { AppError, type AppErrorOptions, type ErrorKind } from '../../platform/errors.ts';

/**
 * The AI module's error codes. Stable once shipped: workflow steps and API clients branch on them.
 * Kinds follow the platform table; a provider's failure is `unavailable` (our dependency failed),
 * except a refusal of what the caller asked for (`invalid`) and rate limits (`rate_limited`).
 */
export const AI_ERRORS = {
  /** Free-form generation (or schema extraction) asked of the offline engine. */
  PROVIDER_REQUIRED: ['AI_PROVIDER_REQUIRED', 'invalid'],
  /** The provider answered 2xx with something that is not its protocol (bad JSON, wrong shape). */
  PROVIDER_BAD_RESPONSE: ['AI_PROVIDER_BAD_RESPONSE', 'unavailable'],
  /** 429 after our retries, or a Retry-After longer than we are willing to wait. */
  PROVIDER_RATE_LIMITED: ['AI_PROVIDER_RATE_LIMITED', 'rate_limited'],
  /** 5xx after our retries, or the provider could not be reached. */
  PROVIDER_UNAVAILABLE: ['AI_PROVIDER_UNAVAILABLE', 'unavailable'],
  /** 401/403: the configured key is wrong or lacks access. */
  PROVIDER_AUTH_FAILED: ['AI_PROVIDER_AUTH_FAILED', 'unavailable'],
  /** Other 4xx: unknown model, prompt too long, bad parameter. */
  PROVIDER_REJECTED: ['AI_PROVIDER_REJECTED', 'invalid'],
  /** The whole call (retries included) took longer than its timeout. */
  PROVIDER_TIMEOUT: ['AI_PROVIDER_TIMEOUT', 'unavailable'],
  /** The answer (bytes on the wire or characters of text) is larger than the configured bound. */
  OUTPUT_TOO_LARGE: ['AI_OUTPUT_TOO_LARGE', 'unavailable'],
  /** The input text is larger than the configured bound. */
  INPUT_TOO_LARGE: ['AI_INPUT_TOO_LARGE', 'payload_too_large'],
  /** The caller's JSON Schema does not compile. */
  SCHEMA_INVALID: ['AI_SCHEMA_INVALID', 'invalid'],
  /** The model's answers did not validate against the caller's schema in any attempt. */
  EXTRACTION_FAILED: ['AI_EXTRACTION_FAILED', 'unavailable'],
  /** A caller's request to an operation is malformed (no labels, duplicate label names, …). */
  REQUEST_INVALID: ['AI_REQUEST_INVALID', 'invalid'],
  /** A provider configuration is not usable (unknown kind, missing key, bad base URL). */
  CONFIG_INVALID: ['AI_PROVIDER_CONFIG_INVALID', 'invalid'],
} as const satisfies Record<string, readonly [string, ErrorKind]>;

export type AiErrorName = keyof typeof AI_ERRORS;

export function aiError(name: AiErrorName, message: string, options?: AppErrorOptions): AppError {
  const [code, kind] = AI_ERRORS[name];
  return new AppError(code, kind, message, options);
}
