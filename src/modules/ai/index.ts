/** The AI module's surface: the provider port, its adapters, the operations and the offline engine. */
export {
  addUsage,
  PROVIDER_KINDS,
  zeroUsage,
  type AiAnswerer,
  type AiMessage,
  type AiProvider,
  type AiResult,
  type AiStream,
  type AiUsage,
  type FinishReason,
  type GenerateRequest,
  type ProviderKind,
} from './provider.ts';
export {
  createAi,
  type Ai,
  type AiDeps,
  type ClassifyResult,
  type EntitiesResult,
  type KeywordsResult,
  type LanguageResult,
  type SentimentResult,
  type SummarizeOptions,
  type SummaryResult,
} from './ai.service.ts';
export { compileSchema, type ExtractOptions, type ExtractResult } from './extract.ts';
export { AI_ERRORS, type AiErrorName } from './errors.ts';
export {
  DEFAULT_BASE_URLS,
  parseProviderConfig,
  ProviderConfigSchema,
  type ProviderConfig,
  type ProviderConfigInput,
} from './provider-config.ts';
export { createAiOutboundFetch } from './provider-fetch.ts';
export { createSdkProvider, type SdkProviderDeps } from './sdk-provider.ts';
export {
  createOfflineEngine,
  createOfflineProvider,
  OFFLINE_MODEL,
  type OfflineEngine,
} from './offline/offline-engine.ts';
export type { LabelSpec } from './offline/classify.ts';
export { aiProviders, aiUsage } from './ai.table.ts';
export {
  createAiRuntime,
  createTrustedOriginFetch,
  resolveAi,
  type AiRuntime,
  type AiRuntimeOptions,
} from './ai.runtime.ts';
export {
  answererOf,
  checkBudget,
  meteredCall,
  recordFailure,
  recordUsage,
  usageThisMonth,
  type MonthUsage,
} from './usage.ts';
export { costMicroUsd, priceOf, PRICES_USD_PER_MTOK, type Price } from './pricing.ts';
export { describeProvider, providerKeyAad, type ProviderView } from './tenant-provider.ts';
export { analyzeDocument, type DocumentAnalysis, type DocumentKind } from './document/analyze.ts';
export { CLAUSE_RULES, DOCUMENT_RULES, reviewContract, type RiskFinding } from './document/contract.ts';
export { aiRoutes } from './http/ai.routes.ts';
export { AI_STEP_LIMITS, aiStepKinds, createAiStepPort, type AiStepPort, UNMATCHED_BRANCH } from './steps/index.ts';
