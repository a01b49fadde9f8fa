import type { LanguageModel } from 'ai';
import type { OutboundFetch } from '../../platform/net/index.ts';
import type { AiProvider, AiResult, AiStream, ProviderKind } from './provider.ts';
import { parseProviderConfig, type ProviderConfigInput } from './provider-config.ts';
import { createProviderFetch } from './provider-fetch.ts';
import type * as SdkRuntime from './sdk-runtime.ts';

export interface SdkProviderDeps {
  /** The SSRF-guarded outbound fetch (`createAiOutboundFetch`); all provider traffic goes through it. */
  fetch: OutboundFetch;
}

/**
 * An `AiProvider` backed by the Vercel AI SDK. OpenAI is spoken through its chat-completions API
 * (`openai.chat`), not the newer Responses API, so the same protocol serves OpenAI and the local
 * servers that only implement chat completions; Ollama uses its native `/api/chat`. The SDK itself
 * (sdk-runtime.ts) is imported on the first call, not with this module.
 */
export function createSdkProvider(input: ProviderConfigInput, deps: SdkProviderDeps): AiProvider {
  const config = parseProviderConfig(input);
  // The SDK logs provider warnings to the console by default; ours go into each result instead.
  // `??=` keeps an operator's explicit choice.
  globalThis.AI_SDK_LOG_WARNINGS ??= false;
  const fetch = createProviderFetch(deps.fetch, config);
  let loaded: Promise<{ sdk: typeof SdkRuntime; model: LanguageModel }> | undefined;
  const load = () =>
    (loaded ??= import('./sdk-runtime.ts').then((sdk) => ({ sdk, model: sdk.languageModel(config, fetch) })));
  const kind: ProviderKind = config.kind;
  return {
    id: config.id,
    kind,
    model: config.model,
    generate: async (request) => {
      const { sdk, model } = await load();
      return sdk.generate(config, model, request);
    },
    stream: (request) => lazyStream(load().then(({ sdk, model }) => sdk.stream(config, model, request))),
  };
}

/** An AiStream whose underlying stream is still being created. */
function lazyStream(inner: Promise<AiStream>): AiStream {
  const result: Promise<AiResult> = inner.then((s) => s.result);
  // Nobody has to await `result`; an unobserved rejection must not crash the process.
  result.catch(() => undefined);
  return {
    result,
    async *[Symbol.asyncIterator]() {
      yield* await inner;
    },
  };
}
