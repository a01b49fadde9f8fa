import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { WorkflowDefinitionSchema, type WorkflowDefinitionInput } from './definition.ts';
import {
  compilePlan,
  type ExecutionPlan,
  findCycles,
  isComplete,
  nextSteps,
  PlanError,
  type StepState,
} from './graph.ts';

type EdgeSpec = [from: string, to: string, when?: string];

function plan(steps: (string | { id: string; disabled?: boolean })[], edges: EdgeSpec[]): ExecutionPlan {
  const input: WorkflowDefinitionInput = {
    trigger: { type: 'manual' },
    steps: steps.map((s) =>
      typeof s === 'string' ? { id: s, type: 'transform' } : { id: s.id, type: 'transform', disabled: s.disabled },
    ),
    edges: edges.map(([from, to, when]) => (when === undefined ? { from, to } : { from, to, when })),
  };
  return compilePlan(WorkflowDefinitionSchema.parse(input));
}

/** Drives a plan to the end: every ready step finishes with the branch `outcome` picks. */
function simulate(p: ExecutionPlan, outcome: (id: string) => string | undefined = () => undefined) {
  const state = new Map<string, StepState>();
  const log: string[] = [];
  for (let round = 0; round <= p.order.length + 1; round++) {
    const { ready, skip, passThrough } = nextSteps(p, state);
    for (const id of skip) {
      state.set(id, { status: 'skipped' });
      log.push(`-${id}`);
    }
    for (const id of passThrough) {
      state.set(id, { status: 'done' });
      log.push(`~${id}`);
    }
    if (ready.length === 0) break;
    for (const id of ready) {
      state.set(id, { status: 'done', branch: outcome(id) });
      log.push(`+${id}`);
    }
  }
  return { state, log };
}

describe('compilePlan', () => {
  it('orders steps topologically, keeping definition order for ties', () => {
    const p = plan(
      ['c', 'a', 'b', 'd'],
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
    );
    assert.deepEqual(p.order, ['a', 'b', 'c', 'd']);
    assert.deepEqual(p.roots, ['a', 'd']);
    assert.deepEqual(p.leaves, ['c', 'd']);
    const b = p.steps.get('b');
    assert.equal(b?.type, 'transform');
    assert.deepEqual(b?.predecessors, [{ from: 'a', to: 'b' }]);
    assert.deepEqual(b?.successors, [{ from: 'b', to: 'c' }]);
    assert.deepEqual(b?.policy, {
      retry: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000 },
      timeoutMs: 60_000,
    });
  });

  it('applies step retry and timeout over the settings', () => {
    const p = compilePlan(
      WorkflowDefinitionSchema.parse({
        trigger: { type: 'manual' },
        steps: [{ id: 'a', type: 'transform', retry: { maxAttempts: 1 }, timeoutMs: 500 }],
        settings: { retry: { backoffMs: 10, maxBackoffMs: 20 } },
      }),
    );
    assert.deepEqual(p.steps.get('a')?.policy, {
      retry: { maxAttempts: 1, backoffMs: 10, maxBackoffMs: 20 },
      timeoutMs: 500,
    });
  });

  it("applies defaults to a definition read back from storage, leaving the caller's objects alone", () => {
    const stored = {
      trigger: { type: 'manual' },
      steps: [{ id: 'a', type: 'transform', config: { expression: '1' } }],
    };
    const p = compilePlan(stored as never);
    assert.equal(p.definition.settings.concurrency, 10);
    assert.deepEqual(p.definition.edges, []);
    assert.equal(Object.isFrozen(stored.steps[0]?.config), false);
    assert.equal(Object.isFrozen(p.steps.get('a')?.config), true);
    assert.throws(() => compilePlan({ steps: [] } as never), PlanError);
  });

  it('is immutable', () => {
    const p = plan(['a', 'b'], [['a', 'b']]);
    assert.throws(() => (p.order as string[]).push('x'), TypeError);
    assert.throws(() => (p.steps as Map<string, unknown>).set('x', {}), TypeError);
    assert.throws(() => (p.steps as Map<string, unknown>).delete('a'), TypeError);
    assert.throws(() => {
      (p.definition.steps[0] as { id: string }).id = 'z';
    }, TypeError);
    assert.throws(() => {
      (p.steps.get('a') as { index: number }).index = 5;
    }, TypeError);
  });

  it('refuses graphs it cannot order', () => {
    assert.throws(
      () =>
        plan(
          ['a', 'b', 'c'],
          [
            ['a', 'b'],
            ['b', 'c'],
            ['c', 'a'],
          ],
        ),
      (e: unknown) => e instanceof PlanError && /a → b → c → a/.test(e.message),
    );
    assert.throws(() => plan(['a'], [['a', 'a']]), PlanError);
    assert.throws(() => plan(['a'], [['a', 'zz']]), PlanError);
    assert.throws(() => plan(['a', 'a'], []), PlanError);
  });

  it('finds each cycle with its steps in order', () => {
    assert.deepEqual(
      findCycles(
        ['a', 'b', 'c', 'd', 'e', 'f'],
        [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
          { from: 'c', to: 'b' },
          { from: 'd', to: 'e' },
          { from: 'e', to: 'f' },
          { from: 'f', to: 'd' },
          { from: 'c', to: 'd' },
        ],
      ),
      [
        ['b', 'c'],
        ['d', 'e', 'f'],
      ],
    );
    assert.deepEqual(findCycles(['a', 'b'], [{ from: 'a', to: 'b' }]), []);
  });
});

