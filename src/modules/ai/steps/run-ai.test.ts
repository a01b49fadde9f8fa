import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StepPermanentError } from '../../workflows/steps/step-kind.ts';
import { aiError } from '../errors.ts';
import { capText } from './journal.ts';
import { asText, toStepError } from './run-ai.ts';

describe('AI step errors and inputs', () => {
  it('fails for good on what retrying cannot fix, keeping the code and the hints', () => {
    for (const name of ['PROVIDER_REQUIRED', 'BUDGET_EXCEEDED', 'PROVIDER_AUTH_FAILED', 'OUTPUT_TOO_LARGE'] as const) {
      const e = toStepError(aiError(name, 'no', { extra: { retryAfterSeconds: 3600 } }));
      assert.ok(e instanceof StepPermanentError, name);
      assert.match(e.code, /^AI_/);
    }
    const budget = toStepError(aiError('BUDGET_EXCEEDED', 'spent', { extra: { retryAfterSeconds: 3600 } }));
    assert.deepEqual((budget as StepPermanentError).details, { retryAfterSeconds: 3600 });
  });

  it('leaves rate limits and outages to the step’s retry policy, with the provider’s hint in the message', () => {
    const e = toStepError(aiError('PROVIDER_RATE_LIMITED', 'Slow down.', { extra: { retryAfterMs: 90_000 } }));
    assert.ok(!(e instanceof StepPermanentError));
    assert.equal((e as { code: string }).code, 'AI_PROVIDER_RATE_LIMITED');
    assert.equal((e as Error).message, 'Slow down. (the provider asked to wait 90000 ms)');
    assert.ok(!(toStepError(aiError('PROVIDER_UNAVAILABLE', 'down')) instanceof StepPermanentError));
    // Not an AI error (a step timeout's abort): passed through for the engine to classify.
    const abort = new DOMException('aborted', 'AbortError');
    assert.equal(toStepError(abort), abort);
  });

  it('reads templated values as text and caps journal texts', () => {
    assert.equal(asText({ a: 1 }, 'text'), '{"a":1}');
    assert.throws(() => asText(undefined, 'text'), { code: 'AI_REQUEST_INVALID' });
    assert.throws(() => asText('  ', 'prompt'), /prompt is empty/);
    assert.equal(capText('abcdef', 4), 'abcd… [2 more characters]');
    assert.equal(capText('abc', 4), 'abc');
  });
});
