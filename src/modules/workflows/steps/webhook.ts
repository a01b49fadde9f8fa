import { z } from 'zod';
import { defineStepKind, type StepContext, StepPermanentError } from './step-kind.ts';

const Config = z
  .object({
    /** May hold `{{ }}` templates; checked by the SSRF guard after rendering. */
    url: z.string().min(1).max(4096),
    /** The JSON body; may hold templates. Standard Webhooks suggests `{type, timestamp, data}`. */
    payload: z.unknown().optional(),
    /** Extra headers; `content-type` and the `webhook-*` headers are always ours. */
    headers: z.record(z.string().max(200), z.string().max(8192)).optional(),
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict();

/** Bodies above this are refused before sending (receivers commonly cap around here). */
const MAX_PAYLOAD_BYTES = 1024 * 1024;
/** The part of the receiver's answer kept in the output. */
const MAX_RESPONSE_BYTES = 64 * 1024;
const RESERVED = /^(content-type|webhook-id|webhook-timestamp|webhook-signature)$/i;

/** The signer the runtime provides (`signing-keys.ts`). */
type Sign = (tenantId: string, content: string) => Promise<{ keyId: string; signature: string }>;

/**
 * The message id: one per step of a run, so every attempt of the step (the engine's retries)
 * sends the same `webhook-id` and a receiver that already processed it can drop the repeat.
 */
export const webhookMessageId = (runId: string, stepId: string) => `msg_${runId.replace(/^run_/, '')}_${stepId}`;

/**
 * Sends a signed webhook (Standard Webhooks, https://www.standardwebhooks.com): POSTs the JSON
 * payload with `webhook-id`, `webhook-timestamp` (unix seconds) and
 * `webhook-signature: v1a,<base64 Ed25519 signature of "id.timestamp.body">`, signed with the
 * tenant's private key; receivers verify with `GET /api/v1/webhook-signing-key`. The URL goes
 * through the outbound guard, redirects are not followed, and any answer but a 2xx is an error
 * the step's retry policy retries.
 */
export const webhookStep = defineStepKind({
  type: 'webhook',
  description: 'Send a signed webhook (Standard Webhooks, Ed25519) and expect a 2xx.',
  config: Config,
  pure: false,
  async execute(config, ctx) {
    const fetch = ctx.services.fetch;
    const sign = ctx.services.signWebhook as Sign | undefined;
    if (!fetch || !sign)
      throw new StepPermanentError('Webhooks are not available in this process.', 'STEP_UNAVAILABLE');
    const rendered = (await ctx.render({
      url: config.url,
      headers: config.headers ?? {},
      payload: config.payload,
    })) as {
      url: unknown;
      headers: Record<string, unknown>;
      payload: unknown;
    };
    let url: URL;
    try {
      url = new URL(String(rendered.url));
    } catch {
      throw new StepPermanentError(`Not a valid URL: ${String(rendered.url).slice(0, 200)}`, 'WEBHOOK_INVALID_URL');
    }
    const body = JSON.stringify(rendered.payload ?? null);
    if (Buffer.byteLength(body) > MAX_PAYLOAD_BYTES) {
      throw new StepPermanentError(`The payload is over ${MAX_PAYLOAD_BYTES} bytes.`, 'WEBHOOK_PAYLOAD_TOO_LARGE');
    }
    const messageId = webhookMessageId(ctx.runId, ctx.stepId);
    const timestamp = Math.floor(Date.now() / 1000);
    const { signature } = await sign(ctx.tenantId, `${messageId}.${timestamp}.${body}`);
    const headers = new Headers({ 'user-agent': 'Switchyard-Webhooks/1' });
    for (const [k, v] of Object.entries(rendered.headers)) if (!RESERVED.test(k)) headers.set(k, String(v));
    headers.set('content-type', 'application/json');
    headers.set('webhook-id', messageId);
    headers.set('webhook-timestamp', String(timestamp));
    headers.set('webhook-signature', `v1a,${signature}`);

    const response = await send(fetch, url, { method: 'POST', headers, body }, config.timeoutMs, ctx);
    const text = await readPrefix(response, MAX_RESPONSE_BYTES);
    if (response.status < 200 || response.status >= 300) {
      // Every non-2xx is retried (a receiver's 4xx is often a deploy in progress); redirects are
      // not followed, as the standard asks.
      throw Object.assign(new Error(`The webhook answered ${response.status} (${url.origin}${url.pathname}).`), {
        code: 'WEBHOOK_STATUS',
      });
    }
    return { kind: 'done', output: { status: response.status, messageId, body: parse(text, response) } };
  },
});

async function send(
  fetch: NonNullable<StepContext['services']['fetch']>,
  url: URL,
  init: RequestInit,
  timeoutMs: number,
  ctx: StepContext,
): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]) });
  } catch (err) {
    const e = err as { code?: string; message?: string; name?: string };
    if (e.code === 'OUTBOUND_URL_FORBIDDEN') {
      throw new StepPermanentError(e.message ?? 'URL not allowed', 'OUTBOUND_URL_FORBIDDEN', { url: url.origin });
    }
    if (e.name === 'TimeoutError' || e.name === 'AbortError') {
      throw Object.assign(new Error(`The webhook did not answer within ${timeoutMs} ms.`), { code: 'WEBHOOK_TIMEOUT' });
    }
    throw Object.assign(new Error(`The webhook could not be sent: ${e.message ?? String(err)}`), {
      code: 'WEBHOOK_NETWORK_ERROR',
    });
  }
}

/** The first `max` bytes of the answer (the rest is dropped, not an error: the call succeeded). */
async function readPrefix(response: Response, max: number): Promise<{ text: string; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { text: '', truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
    chunks.push(value);
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { text: Buffer.concat(chunks).subarray(0, max).toString('utf8'), truncated: true };
    }
  }
}

function parse(answer: { text: string; truncated: boolean }, response: Response): unknown {
  if (!answer.truncated && /\bjson\b/i.test(response.headers.get('content-type') ?? '') && answer.text) {
    try {
      return JSON.parse(answer.text);
    } catch {
      return answer.text;
    }
  }
  return answer.text;
}
