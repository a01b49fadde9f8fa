import { z } from 'zod';
import { aiError } from './errors.ts';

/**
 * One provider's configuration, as the instance operator (env/config file) or a tenant admin
 * (stored encrypted, by the routes work) gives it. Parsed here so both paths share one set of
 * defaults and bounds. `apiKey` is a secret: it goes into request headers and nowhere else (not
 * into results, errors or logs).
 */
export const ProviderConfigSchema = z
  .object({
    /** Stable id reported in every result, e.g. `instance` or `tenant`. */
    id: z.string().min(1).max(100),
    kind: z.enum(['openai', 'anthropic', 'ollama', 'openai-compatible']),
    /** The model to request, e.g. `gpt-4o-mini`, `claude-sonnet-4-5`, `llama3.2`. */
    model: z.string().min(1).max(200),
    /**
     * Default per kind: OpenAI `https://api.openai.com/v1`, Anthropic `https://api.anthropic.com/v1`,
     * Ollama `http://127.0.0.1:11434/api` (loopback: refused by the SSRF guard unless the operator
     * allow-lists it). Required for `openai-compatible`.
     */
    baseUrl: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    /** Required for OpenAI and Anthropic; optional for Ollama and OpenAI-compatible servers. */
    apiKey: z.string().min(1).max(4096).optional(),
    /** Whole call, retries and streaming included (default 120 s). */
    timeoutMs: z.number().int().min(100).max(600_000).default(120_000),
    /** Retries on 408, 429 and 5xx (default 2). */
    maxRetries: z.number().int().min(0).max(5).default(2),
    /** First back-off when the server gives no Retry-After; doubles per retry, jittered (default 500 ms). */
    retryBaseDelayMs: z.number().int().min(0).max(60_000).default(500),
    /**
     * Total time we will sleep between retries (default 20 s). A Retry-After that would exceed it
     * ends the call at once with `AI_PROVIDER_RATE_LIMITED` and `retryAfterMs`, so a workflow can
     * reschedule instead of holding a worker.
     */
    maxRetryWaitMs: z.number().int().min(0).max(300_000).default(20_000),
    /** Token bound sent with every request unless the request asks for less (default 4096). */
    maxOutputTokens: z.number().int().min(1).max(200_000).default(4096),
    /** Bytes read from one response, streamed or not (default 4 MiB). */
    maxResponseBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(4 * 1024 * 1024),
    /** Characters of generated text returned to the caller (default 200,000). */
    maxOutputChars: z.number().int().min(1).max(10_000_000).default(200_000),
  })
  .strict();

export type ProviderConfig = z.output<typeof ProviderConfigSchema>;
export type ProviderConfigInput = z.input<typeof ProviderConfigSchema>;

export const DEFAULT_BASE_URLS = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com/v1',
  ollama: 'http://127.0.0.1:11434/api',
} as const;

/** Parses and checks a provider configuration; `AI_PROVIDER_CONFIG_INVALID` lists every problem. */
export function parseProviderConfig(input: unknown): ProviderConfig {
  const parsed = ProviderConfigSchema.safeParse(input);
  const issues = parsed.success
    ? []
    : parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  // Checked on the raw input too, so one error lists these alongside the schema's problems.
  const c = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  if ((c.kind === 'openai' || c.kind === 'anthropic') && !c.apiKey) {
    issues.push({ path: 'apiKey', message: `An API key is required for ${c.kind}.` });
  }
  if (c.kind === 'openai-compatible' && !c.baseUrl) {
    issues.push({ path: 'baseUrl', message: 'A base URL is required for an OpenAI-compatible server.' });
  }
  if (issues.length > 0 || !parsed.success) {
    throw aiError('CONFIG_INVALID', 'The AI provider configuration is not valid.', { issues });
  }
  return parsed.data;
}
