import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latestAttempts } from './run-state';

describe('test run on the canvas', () => {
  it('shows the latest attempt of each step', () => {
    const a = (stepId: string, attempt: number, status: string) => ({
      stepId,
      attempt,
      status,
      output: null,
      error: null,
      branch: null,
    });
    const m = latestAttempts([
      a('x', 1, 'failed'),
      a('y', 1, 'succeeded'),
      a('x', 2, 'succeeded'),
      a('y', 1, 'compensated'),
    ]);
    assert.equal(m.get('x')?.status, 'succeeded');
    assert.equal(m.get('y')?.status, 'compensated');
    assert.equal(m.size, 2);
  });
});