describe('nextSteps', () => {
  it('runs a linear chain one step at a time', () => {
    const p = plan(
      ['a', 'b', 'c'],
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
    );
    assert.deepEqual(nextSteps(p, {}), { ready: ['a'], skip: [], passThrough: [] });
    assert.deepEqual(nextSteps(p, { a: { status: 'running' } }).ready, []);
    assert.deepEqual(nextSteps(p, { a: { status: 'done' } }).ready, ['b']);
    assert.deepEqual(nextSteps(p, { a: { status: 'done' }, b: { status: 'done' } }).ready, ['c']);
    assert.equal(isComplete(p, { a: { status: 'done' }, b: { status: 'done' } }), false);
    assert.equal(isComplete(p, { a: { status: 'done' }, b: { status: 'done' }, c: { status: 'done' } }), true);
  });

  it('joins a diamond only when both sides are finished', () => {
    const p = plan(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    );
    assert.deepEqual(nextSteps(p, { a: { status: 'done' } }).ready, ['b', 'c']);
    assert.deepEqual(
      nextSteps(p, { a: { status: 'done' }, b: { status: 'done' }, c: { status: 'waiting' } }).ready,
      [],
    );
    assert.deepEqual(nextSteps(p, { a: { status: 'done' }, b: { status: 'done' }, c: { status: 'done' } }).ready, [
      'd',
    ]);
  });

  it('follows only the branch taken and propagates skips, joining after the branches', () => {
    // check → yes → notify → end ; check → no → log → end ; end also after check directly.
    const p = plan(
      ['check', 'yes', 'notify', 'no', 'log', 'end'],
      [
        ['check', 'yes', 'true'],
        ['check', 'no', 'false'],
        ['yes', 'notify'],
        ['no', 'log'],
        ['notify', 'end'],
        ['log', 'end'],
      ],
    );
    const afterCheck = nextSteps(p, { check: { status: 'done', branch: 'true' } });
    assert.deepEqual(afterCheck, { ready: ['yes'], skip: ['no', 'log'], passThrough: [] });
    const { log, state } = simulate(p, (id) => (id === 'check' ? 'false' : undefined));
    assert.deepEqual(log, ['+check', '-yes', '-notify', '+no', '+log', '+end']);
    assert.equal(isComplete(p, state), true);
  });

  it('skips a step none of whose incoming edges was taken, transitively', () => {
    const p = plan(
      ['s', 'a', 'b', 'c'],
      [
        ['s', 'a', 'x'],
        ['a', 'b'],
        ['b', 'c'],
        ['s', 'c', 'y'],
      ],
    );
    assert.deepEqual(nextSteps(p, { s: { status: 'done', branch: 'z' } }), {
      ready: [],
      skip: ['a', 'b', 'c'],
      passThrough: [],
    });
    // A done source with no branch takes only its unconditional edges.
    assert.deepEqual(nextSteps(p, { s: { status: 'done' } }).skip, ['a', 'b', 'c']);
  });

  it('lets several edges from one switch reach the same step', () => {
    const p = plan(
      ['sw', 'hit'],
      [
        ['sw', 'hit', 'a'],
        ['sw', 'hit', 'b'],
      ],
    );
    assert.deepEqual(nextSteps(p, { sw: { status: 'done', branch: 'b' } }).ready, ['hit']);
    assert.deepEqual(nextSteps(p, { sw: { status: 'done', branch: 'c' } }).skip, ['hit']);
  });

  it('starts every root at once', () => {
    const p = plan(
      ['a', 'b', 'c', 'join'],
      [
        ['a', 'join'],
        ['b', 'join'],
        ['c', 'join'],
      ],
    );
    assert.deepEqual(nextSteps(p, new Map()).ready, ['a', 'b', 'c']);
    assert.deepEqual(
      nextSteps(p, new Map<string, StepState>([['b', { status: 'done' }]])).ready,
      ['a', 'c'],
      'a running step is not ready again',
    );
    const { log } = simulate(p);
    assert.deepEqual(log, ['+a', '+b', '+c', '+join']);
  });

  it('passes disabled steps through as done without a branch', () => {
    const p = plan(
      ['a', { id: 'off', disabled: true }, 'b', 'c'],
      [
        ['a', 'off'],
        ['off', 'b'],
        ['off', 'c', 'true'],
      ],
    );
    assert.deepEqual(nextSteps(p, { a: { status: 'done' } }), { ready: ['b'], skip: ['c'], passThrough: ['off'] });
  });

  it('holds the successors of a failed step', () => {
    const p = plan(['a', 'b', 'c'], [['a', 'b']]);
    const state = { a: { status: 'failed' as const }, c: { status: 'done' as const } };
    assert.deepEqual(nextSteps(p, state), { ready: [], skip: [], passThrough: [] });
    assert.equal(isComplete(p, state), false);
  });

  it('reads only own state entries (ids such as "constructor" are fine)', () => {
    const p = plan(['constructor', 'toString'], [['constructor', 'toString']]);
    assert.deepEqual(nextSteps(p, {}).ready, ['constructor']);
    const state: Record<string, StepState> = JSON.parse('{"constructor": {"status": "done"}}');
    assert.deepEqual(nextSteps(p, state).ready, ['toString']);
  });

  it('always completes a random DAG with every step done or skipped exactly once', () => {
    const labels = ['x', 'y'];
    const dag = fc.integer({ min: 1, max: 40 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        // Edges go from the lower to the higher rank: acyclic by construction (a == b dropped below).
        edges: fc.array(
          fc.tuple(fc.nat(n - 1), fc.nat(n - 1), fc.option(fc.constantFrom(...labels), { nil: undefined })),
          { maxLength: n * 3 },
        ),
        // Definition order differs from rank order.
        shuffle: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
        disabled: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        branches: fc.array(fc.option(fc.constantFrom(...labels, 'z'), { nil: undefined }), {
          minLength: n,
          maxLength: n,
        }),
        batch: fc.integer({ min: 1, max: 5 }),
      }),
    );
    fc.assert(
      fc.property(dag, ({ n, edges, shuffle, disabled, branches, batch }) => {
        const id = (k: number) => `s${k}`;
        const p = compilePlan(
          WorkflowDefinitionSchema.parse({
            trigger: { type: 'manual' },
            steps: shuffle.map((k) => ({ id: id(k), type: 'transform', disabled: disabled[k] })),
            edges: [
              ...new Map(
                edges
                  .filter(([a, b]) => a !== b)
                  .map(([a, b, when]) => [Math.min(a, b), Math.max(a, b), when] as const)
                  .map(([a, b, when]) => [`${a}-${b}-${when}`, { from: id(a), to: id(b), ...(when ? { when } : {}) }]),
              ).values(),
            ],
          }),
        );
        const state = new Map<string, StepState>();
        const settled = new Map<string, number>();
        const settle = (s: string, st: StepState) => {
          assert.equal(state.get(s)?.status ?? 'pending', 'pending', `${s} settled twice`);
          state.set(s, st);
          settled.set(s, (settled.get(s) ?? 0) + 1);
        };
        for (let round = 0; round < 4 * n + 4; round++) {
          const next = nextSteps(p, state);
          for (const s of next.skip) settle(s, { status: 'skipped' });
          for (const s of next.passThrough) settle(s, { status: 'done' });
          // The engine may finish only some of the ready steps before asking again.
          for (const s of next.ready.slice(0, batch))
            settle(s, { status: 'done', branch: branches[Number(s.slice(1))] });
          if (next.ready.length === 0 && next.skip.length === 0 && next.passThrough.length === 0) break;
        }
        assert.equal(isComplete(p, state), true, 'run completed');
        assert.equal(settled.size, n);
        for (const count of settled.values()) assert.equal(count, 1);
        // Every done step had an incoming edge taken (or none at all); every skipped one had none.
        for (const s of p.order) {
          const preds = p.steps.get(s)?.predecessors ?? [];
          const taken = preds.some(
            (e) =>
              state.get(e.from)?.status === 'done' && (e.when === undefined || e.when === state.get(e.from)?.branch),
          );
          assert.equal(state.get(s)?.status, preds.length === 0 || taken ? 'done' : 'skipped', s);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is fast on the largest plans', () => {
    const n = 200;
    const steps = Array.from({ length: n }, (_, i) => `s${i}`);
    const edges: EdgeSpec[] = [];
    for (let i = 1; i < n; i++) for (let k = 1; k <= 5 && i - k >= 0; k++) edges.push([`s${i - k}`, `s${i}`]);
    const p = plan(steps, edges);
    const state = new Map<string, StepState>();
    const started = performance.now();
    let calls = 0;
    for (;;) {
      const { ready } = nextSteps(p, state);
      calls++;
      if (ready.length === 0) break;
      for (const s of ready) state.set(s, { status: 'done' });
    }
    const perCall = (performance.now() - started) / calls;
    assert.equal(isComplete(p, state), true);
    assert.ok(perCall < 2, `${perCall.toFixed(3)} ms per call`);
  });
});
