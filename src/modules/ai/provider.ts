/**
 * The AI port. Everything else in the module (and the workflow steps and routes built on it)
 * talks to an `AiProvider`; the adapters behind it are the AI SDK (OpenAI, Anthropic, Ollama,
 * any OpenAI-compatible server) and the offline engine, which has no model and refuses free-form
 * generation with `AI_PROVIDER_REQUIRED`.
 *
 * Invariant: model output is data. It is returned as a string (or JSON parsed with JSON.parse and
 * validated), never evaluated, and its size is bounded before anyone sees it.
 */

export const PROVIDER_KINDS = ['openai', 'anthropic', 'ollama', 'openai-compatible', 'offline'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export interface AiMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface GenerateRequest {
  /** Instructions for the model (the "system" prompt). */
  system?: string;
  /** A single user prompt; use `messages` for a conversation. One of the two is required. */
  prompt?: string;
  messages?: AiMessage[];
  /** Upper bound on generated tokens (default: the provider's `maxOutputTokens`, 4096). */
  maxOutputTokens?: number;
  temperature?: number;
  /** Cancels the call (the provider's own timeout applies as well). */
  signal?: AbortSignal;
}

export interface AiUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Why generation stopped. `length`: the token bound was reached and the text is cut. */
export type FinishReason = 'stop' | 'length' | 'content-filter' | 'tool-calls' | 'error' | 'other';

/** Who answered: every result carries it, so callers can show, log and bill it. */
export interface AiAnswerer {
  /** The configured provider's id (e.g. `instance-openai`, `tenant:acme`, `offline`). */
  provider: string;
  kind: ProviderKind;
  /** The model that answered, as the provider reported it (falls back to the requested model). */
  model: string;
  usage: AiUsage;
}

export interface AiResult extends AiAnswerer {
  text: string;
  finishReason: FinishReason;
  /** Provider warnings (unsupported settings and the like), for logs; never secrets. */
  warnings: string[];
}

/**
 * A streamed generation: iterate it for text deltas; `result` settles when the stream ends with
 * the full text, the usage and the finish reason (and rejects with the same error the iteration
 * threw). Iterate at most once.
 */
export interface AiStream extends AsyncIterable<string> {
  readonly result: Promise<AiResult>;
}

export interface AiProvider {
  readonly id: string;
  readonly kind: ProviderKind;
  /** The model requested by default (for the offline engine, a description of its parts). */
  readonly model: string;
  generate(request: GenerateRequest): Promise<AiResult>;
  stream(request: GenerateRequest): AiStream;
}

export const zeroUsage = (): AiUsage => ({ inputTokens: 0, outputTokens: 0 });

export const addUsage = (a: AiUsage, b: AiUsage): AiUsage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
});
