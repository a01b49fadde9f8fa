import type { AiUsage, ProviderKind } from './provider.ts';

/**
 * List prices in US dollars per million tokens (input, output), standard tier, no batch or cache
 * discounts, as published by OpenAI and Anthropic. A price change applies to calls recorded after
 * it: `ai_usage` stores the cost computed at record time. Models not listed (and every Ollama or
 * OpenAI-compatible model, whose price we cannot know) cost 0 and are reported `priced: false`, so
 * a budget in dollars does not count them: set a token limit too when they matter.
 */
export const PRICES_USD_PER_MTOK: Readonly<Record<'openai' | 'anthropic', Readonly<Record<string, PriceEntry>>>> = {
  openai: {
    'gpt-5': [1.25, 10],
    'gpt-5-mini': [0.25, 2],
    'gpt-5-nano': [0.05, 0.4],
    'gpt-4.1': [2, 8],
    'gpt-4.1-mini': [0.4, 1.6],
    'gpt-4.1-nano': [0.1, 0.4],
    'gpt-4o': [2.5, 10],
    'gpt-4o-mini': [0.15, 0.6],
    'gpt-4-turbo': [10, 30],
    'gpt-3.5-turbo': [0.5, 1.5],
    o3: [2, 8],
    'o3-mini': [1.1, 4.4],
    'o4-mini': [1.1, 4.4],
    o1: [15, 60],
  },
  anthropic: {
    'claude-opus-4-5': [5, 25],
    'claude-opus-4-1': [15, 75],
    'claude-opus-4': [15, 75],
    'claude-sonnet-4-5': [3, 15],
    'claude-sonnet-4': [3, 15],
    'claude-haiku-4-5': [1, 5],
    'claude-3-7-sonnet': [3, 15],
    'claude-3-5-sonnet': [3, 15],
    'claude-3-5-haiku': [0.8, 4],
    'claude-3-opus': [15, 75],
    'claude-3-haiku': [0.25, 1.25],
  },
};

/** `[input, output]` in USD per million tokens. */
type PriceEntry = readonly [number, number];

/**
 * A dated or aliased snapshot of a listed model prices as the model: `gpt-4o-mini-2024-07-18`,
 * `claude-3-5-sonnet-20241022`, `claude-3-5-haiku-latest`. Nothing else is matched, so
 * `gpt-4o-audio-preview` is not priced as `gpt-4o`.
 */
const SNAPSHOT_SUFFIX = /^(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)?$/;

export interface Price {
  /** Micro-USD per input and output token (= USD per million tokens). */
  input: number;
  output: number;
  /** False when the model is not in the table (its cost is counted as 0). */
  priced: boolean;
}

export function priceOf(kind: ProviderKind, model: string): Price {
  if (kind === 'offline') return { input: 0, output: 0, priced: true };
  if (kind !== 'openai' && kind !== 'anthropic') return { input: 0, output: 0, priced: false };
  const table = PRICES_USD_PER_MTOK[kind];
  const name = model.toLowerCase();
  const exact = table[name];
  if (exact) return { input: exact[0], output: exact[1], priced: true };
  // The longest listed name the model starts with, followed only by a snapshot suffix.
  let best: string | undefined;
  for (const listed of Object.keys(table)) {
    if (name.startsWith(listed) && SNAPSHOT_SUFFIX.test(name.slice(listed.length))) {
      if (!best || listed.length > best.length) best = listed;
    }
  }
  const entry = best ? table[best] : undefined;
  return entry ? { input: entry[0], output: entry[1], priced: true } : { input: 0, output: 0, priced: false };
}

/** Cost of one call's usage in micro-USD, rounded to the nearest micro-dollar. */
export function costMicroUsd(price: Price, usage: AiUsage): number {
  return Math.round(usage.inputTokens * price.input + usage.outputTokens * price.output);
}

/** Whether a model name is one we price (used to keep metric labels bounded). */
export const isListedModel = (kind: ProviderKind, model: string): boolean =>
  (kind === 'openai' || kind === 'anthropic') && priceOf(kind, model).priced;
