import { AppError, type AppErrorOptions, type ErrorKind } from '../../platform/errors.ts';

/**
 * The AI module's error codes. Stable once shipped: workflow steps and API clients branch on them.
 * Kinds follow the platform table (and so the HTTP status): a provider that could not be reached or
 * failed is `unavailable` (503); one that answered with something unusable is `bad_gateway` (502);
 * a call past its timeout is `gateway_timeout` (504); a refusal of what the caller asked for is
 * `invalid` (400); rate limits and the tenant's monthly budget are `rate_limited` (429 with
 * Retry-After); work that needs a model on an instance without one is `unprocessable` (422: not
 * 503, because retrying cannot help until someone configures a provider).
 */
export const AI_ERRORS = {
  /** Free-form generation (or schema extraction) asked of the offline engine. */
  PROVIDER_REQUIRED: ['AI_PROVIDER_REQUIRED', 'unprocessable'],
  /** The provider answered 2xx with something that is not its protocol (bad JSON, wrong shape). */
  PROVIDER_BAD_RESPONSE: ['AI_PROVIDER_BAD_RESPONSE', 'bad_gateway'],
  /** 429 after our retries, or a Retry-After longer than we are willing to wait. */
  PROVIDER_RATE_LIMITED: ['AI_PROVIDER_RATE_LIMITED', 'rate_limited'],
  /** 5xx after our retries, or the provider could not be reached. */
  PROVIDER_UNAVAILABLE: ['AI_PROVIDER_UNAVAILABLE', 'unavailable'],
  /** 401/403: the configured key is wrong or lacks access. */
  PROVIDER_AUTH_FAILED: ['AI_PROVIDER_AUTH_FAILED', 'unavailable'],
  /** Other 4xx: unknown model, prompt too long, bad parameter. */
  PROVIDER_REJECTED: ['AI_PROVIDER_REJECTED', 'invalid'],
  /** The whole call (retries included) took longer than its timeout. */
  PROVIDER_TIMEOUT: ['AI_PROVIDER_TIMEOUT', 'gateway_timeout'],
  /** The answer (bytes on the wire or characters of text) is larger than the configured bound. */
  OUTPUT_TOO_LARGE: ['AI_OUTPUT_TOO_LARGE', 'bad_gateway'],
  /** The input text is larger than the configured bound. */
  INPUT_TOO_LARGE: ['AI_INPUT_TOO_LARGE', 'payload_too_large'],
  /** The caller's JSON Schema does not compile. */
  SCHEMA_INVALID: ['AI_SCHEMA_INVALID', 'invalid'],
  /** The model's answers did not validate against the caller's schema in any attempt. */
  EXTRACTION_FAILED: ['AI_EXTRACTION_FAILED', 'bad_gateway'],
  /** A caller's request to an operation is malformed (no labels, duplicate label names, …). */
  REQUEST_INVALID: ['AI_REQUEST_INVALID', 'invalid'],
  /** A provider configuration is not usable (unknown kind, missing key, bad base URL). */
  CONFIG_INVALID: ['AI_PROVIDER_CONFIG_INVALID', 'invalid'],
  /**
   * This month's usage has reached a limit the tenant set (`ai.monthlyTokenLimit`,
   * `ai.monthlyCostLimitUsd`). Checked before any provider call; `extra.retryAfterSeconds` runs to
   * the first of next month (UTC).
   */
  BUDGET_EXCEEDED: ['AI_BUDGET_EXCEEDED', 'rate_limited'],
  /** An uploaded document's media type cannot be read (PDF, DOCX, images: no parser installed). */
  DOCUMENT_TYPE_UNSUPPORTED: ['AI_DOCUMENT_TYPE_UNSUPPORTED', 'unsupported_media_type'],
  /** An uploaded document is not valid UTF-8 text, or a multipart body holds no file. */
  DOCUMENT_UNREADABLE: ['AI_DOCUMENT_UNREADABLE', 'invalid'],
} as const satisfies Record<string, readonly [string, ErrorKind]>;

export type AiErrorName = keyof typeof AI_ERRORS;

export function aiError(name: AiErrorName, message: string, options?: AppErrorOptions): AppError {
  const [code, kind] = AI_ERRORS[name];
  return new AppError(code, kind, message, options);
}
