import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AttemptLike,
  describeError,
  describeWait,
  failedStep,
  latestAttempts,
  logLines,
  pendingApproval,
  type RunLike,
  timelineBars,
} from './run-view.ts';

const attempt = (over: Partial<AttemptLike>): AttemptLike => ({
  id: `att_${over.stepId ?? 'a'}_${over.attempt ?? 1}`,
  stepId: 'a',
  stepType: 'transform',
  attempt: 1,
  status: 'succeeded',
  error: null,
  waitState: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z',
  ...over,
});
const run = (over: Partial<RunLike>): RunLike => ({
  status: 'succeeded',
  error: null,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:10.000Z',
  createdAt: '2026-01-01T00:00:00.000Z',
  attempts: [],
  ...over,
});

describe('run view', () => {
  it('puts any error into a code and a message', () => {
    assert.equal(describeError(null), null);
    assert.deepEqual(describeError({ code: 'HTTP_STATUS', message: '503 from api', stepId: 'fetch' }), {
      code: 'HTTP_STATUS',
      message: '503 from api',
      stepId: 'fetch',
    });
    assert.deepEqual(describeError('boom'), { code: 'ERROR', message: 'boom' });
    assert.deepEqual(describeError({ reason: 1 }), { code: 'ERROR', message: 'No message was recorded.' });
  });

  it('reads what a wait waits for', () => {
    assert.deepEqual(
      describeWait({
        waitFor: 'approval',
        until: '2026-01-08T00:00:00Z',
        state: { message: 'Ship?', notify: ['a@b.c'] },
      }),
      { waitFor: 'approval', until: '2026-01-08T00:00:00Z', message: 'Ship?', notify: ['a@b.c'] },
    );
    assert.equal(describeWait(null), null);
  });

  it('finds the pending approval only on a waiting run, by its latest attempt', () => {
    const ask = attempt({
      stepId: 'ask',
      stepType: 'approval',
      status: 'waiting',
      finishedAt: null,
      waitState: { waitFor: 'approval', state: { message: 'Ship?' } },
    });
    assert.equal(pendingApproval({ ...run({ status: 'waiting' }), attempts: [ask] })?.stepId, 'ask');
    assert.equal(pendingApproval({ ...run({ status: 'running' }), attempts: [ask] }), undefined);
    const retried = [attempt({ stepId: 'ask', stepType: 'approval', status: 'failed' }), { ...ask, attempt: 2 }];
    assert.equal(latestAttempts(retried).length, 1);
    assert.equal(pendingApproval({ ...run({ status: 'waiting' }), attempts: retried })?.attempt, 2);
  });

  it('names the failed step from the error, else the last failed attempt', () => {
    assert.equal(failedStep(run({ status: 'failed', error: { code: 'X', message: 'm', stepId: 'pay' } })), 'pay');
    assert.equal(
      failedStep(
        run({ status: 'failed', attempts: [attempt({ stepId: 'a' }), attempt({ stepId: 'b', status: 'failed' })] }),
      ),
      'b',
    );
    assert.equal(failedStep(run({ status: 'succeeded' })), undefined);
  });

  it('lays attempts on the run’s time axis, live ones up to now', () => {
    const a = attempt({ stepId: 'a', finishedAt: '2026-01-01T00:00:05.000Z' });
    const b = attempt({ stepId: 'b', startedAt: '2026-01-01T00:00:05.000Z', finishedAt: null });
    const bars = timelineBars(
      run({ finishedAt: null, status: 'running', attempts: [a, b] }),
      Date.parse('2026-01-01T00:00:10Z'),
    );
    assert.deepEqual(bars.get(a.id), { offset: 0, width: 50, durationMs: 5000 });
    assert.deepEqual(bars.get(b.id), { offset: 50, width: 50, durationMs: null });
    const instant = attempt({ stepId: 'c', finishedAt: '2026-01-01T00:00:00.000Z' });
    assert.equal(timelineBars(run({ attempts: [instant] }), 0).get(instant.id)?.width, 0.8);
  });

  it('reads logs as lines', () => {
    assert.equal(logLines(null), null);
    assert.deepEqual(logLines([{ level: 'warn', message: 'slow', at: 'x' }, 'plain']), [
      { level: 'warn', message: 'slow', at: 'x' },
      { level: 'info', message: 'plain', at: undefined },
    ]);
  });
});
