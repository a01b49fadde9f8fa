import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { costMicroUsd, priceOf } from './pricing.ts';

describe('AI price table', () => {
  it('prices listed models and their dated snapshots, per million tokens', () => {
    assert.deepEqual(priceOf('openai', 'gpt-4o-mini'), { input: 0.15, output: 0.6, priced: true });
    assert.deepEqual(priceOf('openai', 'gpt-4o-mini-2024-07-18'), { input: 0.15, output: 0.6, priced: true });
    assert.deepEqual(priceOf('anthropic', 'claude-3-5-sonnet-20241022'), { input: 3, output: 15, priced: true });
    assert.deepEqual(priceOf('anthropic', 'claude-3-5-haiku-latest'), { input: 0.8, output: 4, priced: true });
    // 1M input + 1M output tokens of gpt-4o: $2.50 + $10.00.
    assert.equal(costMicroUsd(priceOf('openai', 'gpt-4o'), { inputTokens: 1e6, outputTokens: 1e6 }), 12_500_000);
  });

  it('prices nothing it does not know, and flags it, rather than guessing from a prefix', () => {
    assert.deepEqual(priceOf('openai', 'gpt-4o-audio-preview'), { input: 0, output: 0, priced: false });
    assert.deepEqual(priceOf('openai', 'my-finetune'), { input: 0, output: 0, priced: false });
    assert.deepEqual(priceOf('ollama', 'llama3.2'), { input: 0, output: 0, priced: false });
    assert.deepEqual(priceOf('openai-compatible', 'gpt-4o'), { input: 0, output: 0, priced: false });
    assert.deepEqual(priceOf('offline', 'anything'), { input: 0, output: 0, priced: true });
  });
});
