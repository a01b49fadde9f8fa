import {
  APICallError,
  EmptyResponseBodyError,
  InvalidResponseDataError,
  JSONParseError,
  NoContentGeneratedError,
  TypeValidationError,
} from 'ai';
import { type AppError, isAppError } from '../../platform/errors.ts';
import { aiError } from './errors.ts';
import { parseRetryAfterMs } from './provider-fetch.ts';

export interface ErrorContext {
  providerId: string;
  /** The configured key, redacted from anything we pass on (provider error bodies can echo it). */
  apiKey: string | undefined;
  /** Our timeout fired (as opposed to the caller cancelling). */
  timedOut: boolean;
  timeoutMs: number;
}

/**
 * Turns whatever the AI SDK threw into one of our stable codes. Our own AppErrors (the SSRF
 * refusal, the byte bound) can arrive wrapped in SDK errors, so the cause chain is searched first.
 * A caller's own abort is passed through unchanged: it is not a provider failure.
 */
export function mapProviderError(err: unknown, ctx: ErrorContext): unknown {
  const own = findAppError(err);
  if (own) return own;
  if (ctx.timedOut) {
    return aiError('PROVIDER_TIMEOUT', `The AI provider did not answer within ${ctx.timeoutMs} ms.`, {
      extra: { provider: ctx.providerId, timeoutMs: ctx.timeoutMs },
      cause: err,
    });
  }
  if (isAbort(err)) return err;
  if (APICallError.isInstance(err)) return fromApiCall(err, ctx);
  if (
    JSONParseError.isInstance(err) ||
    TypeValidationError.isInstance(err) ||
    InvalidResponseDataError.isInstance(err) ||
    NoContentGeneratedError.isInstance(err) ||
    EmptyResponseBodyError.isInstance(err)
  ) {
    return badResponse(ctx, err);
  }
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause && cause !== err && (APICallError.isInstance(cause) || JSONParseError.isInstance(cause))) {
    return mapProviderError(cause, ctx);
  }
  return aiError('PROVIDER_UNAVAILABLE', `The AI provider call failed: ${redact(messageOf(err), ctx.apiKey)}`, {
    extra: { provider: ctx.providerId },
    cause: err,
  });
}

function fromApiCall(err: APICallError, ctx: ErrorContext): AppError {
  const status = err.statusCode;
  const detail = providerMessage(err.responseBody, ctx.apiKey);
  const extra: Record<string, unknown> = { provider: ctx.providerId, ...(status ? { status } : {}) };
  if (detail) extra.providerMessage = detail;
  const suffix = detail ? `: ${detail}` : '.';
  if (status === undefined) {
    // fetch itself failed: refused connection, reset, DNS. Never reached the model's answer.
    const cause = messageOf((err as { cause?: unknown }).cause ?? err);
    return aiError('PROVIDER_UNAVAILABLE', `The AI provider could not be reached (${redact(cause, ctx.apiKey)}).`, {
      extra,
      cause: err,
    });
  }
  if (status >= 200 && status < 300) return badResponse(ctx, err);
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(new Headers(err.responseHeaders ?? {}));
    if (retryAfterMs !== undefined) {
      extra.retryAfterMs = retryAfterMs;
      // The HTTP adapter turns this into the Retry-After header of a 429 problem.
      extra.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
    }
    return aiError('PROVIDER_RATE_LIMITED', `The AI provider is rate limiting requests${suffix}`, {
      extra,
      cause: err,
    });
  }
  if (status === 401 || status === 403) {
    return aiError('PROVIDER_AUTH_FAILED', `The AI provider refused the credentials (HTTP ${status})${suffix}`, {
      extra,
      cause: err,
    });
  }
  if (status === 408 || status >= 500) {
    return aiError('PROVIDER_UNAVAILABLE', `The AI provider failed (HTTP ${status})${suffix}`, { extra, cause: err });
  }
  return aiError('PROVIDER_REJECTED', `The AI provider rejected the request (HTTP ${status})${suffix}`, {
    extra,
    cause: err,
  });
}

function badResponse(ctx: ErrorContext, err: unknown): AppError {
  return aiError('PROVIDER_BAD_RESPONSE', 'The AI provider sent a response that is not valid for its protocol.', {
    extra: { provider: ctx.providerId, detail: redact(messageOf(err), ctx.apiKey).slice(0, 300) },
    cause: err,
  });
}

function findAppError(err: unknown): AppError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    if (isAppError(current)) return current;
    seen.add(current);
    // RetryError keeps its attempts in `errors`; the last one is the one that counts.
    const errors = (current as { errors?: unknown[] }).errors;
    const nested = Array.isArray(errors) ? errors.map(findAppError).find(Boolean) : undefined;
    if (nested) return nested;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function isAbort(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}

/** The provider's own error message (OpenAI, Anthropic and Ollama shapes), short and redacted. */
function providerMessage(body: string | undefined, apiKey: string | undefined): string | undefined {
  if (!body) return undefined;
  let message: unknown = body;
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = parsed.error;
    message = typeof e === 'string' ? e : ((e as { message?: unknown } | undefined)?.message ?? parsed.message ?? body);
  } catch {
    // not JSON: the raw text, shortened
  }
  const text = redact(String(message), apiKey).replace(/\s+/g, ' ').trim();
  return text ? text.slice(0, 300) : undefined;
}

function redact(text: string, apiKey: string | undefined): string {
  return apiKey && apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
