import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, type LanguageModel, type ModelMessage, type Warning } from 'ai';
import { createOllama } from 'ollama-ai-provider-v2';
import { aiError } from './errors.ts';
import { type AiResult, type AiStream, type FinishReason, type GenerateRequest } from './provider.ts';
import { DEFAULT_BASE_URLS, type ProviderConfig } from './provider-config.ts';
import { mapProviderError } from './sdk-errors.ts';

/**
 * The AI SDK side of `createSdkProvider` (sdk-provider.ts), loaded on a provider's first call:
 * the `ai` package alone is ~22 MB resident, which a process that never calls a model (offline
 * engine only, or no AI at all) should not carry.
 */
export function languageModel(config: ProviderConfig, fetch: typeof globalThis.fetch): LanguageModel {
  const { apiKey, model } = config;
  switch (config.kind) {
    case 'openai':
      return createOpenAI({ apiKey, baseURL: config.baseUrl ?? DEFAULT_BASE_URLS.openai, fetch }).chat(model);
    case 'anthropic':
      return createAnthropic({ apiKey, baseURL: config.baseUrl ?? DEFAULT_BASE_URLS.anthropic, fetch })(model);
    case 'ollama':
      return createOllama({
        baseURL: config.baseUrl ?? DEFAULT_BASE_URLS.ollama,
        fetch,
        // Ollama itself has no keys; a reverse proxy in front of it may want one.
        ...(apiKey ? { headers: { authorization: `Bearer ${apiKey}` } } : {}),
      })(model);
    case 'openai-compatible':
      return createOpenAICompatible({
        name: 'openai-compatible',
        baseURL: config.baseUrl ?? '',
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
        fetch,
      }).chatModel(model);
  }
}

/** The per-call signal: the caller's, plus our timeout over the whole call (retries included). */
function callSignal(config: ProviderConfig, request: GenerateRequest) {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('AI provider timeout', 'TimeoutError')),
    config.timeoutMs,
  );
  const signal = request.signal ? AbortSignal.any([request.signal, timeout.signal]) : timeout.signal;
  return {
    signal,
    /** Aborts the call from inside (e.g. output too large, or a stream left early). */
    abort: (reason: unknown) => timeout.abort(reason),
    timedOut: () => timeout.signal.aborted && (timeout.signal.reason as { name?: string })?.name === 'TimeoutError',
    dispose: () => clearTimeout(timer),
  };
}

function promptOf(config: ProviderConfig, request: GenerateRequest) {
  const messages: ModelMessage[] | undefined = request.messages?.map((m) => ({ role: m.role, content: m.content }));
  if (!messages?.length && !request.prompt) {
    throw aiError('REQUEST_INVALID', 'A prompt or at least one message is required.');
  }
  return {
    ...(request.system ? { instructions: request.system } : {}),
    ...(messages?.length ? { messages } : { prompt: request.prompt ?? '' }),
    maxOutputTokens: Math.min(request.maxOutputTokens ?? config.maxOutputTokens, config.maxOutputTokens),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    // Retries are ours (provider-fetch.ts): bounded, jittered, honouring Retry-After.
    maxRetries: 0,
  };
}

export async function generate(
  config: ProviderConfig,
  model: LanguageModel,
  request: GenerateRequest,
): Promise<AiResult> {
  const prompt = promptOf(config, request);
  const call = callSignal(config, request);
  try {
    const r = await generateText({ model, ...prompt, abortSignal: call.signal });
    if (r.text.length > config.maxOutputChars) throw outputTooLarge(config.maxOutputChars);
    return {
      text: r.text,
      provider: config.id,
      kind: config.kind,
      model: r.response.modelId || config.model,
      usage: { inputTokens: r.usage.inputTokens ?? 0, outputTokens: r.usage.outputTokens ?? 0 },
      finishReason: finishOf(r.finishReason),
      warnings: r.warnings?.map(describeWarning) ?? [],
    };
  } catch (err) {
    throw mapProviderError(err, errorContext(config, call.timedOut()));
  } finally {
    call.dispose();
  }
}

export function stream(config: ProviderConfig, model: LanguageModel, request: GenerateRequest): AiStream {
  let settle!: { resolve: (r: AiResult) => void; reject: (e: unknown) => void };
  const result = new Promise<AiResult>((resolve, reject) => (settle = { resolve, reject }));
  // Nobody has to await `result`; an unobserved rejection must not crash the process.
  result.catch(() => undefined);
  let started = false;

  async function* iterate(): AsyncGenerator<string> {
    if (started) throw new Error('An AI stream can be iterated only once.');
    started = true;
    let prompt: ReturnType<typeof promptOf>;
    try {
      prompt = promptOf(config, request);
    } catch (err) {
      settle.reject(err);
      throw err;
    }
    const call = callSignal(config, request);
    let text = '';
    let finished = false;
    try {
      const sdk = streamText({ model, ...prompt, abortSignal: call.signal, onError: () => undefined });
      let finish: { reason: FinishReason; input: number; output: number } | undefined;
      let warnings: string[] = [];
      for await (const part of sdk.fullStream) {
        if (part.type === 'text-delta') {
          text += part.text;
          if (text.length > config.maxOutputChars) {
            const err = outputTooLarge(config.maxOutputChars);
            call.abort(err);
            throw err;
          }
          if (part.text) yield part.text;
        } else if (part.type === 'error') {
          throw part.error;
        } else if (part.type === 'abort') {
          throw call.signal.reason ?? new DOMException('The AI stream was aborted.', 'AbortError');
        } else if (part.type === 'start-step') {
          warnings = part.warnings.map(describeWarning);
        } else if (part.type === 'finish') {
          finish = {
            reason: finishOf(part.finishReason),
            input: part.totalUsage.inputTokens ?? 0,
            output: part.totalUsage.outputTokens ?? 0,
          };
        }
      }
      const response = await sdk.response;
      finished = true;
      settle.resolve({
        text,
        provider: config.id,
        kind: config.kind,
        model: response.modelId || config.model,
        usage: { inputTokens: finish?.input ?? 0, outputTokens: finish?.output ?? 0 },
        finishReason: finish?.reason ?? 'other',
        warnings,
      });
    } catch (err) {
      const mapped = mapProviderError(err, errorContext(config, call.timedOut()));
      finished = true;
      settle.reject(mapped);
      throw mapped;
    } finally {
      if (!finished) {
        // The consumer stopped early (break/return): stop the request and say so.
        const reason = new DOMException('The AI stream was closed before it ended.', 'AbortError');
        call.abort(reason);
        settle.reject(reason);
      }
      call.dispose();
    }
  }

  return { result, [Symbol.asyncIterator]: iterate };
}

const errorContext = (config: ProviderConfig, timedOut: boolean) => ({
  providerId: config.id,
  apiKey: config.apiKey,
  timedOut,
  timeoutMs: config.timeoutMs,
});

const outputTooLarge = (max: number) =>
  aiError('OUTPUT_TOO_LARGE', `The generated text is longer than ${max} characters.`, { extra: { maxChars: max } });

function finishOf(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'content-filter':
    case 'tool-calls':
    case 'error':
      return reason;
    default:
      return 'other';
  }
}

function describeWarning(w: Warning): string {
  if (w.type === 'other') return w.message;
  if (w.type === 'deprecated') return `deprecated: ${w.setting} (${w.message})`;
  return `${w.type}: ${w.feature}${w.details ? ` (${w.details})` : ''}`;
}
