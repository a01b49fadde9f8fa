import { setTimeout as sleep } from 'node:timers/promises';
import {
  createOutboundFetch,
  type OutboundFetch,
  type OutboundFetchOptions,
  type OutboundPolicy,
} from '../../platform/net/index.ts';
import { aiError } from './errors.ts';

/**
 * The `fetch` handed to every AI SDK provider. It sits on the SSRF-guarded outbound fetch (so a
 * tenant's base URL cannot reach loopback, the private network or a metadata endpoint unless the
 * operator allow-listed it) and adds the two things the guard does not know about:
 *
 * - **Retries on 408, 429 and 5xx**, honouring `Retry-After` (seconds or an HTTP date) and
 *   `retry-after-ms`. The AI SDK (v7) retries too, but it sleeps up to 60 s per Retry-After with a
 *   fixed 2 s first back-off and no bound on the total; we turn its retries off (`maxRetries: 0`)
 *   and do it here, with full-jitter back-off (so many workers hitting one rate limit do not come
 *   back in lockstep) and a bound on the total sleep. A Retry-After beyond that bound is not
 *   waited for: the 429 goes back to the SDK at once and surfaces as `AI_PROVIDER_RATE_LIMITED`
 *   with `retryAfterMs`, so a workflow can reschedule instead of holding a worker.
 *   Network errors are not retried: a request that may have reached the model could be billed
 *   twice, and the caller (a workflow step) has its own retry policy.
 * - **A byte bound on every response body**, streamed or not, enforced as the bytes arrive.
 */
export interface ProviderFetchOptions {
  maxRetries: number;
  retryBaseDelayMs: number;
  maxRetryWaitMs: number;
  maxResponseBytes: number;
}

const RETRYABLE = (status: number) => status === 408 || status === 429 || status >= 500;

export function createProviderFetch(outbound: OutboundFetch, options: ProviderFetchOptions): typeof fetch {
  const guarded = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    // The AI SDK calls fetch(url, init) with a string body, which is what makes a retry able to
    // send the same request again; a Request object or a stream body would not be replayable.
    if (input instanceof Request || init.body instanceof ReadableStream) {
      throw new TypeError('The AI provider fetch takes a URL and a replayable body.');
    }
    const url = input;
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const response = await outbound(url, init);
      if (!RETRYABLE(response.status) || attempt >= options.maxRetries) {
        return boundBody(response, options.maxResponseBytes);
      }
      const wait = retryDelayMs(response.headers, attempt, options.retryBaseDelayMs);
      if (waited + wait > options.maxRetryWaitMs) return boundBody(response, options.maxResponseBytes);
      await response.body?.cancel().catch(() => undefined);
      waited += wait;
      // Aborting the call (timeout or the caller's signal) cuts the sleep short.
      await sleep(wait, undefined, { signal: init.signal ?? undefined });
    }
  };
  return guarded as typeof fetch;
}

/**
 * The server's Retry-After if it sent one, else full-jitter exponential back-off: a random delay
 * in [0, base·2^attempt], which spreads retries of many concurrent callers over the window.
 */
export function retryDelayMs(headers: Headers, attempt: number, baseMs: number, random = Math.random): number {
  const fromServer = parseRetryAfterMs(headers);
  if (fromServer !== undefined) return fromServer;
  return Math.round(random() * baseMs * 2 ** attempt);
}

/** `retry-after-ms` (OpenAI), then `retry-after` in seconds or as an HTTP date; undefined if absent or junk. */
export function parseRetryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Passes the body through, failing the stream with `AI_OUTPUT_TOO_LARGE` past `max` bytes. */
function boundBody(response: Response, max: number): Response {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge(max);
  }
  if (!response.body) return response;
  let seen = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > max) controller.error(tooLarge(max));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const tooLarge = (max: number) =>
  aiError('OUTPUT_TOO_LARGE', `The provider's response is larger than ${max} bytes.`, { extra: { maxBytes: max } });

/**
 * The outbound fetch for AI traffic: the SSRF guard with timeouts suited to model calls (a
 * non-streamed answer can take a minute before its headers arrive). Build one per process and
 * share it between providers; each provider adds its own retries and bounds on top.
 */
export function createAiOutboundFetch(policy: OutboundPolicy, options: OutboundFetchOptions = {}): OutboundFetch {
  return createOutboundFetch(policy, {
    timeoutMs: options.timeoutMs ?? 600_000,
    // The per-provider bound (boundBody) is the one that should trip; this is the backstop.
    maxResponseBytes: options.maxResponseBytes ?? 64 * 1024 * 1024,
    ...(options.lookup ? { lookup: options.lookup } : {}),
  });
}
