import { z } from 'zod';
import { defineStepKind, StepPermanentError } from './step-kind.ts';

const Config = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
    /** May hold `{{ }}` templates; checked by the SSRF guard after rendering. */
    url: z.string().min(1).max(4096),
    headers: z.record(z.string().max(200), z.string().max(8192)).optional(),
    query: z.record(z.string().max(200), z.string().max(4096)).optional(),
    /** JSON body (objects and arrays are sent as JSON; strings as text). */
    body: z.unknown().optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    maxResponseBytes: z
      .number()
      .int()
      .min(1)
      .max(10 * 1024 * 1024)
      .default(1024 * 1024),
    followRedirects: z.boolean().default(true),
    /** Fail the step on a 4xx/5xx answer (4xx: no retry; 5xx and 429: retried). */
    failOnStatus: z.boolean().default(true),
  })
  .strict();

const MAX_REDIRECTS = 5;

/**
 * Calls an HTTP API. Every URL, including each redirect's, goes through the outbound guard
 * (`services.fetch`): loopback, private, link-local and metadata addresses are refused unless the
 * operator allow-listed them (`EGRESS_ALLOWLIST`).
 */
export const httpStep = defineStepKind({
  type: 'http',
  description: 'Call an HTTP API (with an SSRF guard).',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const fetch = ctx.services.fetch;
    if (!fetch) throw new StepPermanentError('HTTP requests are not available in this process.', 'STEP_UNAVAILABLE');
    const rendered = (await ctx.render({
      url: config.url,
      headers: config.headers ?? {},
      query: config.query ?? {},
      body: config.body,
    })) as { url: unknown; headers: Record<string, unknown>; query: Record<string, unknown>; body: unknown };
    let url: URL;
    try {
      url = new URL(String(rendered.url));
    } catch {
      throw new StepPermanentError(`Not a valid URL: ${String(rendered.url).slice(0, 200)}`, 'HTTP_INVALID_URL');
    }
    for (const [k, v] of Object.entries(rendered.query)) url.searchParams.set(k, String(v));
    const headers = new Headers();
    for (const [k, v] of Object.entries(rendered.headers)) headers.set(k, String(v));
    let body: string | undefined;
    if (rendered.body !== undefined && config.method !== 'GET' && config.method !== 'HEAD') {
      if (typeof rendered.body === 'string') body = rendered.body;
      else {
        body = JSON.stringify(rendered.body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
    }
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeoutMs)]);
    let method: string = config.method;
    let response: Response | undefined;
    for (let hop = 0; ; hop++) {
      try {
        response = await fetch(url, { method, headers, body, signal });
      } catch (err) {
        const e = err as { code?: string; message?: string; name?: string };
        if (e.code === 'OUTBOUND_URL_FORBIDDEN') {
          throw new StepPermanentError(e.message ?? 'URL not allowed', 'OUTBOUND_URL_FORBIDDEN', { url: url.origin });
        }
        if (e.name === 'TimeoutError' || e.name === 'AbortError') {
          throw Object.assign(new Error(`HTTP request timed out after ${config.timeoutMs} ms`), {
            code: 'HTTP_TIMEOUT',
          });
        }
        throw Object.assign(new Error(`HTTP request failed: ${e.message ?? String(err)}`), {
          code: 'HTTP_NETWORK_ERROR',
        });
      }
      const location = response.headers.get('location');
      if (!config.followRedirects || response.status < 300 || response.status >= 400 || !location) break;
      if (hop >= MAX_REDIRECTS) throw new StepPermanentError('Too many redirects.', 'HTTP_TOO_MANY_REDIRECTS');
      await response.body?.cancel();
      url = new URL(location, url);
      ctx.log('info', `redirect ${response.status} to ${url.origin}${url.pathname}`);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
    }
    const text = method === 'HEAD' ? '' : await readBounded(response, config.maxResponseBytes);
    const type = response.headers.get('content-type') ?? '';
    let parsed: unknown = text;
    if (/\bjson\b/i.test(type) && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const output = {
      status: response.status,
      headers: Object.fromEntries([...response.headers].filter(([k]) => k !== 'set-cookie')),
      body: parsed,
    };
    if (config.failOnStatus && response.status >= 400) {
      const message = `HTTP ${response.status} from ${url.origin}${url.pathname}`;
      if (response.status === 429 || response.status >= 500) {
        throw Object.assign(new Error(message), { code: 'HTTP_STATUS' });
      }
      throw new StepPermanentError(message, 'HTTP_STATUS', { status: response.status, body: truncate(parsed) });
    }
    return { kind: 'done', output };
  },
});

async function readBounded(response: Response, max: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new StepPermanentError(`The response is larger than ${max} bytes.`, 'HTTP_RESPONSE_TOO_LARGE');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function truncate(v: unknown): unknown {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 2000 ? `${s.slice(0, 2000)}…` : v;
}
