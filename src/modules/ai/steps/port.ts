import { type AiRuntime, resolveAi } from '../ai.runtime.ts';
import type { Ai } from '../ai.service.ts';
import type { OfflineEngine } from '../offline/offline-engine.ts';
import { costMicroUsd, priceOf } from '../pricing.ts';
import type { AiAnswerer } from '../provider.ts';
import { checkBudget, recordFailure, recordUsage } from '../usage.ts';

/**
 * What the AI step kinds need of the AI runtime, as the engine's `services.ai`. A small port
 * rather than the runtime itself, so the steps name exactly what they use (and a test can count
 * or refuse calls without a database).
 */
export interface AiStepPort {
  /** The tenant's operations: its own provider, else the instance's, else the offline engine. */
  resolve(tenantId: string): Promise<Ai>;
  /** Throws `AI_BUDGET_EXCEEDED` when this month's usage has reached the tenant's limit. */
  checkBudget(tenantId: string): Promise<void>;
  /** Adds calls that answered to the tenant's usage (and so to its budget). */
  recordUsage(tenantId: string, answers: readonly AiAnswerer[]): Promise<void>;
  /** Counts a call that failed, with any usage its error carries. */
  recordFailure(
    tenantId: string,
    answerer: Pick<AiAnswerer, 'provider' | 'kind' | 'model'>,
    error: unknown,
  ): Promise<void>;
  /** Estimated cost of one answer in micro-USD; null when its model is not in the price table. */
  costOf(answer: Pick<AiAnswerer, 'kind' | 'model' | 'usage'>): number | null;
  /** The process's offline engine (the steps rebuild the operations over a journaling provider). */
  readonly offline: OfflineEngine;
  readonly maxInputChars: number;
}

export function createAiStepPort(runtime: AiRuntime): AiStepPort {
  return {
    resolve: async (tenantId) => (await resolveAi(runtime, tenantId)).ai,
    checkBudget: (tenantId) => checkBudget(runtime, tenantId),
    recordUsage: (tenantId, answers) => recordUsage(runtime, tenantId, answers),
    recordFailure: (tenantId, answerer, error) => recordFailure(runtime, tenantId, answerer, error),
    costOf: (answer) => {
      const price = priceOf(answer.kind, answer.model);
      return price.priced ? costMicroUsd(price, answer.usage) : null;
    },
    offline: runtime.offline,
    maxInputChars: runtime.config.maxInputChars,
  };
}
