import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSandbox, type Sandbox } from '../../../platform/sandbox/sandbox.ts';
import { codeStep } from './code.ts';
import { StepPermanentError, type StepContext, type StepServices } from './step-kind.ts';

let sandbox: Sandbox;
before(() => {
  sandbox = createSandbox({ poolSize: 1 });
});
after(async () => {
  await sandbox.close();
});

type LogLine = [level: string, message: string];

/** A plain StepContext whose runCode is the real sandbox. */
function fakeContext(services?: StepServices): { ctx: StepContext; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const ctx: StepContext = {
    tenantId: 'tenant-1',
    runId: 'run-1',
    stepId: 'code-1',
    attempt: 1,
    scope: {
      trigger: { items: [1, 2, 3] },
      steps: { lookup: { output: { factor: 10 } } },
      run: { id: 'run-1', workflowId: 'wf-1', version: 1, startedAt: '2024-01-01T00:00:00.000Z' },
      item: 'b',
      index: 1,
    },
    signal: new AbortController().signal,
    log: (level, message) => {
      logs.push([level, message]);
    },
    evaluate: () => Promise.reject(new Error('not used')),
    render: (value) => Promise.resolve(value),
    services: services ?? { runCode: (code, input, limits) => sandbox.run(code, input, limits) },
  };
  return { ctx, logs };
}

const run = (config: unknown, ctx: StepContext) => codeStep.execute(codeStep.config.parse(config), ctx);

describe('code step', () => {
  it('validates its config', () => {
    assert.ok(codeStep.config.safeParse({ code: 'return 1', timeoutMs: 10, memoryMb: 256 }).success);
    for (const bad of [
      {},
      { code: '' },
      { code: 'x'.repeat(100_001) },
      { code: 'return 1', timeoutMs: 9 },
      { code: 'return 1', timeoutMs: 30_001 },
      { code: 'return 1', timeoutMs: 1.5 },
      { code: 'return 1', memoryMb: 0 },
      { code: 'return 1', memoryMb: 257 },
      { code: 'return 1', unknown: true },
    ]) {
      assert.equal(codeStep.config.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 80));
    }
    assert.equal(codeStep.pure, false);
  });

  it('is done with what the code returns; console lines go to the step log', async () => {
    const { ctx, logs } = fakeContext();
    const outcome = await run(
      {
        code: `console.log('got', input.trigger.items.length);
               console.warn('careful');
               return {
                 scaled: input.trigger.items.map((x) => x * input.steps.lookup.output.factor),
                 item: input.item, index: input.index, keys: Object.keys(input),
               };`,
      },
      ctx,
    );
    assert.deepEqual(outcome, {
      kind: 'done',
      output: { scaled: [10, 20, 30], item: 'b', index: 1, keys: ['trigger', 'steps', 'item', 'index'] },
    });
    assert.deepEqual(logs, [
      ['info', 'got 3'],
      ['info', '[warn] careful'],
    ]);
  });

  it('fails permanently, with the sandbox code, on what the code decides', async () => {
    const { ctx, logs } = fakeContext();
    const cases: [config: Record<string, unknown>, code: string][] = [
      [{ code: 'console.log("before"); throw new Error("nope")' }, 'SANDBOX_ERROR'],
      [{ code: 'return () => 1' }, 'SANDBOX_BAD_RESULT'],
      [{ code: "return 'x'.repeat(300 * 1024)" }, 'SANDBOX_OUTPUT_TOO_LARGE'],
      [{ code: "return 'x'.repeat(4 * 1024 * 1024).length", memoryMb: 1 }, 'SANDBOX_MEMORY'],
    ];
    for (const [config, code] of cases) {
      await assert.rejects(run(config, ctx), (err: unknown) => {
        assert.ok(err instanceof StepPermanentError, String(err));
        assert.equal(err.code, code);
        return true;
      });
    }
    assert.deepEqual(logs, [['info', 'before']]);
  });

  it('fails retryably (plain Error) on a timeout', async () => {
    const { ctx } = fakeContext();
    await assert.rejects(run({ code: 'while (true) {}', timeoutMs: 50 }, ctx), (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.ok(!(err instanceof StepPermanentError));
      assert.equal((err as Error & { code?: string }).code, 'SANDBOX_TIMEOUT');
      assert.match(err.message, /50 ms/);
      return true;
    });
  });

  it('fails retryably when the sandbox itself is unavailable, permanently when the process has none', async () => {
    const closed = createSandbox({ poolSize: 1 });
    await closed.close();
    const { ctx } = fakeContext({ runCode: (code, input, limits) => closed.run(code, input, limits) });
    await assert.rejects(run({ code: 'return 1' }, ctx), (err: unknown) => {
      assert.ok(err instanceof Error && !(err instanceof StepPermanentError));
      return true;
    });
    const { ctx: without } = fakeContext({});
    await assert.rejects(run({ code: 'return 1' }, without), (err: unknown) => {
      assert.ok(err instanceof StepPermanentError);
      assert.equal(err.code, 'STEP_UNAVAILABLE');
      return true;
    });
  });
});
