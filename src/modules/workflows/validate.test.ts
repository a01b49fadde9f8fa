import { exampleDefinition } from '../../../test/support/workflows.ts';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { WORKFLOW_LIMITS } from './definition.ts';
import { compilePlan } from './graph.ts';
import { createStepRegistry, defaultStepKinds, StepRegistry } from './steps/registry.ts';
import { approvalStep } from './steps/approval.ts';
import { delayStep } from './steps/delay.ts';
import { defineStepKind } from './steps/step-kind.ts';
import { formatPath, PROBLEM_CODES, type Problem, validateDefinition } from './validate.ts';

/** A kind with templated strings and no branches, standing in for http and friends. */
const notifyStep = defineStepKind({
  type: 'notify',
  description: 'test kind',
  config: z.strictObject({
    to: z.string(),
    message: z.string().optional(),
    meta: z.record(z.string(), z.unknown()).optional(),
  }),
  pure: false,
  execute: async () => ({ kind: 'done', output: null }),
});
/** A kind whose branches are open-ended. */
const classifyStep = defineStepKind({
  type: 'ai.classify',
  description: 'test kind',
  config: z.strictObject({}),
  pure: false,
  branches: () => 'any',
  execute: async () => ({ kind: 'done', output: null, branch: 'x' }),
});
const registry = createStepRegistry([notifyStep, classifyStep]);

const example = {
  ...exampleDefinition(),
  settings: {
    timeoutMs: 300000,
    retry: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60000 },
    concurrency: 10,
    errorWorkflowId: null,
  },
};

type Def = Record<string, unknown>;
const clone = (): Def => structuredClone(example) as Def;
const base = (steps: unknown[], edges: unknown[] = [], trigger: unknown = { type: 'manual' }): Def => ({
  trigger,
  steps,
  edges,
});
const t = (id: string, expression = '1') => ({ id, type: 'transform', config: { expression } });

function problems(input: unknown): Problem[] {
  const r = validateDefinition(input, registry);
  assert.equal(r.ok, false, 'expected problems');
  return r.ok ? [] : r.problems;
}
const codes = (ps: Problem[]) => ps.map((p) => p.code);
const find = (ps: Problem[], code: string) => {
  const p = ps.find((x) => x.code === code);
  assert.ok(p, `no ${code} in ${JSON.stringify(ps, null, 1)}`);
  return p;
};

describe('validateDefinition', () => {
  it('accepts the documented example and applies defaults', () => {
    const r = validateDefinition(example, registry);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.definition.trigger, {
      type: 'webhook',
      config: { respond: 'wait', responseStep: 'reply', timeoutMs: 30_000, signature: null },
    });
    assert.equal(r.definition.settings.stepTimeoutMs, 60_000);
    assert.deepEqual(compilePlan(r.definition).order, ['double', 'big', 'reply']);
  });

  it('accepts a minimal definition', () => {
    const r = validateDefinition({ trigger: { type: 'manual' }, steps: [t('a')] }, registry);
    assert.ok(r.ok);
    assert.deepEqual(r.definition.edges, []);
    assert.deepEqual(r.definition.settings, {
      timeoutMs: 300_000,
      stepTimeoutMs: 60_000,
      retry: { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 60_000 },
      concurrency: 10,
      errorWorkflowId: null,
    });
  });

  it('reports schema errors with paths', () => {
    const ps = problems({
      trigger: { type: 'manual', config: { extra: 1 } },
      steps: [
        { id: '1bad', type: 'transform' },
        { id: 'ok', type: 'transform', config: { expression: '1' }, colour: 'red' },
      ],
      settings: { concurrency: 0, retry: { backoffMs: 5000, maxBackoffMs: 10 } },
      extra: true,
    });
    const byPath = Object.fromEntries(ps.map((p) => [p.path, p.code]));
    assert.deepEqual(byPath, {
      extra: 'SCHEMA_INVALID',
      'trigger.config.extra': 'SCHEMA_INVALID',
      'settings.concurrency': 'SCHEMA_INVALID',
      'settings.retry.maxBackoffMs': 'SCHEMA_INVALID',
      'steps[0].id': 'SCHEMA_INVALID',
      'steps[1].colour': 'SCHEMA_INVALID',
    });
    assert.equal(find(ps, 'SCHEMA_INVALID').severity, 'error');
    assert.equal(ps.find((p) => p.path === 'steps[1].colour')?.stepId, 'ok');
    assert.deepEqual(codes(problems(null)), ['SCHEMA_INVALID']);
    assert.deepEqual(
      problems({}).map((p) => p.path),
      ['trigger', 'steps'],
    );
    assert.match(find(problems(base([t('a')], [], { type: 'cron' })), 'SCHEMA_INVALID').message, /discriminator/);
    assert.match(problems(base([]))[0]?.message ?? '', /at least one/);
  });

  it('refuses secrets in a webhook trigger', () => {
    const ps = problems(base([t('a')], [], { type: 'webhook', config: { secret: 'hunter2' } }));
    assert.equal(find(ps, 'SCHEMA_INVALID').path, 'trigger.config.secret');
    assert.match(ps[0]?.message ?? '', /secrets are not part of the definition/);
  });

  it('bounds size and counts', () => {
    const big = base([{ id: 'a', type: 'transform', config: { expression: '1', pad: 'x'.repeat(600 * 1024) } }]);
    assert.deepEqual(codes(problems(big)), ['DEFINITION_TOO_LARGE']);
    const many = base(Array.from({ length: WORKFLOW_LIMITS.maxSteps + 1 }, (_, i) => t(`s${i}`)));
    assert.deepEqual(
      problems(many).map((p) => [p.code, p.path]),
      [['SCHEMA_INVALID', 'steps']],
    );
    const edges = Array.from({ length: WORKFLOW_LIMITS.maxEdges + 1 }, () => ({ from: 'a', to: 'b' }));
    assert.deepEqual(codes(problems(base([t('a'), t('b')], edges))), ['SCHEMA_INVALID']);
    const longId = problems(base([t('a'.repeat(65))]));
    assert.equal(longId[0]?.path, 'steps[0].id');
  });

  it('reports unknown step types', () => {
    const p = find(problems(base([{ id: 'a', type: 'teleport', config: {} }])), 'UNKNOWN_STEP_TYPE');
    assert.equal(p.path, 'steps[0].type');
    assert.equal(p.stepId, 'a');
    assert.match(p.message, /known: transform, condition, switch/);
  });

  it("checks each step's config against its kind, with prefixed paths", () => {
    const ps = problems(
      base([
        t('a'),
        { id: 'b', type: 'transform', config: {} },
        { id: 'c', type: 'switch', config: { cases: [{ name: 'x', expression: '1' }], extra: 1 } },
        { id: 'd', type: 'notify', config: { to: 5 } },
      ]),
    );
    assert.deepEqual(
      ps.map((p) => [p.code, p.path, p.stepId]),
      [
        ['STEP_CONFIG_INVALID', 'steps[1].config.expression', 'b'],
        ['STEP_CONFIG_INVALID', 'steps[2].config.extra', 'c'],
        ['STEP_CONFIG_INVALID', 'steps[3].config.to', 'd'],
      ],
    );
  });

  it('reports duplicate step ids', () => {
    const p = find(problems(base([t('a'), t('b'), t('a')])), 'DUPLICATE_STEP_ID');
    assert.equal(p.path, 'steps[2].id');
    assert.match(p.message, /steps\[0\]/);
  });

  it('reports edges to unknown steps, self-loops and repeated edges', () => {
    const ps = problems(
      base(
        [t('a'), t('b')],
        [
          { from: 'a', to: 'ghost' },
          { from: 'nobody', to: 'b' },
          { from: 'b', to: 'b' },
          { from: 'a', to: 'b' },
          { from: 'a', to: 'b' },
        ],
      ),
    );
    assert.deepEqual(
      ps.map((p) => [p.code, p.path]),
      [
        ['EDGE_UNKNOWN_STEP', 'edges[0].to'],
        ['EDGE_UNKNOWN_STEP', 'edges[1].from'],
        ['EDGE_SELF_LOOP', 'edges[2]'],
        ['DUPLICATE_EDGE', 'edges[4]'],
      ],
    );
  });

  it('names the steps of each cycle', () => {
    const ps = problems(
      base(
        [t('start'), t('a'), t('b'), t('c'), t('x'), t('y')],
        [
          { from: 'start', to: 'a' },
          { from: 'a', to: 'b' },
          { from: 'b', to: 'c' },
          { from: 'c', to: 'a' },
          { from: 'x', to: 'y' },
          { from: 'y', to: 'x' },
        ],
      ),
    );
    assert.deepEqual(
      ps.map((p) => [p.code, p.path, p.message]),
      [
        ['CYCLE', 'edges[3]', 'steps form a cycle: a → b → c → a'],
        ['CYCLE', 'edges[5]', 'steps form a cycle: x → y → x'],
      ],
    );
  });

  it('checks `when` against the branches of the source step', () => {
    const sw = {
      id: 'sw',
      type: 'switch',
      config: { cases: [{ name: 'gold', expression: 'trigger.tier = "gold"' }], default: 'rest' },
    };
    const ps = problems(
      base(
        [
          t('a'),
          { id: 'cond', type: 'condition', config: { expression: 'true' } },
          sw,
          t('b'),
          { id: 'ai', type: 'ai.classify' },
        ],
        [
          { from: 'a', to: 'b', when: 'true' },
          { from: 'cond', to: 'b', when: 'maybe' },
          { from: 'cond', to: 'b', when: 'true' },
          { from: 'sw', to: 'b', when: 'gold' },
          { from: 'sw', to: 'b', when: 'rest' },
          { from: 'sw', to: 'b', when: 'default' },
          { from: 'ai', to: 'b', when: 'anything' },
        ],
      ),
    );
    assert.deepEqual(
      ps.map((p) => [p.code, p.path]),
      [
        ['EDGE_WHEN_NOT_BRANCHING', 'edges[0].when'],
        ['EDGE_WHEN_UNKNOWN_BRANCH', 'edges[1].when'],
        ['EDGE_WHEN_UNKNOWN_BRANCH', 'edges[5].when'],
      ],
    );
    assert.match(ps[1]?.message ?? '', /"true", "false"/);
  });

  it('requires an existing responseStep for webhooks that wait', () => {
    const missing = clone();
    (missing.trigger as { config: Record<string, unknown> }).config = { respond: 'wait' };
    assert.deepEqual(
      problems(missing).map((p) => [p.code, p.path]),
      [['RESPONSE_STEP_REQUIRED', 'trigger.config.responseStep']],
    );
    const unknown = clone();
    (unknown.trigger as { config: Record<string, unknown> }).config = { respond: 'wait', responseStep: 'nope' };
    assert.deepEqual(codes(problems(unknown)), ['RESPONSE_STEP_UNKNOWN']);
    const immediate = clone();
    (immediate.trigger as { config: Record<string, unknown> }).config = { respond: 'immediately' };
    assert.ok(validateDefinition(immediate, registry).ok);
  });

  it('reports expressions and templates that do not parse', () => {
    const ps = problems(
      base(
        [
          t('a', '1 +'),
          {
            id: 'sw',
            type: 'switch',
            config: {
              cases: [
                { name: 'x', expression: 'true' },
                { name: 'y', expression: '"unclosed' },
              ],
            },
          },
          {
            id: 'n',
            type: 'notify',
            config: { to: 'Hi {{ trigger.name', message: 'ok {{ $$ + }}', meta: { k: ['{{ ) }}'] } },
          },
          { id: 'lit', type: 'notify', config: { to: 'literal \\{{ braces }}' } },
        ],
        [],
        { type: 'event', config: { event: 'item.created', filter: 'item.(' } },
      ),
    );
    assert.deepEqual(
      ps.map((p) => [p.code, p.path]),
      [
        ['EXPRESSION_SYNTAX', 'trigger.config.filter'],
        ['EXPRESSION_SYNTAX', 'steps[0].config.expression'],
        ['EXPRESSION_SYNTAX', 'steps[1].config.cases[1].expression'],
        ['EXPRESSION_SYNTAX', 'steps[2].config.to'],
        ['EXPRESSION_SYNTAX', 'steps[2].config.message'],
        ['EXPRESSION_SYNTAX', 'steps[2].config.meta.k[0]'],
      ],
    );
    assert.match(ps[3]?.message ?? '', /not closed/);
  });

  it('checks steps.<id> references: unknown is an error, not upstream a warning', () => {
    const unknownRef = problems(base([t('a', 'steps.ghost.output')]));
    assert.deepEqual(
      unknownRef.map((p) => [p.code, p.path, p.severity]),
      [['REFERENCE_UNKNOWN_STEP', 'steps[0].config.expression', 'error']],
    );

    const r = validateDefinition(
      base(
        [
          t('a'),
          t('b', 'steps.a.output + steps.c.output'),
          t('c'),
          {
            id: 'n',
            type: 'notify',
            config: { to: 'x', message: 'b said {{ steps.b.output }} and {{ steps.n.output }}' },
          },
        ],
        [
          { from: 'a', to: 'b' },
          { from: 'b', to: 'n' },
        ],
      ),
      registry,
    );
    assert.ok(r.ok, 'warnings do not fail validation');
    assert.deepEqual(
      r.warnings.map((p) => [p.code, p.path, p.stepId, p.severity]),
      [
        ['REFERENCE_NOT_UPSTREAM', 'steps[1].config.expression', 'b', 'warning'],
        ['REFERENCE_NOT_UPSTREAM', 'steps[3].config.message', 'n', 'warning'],
      ],
    );
    assert.match(r.warnings[0]?.message ?? '', /steps\.c/);
    assert.match(r.warnings[1]?.message ?? '', /steps\.n/);
  });

  it('warns when an approval or a delay may outlast the run timeout, which counts waits', () => {
    const waits = createStepRegistry([approvalStep, delayStep]);
    const def = (settings: Record<string, unknown>) => ({
      ...base([
        { id: 'ok', type: 'approval', config: {} },
        { id: 'nap', type: 'delay', config: { ms: 600_000 } },
        { id: 'short', type: 'delay', config: { ms: 1_000 } },
      ]),
      settings,
    });
    const r = validateDefinition(def({}), waits);
    assert.ok(r.ok, 'a warning, not an error');
    assert.deepEqual(
      r.warnings.map((p) => [p.code, p.path, p.stepId, p.severity]),
      [
        ['RUN_TIMEOUT_BEFORE_WAIT', 'steps[0].config.expiresInMs', 'ok', 'warning'],
        ['RUN_TIMEOUT_BEFORE_WAIT', 'steps[1].config.ms', 'nap', 'warning'],
      ],
    );
    assert.match(
      r.warnings[0]?.message ?? '',
      /up to 7 d after it starts, but the run times out 5 min after it starts/,
    );
    assert.match(r.warnings[1]?.message ?? '', /the delay waits 10 min/);
    // A timeout that covers the waits: nothing to say.
    const long = validateDefinition(def({ timeoutMs: 8 * 86_400_000 }), waits);
    assert.ok(long.ok);
    assert.deepEqual(long.warnings, []);
  });

  it('checks cron patterns and time zones', () => {
    const schedule = (config: unknown) => base([t('a')], [], { type: 'schedule', config });
    assert.ok(validateDefinition(schedule({ cron: '0 9 * * MON-FRI', timezone: 'Europe/Paris' }), registry).ok);
    assert.ok(validateDefinition(schedule({ cron: '@daily' }), registry).ok);
    assert.deepEqual(
      problems(schedule({ cron: '61 * * * *' })).map((p) => [p.code, p.path]),
      [['CRON_INVALID', 'trigger.config.cron']],
    );
    assert.deepEqual(codes(problems(schedule({ cron: 'every day' }))), ['CRON_INVALID']);
    assert.match(find(problems(schedule({ cron: '0 0 31 2 *' })), 'CRON_INVALID').message, /never/);
    assert.deepEqual(
      problems(schedule({ cron: '0 9 * * *', timezone: 'Mars/Olympus' })).map((p) => [p.code, p.path]),
      [['TIMEZONE_INVALID', 'trigger.config.timezone']],
    );
  });

  it('returns every problem at once', () => {
    const ps = problems({
      trigger: { type: 'schedule', config: { cron: 'nope', timezone: 'Nowhere/Land' } },
      steps: [
        t('a', 'steps.zz.output'),
        t('a'),
        { id: 'b', type: 'teleport' },
        { id: 'c', type: 'condition', config: { expression: '(' } },
        { id: 'd', type: 'transform', config: { expression: '1' }, timeoutMs: -1 },
        { id: 'e', type: 'condition', config: { expression: 'true' } },
      ],
      edges: [
        { from: 'a', to: 'c' },
        { from: 'c', to: 'a', when: 'true' },
        { from: 'a', to: 'b', when: 'yes' },
        { from: 'c', to: 'missing' },
        { from: 'e', to: 'd', when: 'nah' },
      ],
      settings: { concurrency: 'lots' },
    });
    assert.deepEqual(
      new Set(codes(ps)),
      new Set([
        'TIMEZONE_INVALID',
        'CRON_INVALID',
        'SCHEMA_INVALID',
        'DUPLICATE_STEP_ID',
        'UNKNOWN_STEP_TYPE',
        'EXPRESSION_SYNTAX',
        'EDGE_WHEN_NOT_BRANCHING',
        'EDGE_WHEN_UNKNOWN_BRANCH',
        'EDGE_UNKNOWN_STEP',
        'CYCLE',
        'REFERENCE_UNKNOWN_STEP',
      ]),
    );
    assert.ok(ps.length >= 12, `${ps.length} problems`);
  });

  it('keeps an editor layout, drops positions of unknown steps and bounds it', () => {
    const layout = { trigger: { x: -40, y: 0 }, steps: { a: { x: 200.5, y: 80 }, gone: { x: 1, y: 2 } } };
    const r = validateDefinition({ ...base([t('a')]), layout }, registry);
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.definition.layout, { trigger: { x: -40, y: 0 }, steps: { a: { x: 200.5, y: 80 } } });
    assert.deepEqual(r.warnings, []);
    const noLayout = validateDefinition(base([t('a')]), registry);
    assert.ok(noLayout.ok);
    assert.equal(noLayout.definition.layout, undefined);

    const ps = problems({
      ...base([t('a')]),
      layout: { steps: { a: { x: 'left', y: 0 }, '1bad': { x: 0, y: 0 } }, trigger: { x: 2e6, y: 0 }, zoom: 2 },
    });
    assert.deepEqual(ps.map((p) => [p.code, p.path]).sort(), [
      ['SCHEMA_INVALID', 'layout.steps.a.x'],
      ['SCHEMA_INVALID', 'layout.steps["1bad"]'],
      ['SCHEMA_INVALID', 'layout.trigger.x'],
      ['SCHEMA_INVALID', 'layout.zoom'],
    ]);
    const many = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`s${i}`, { x: i, y: 0 }]));
    assert.match(
      find(problems({ ...base([t('a')]), layout: { steps: many } }), 'SCHEMA_INVALID').message,
      /at most 200/,
    );
  });

  it('formats paths like JavaScript', () => {
    assert.equal(formatPath(['steps', 2, 'config', 'expression']), 'steps[2].config.expression');
    assert.equal(formatPath(['steps', 0, 'config', 'a b', 1]), 'steps[0].config["a b"][1]');
    assert.equal(formatPath([]), '');
  });

  it('is documented: every problem code appears in docs/workflows.md', () => {
    const docs = readFileSync(path.resolve(import.meta.dirname, '../../../docs/workflows.md'), 'utf8');
    const missing = Object.keys(PROBLEM_CODES).filter((c) => !docs.includes(`\`${c}\``));
    assert.deepEqual(missing, []);
    for (const code of ['EXPRESSION_SYNTAX', 'EXPRESSION_RUNTIME', 'EXPRESSION_TIMEOUT']) {
      assert.ok(docs.includes(`\`${code}\``), code);
    }
  });
});

describe('StepRegistry', () => {
  it('registers, lists and describes kinds', () => {
    const r = new StepRegistry(defaultStepKinds());
    assert.deepEqual(r.types(), ['transform', 'condition', 'switch']);
    assert.equal(r.get('condition')?.pure, true);
    assert.equal(r.get('nope'), undefined);
    r.register(notifyStep);
    assert.equal(r.list().length, 4);
    const described = r.describe();
    const sw = described.find((d) => d.type === 'switch');
    assert.equal(sw?.branches, true);
    assert.equal(sw?.pure, true);
    const schema = sw?.configSchema as { type: string; properties: Record<string, unknown>; required: string[] };
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['cases']);
    const transform = described.find((d) => d.type === 'transform')?.configSchema as {
      properties: { expression: { type: string; format: string } };
    };
    assert.deepEqual(
      [transform.properties.expression.type, transform.properties.expression.format],
      ['string', 'jsonata'],
    );
    assert.equal(described.find((d) => d.type === 'notify')?.branches, false);
  });

  it('refuses duplicate and malformed kind names', () => {
    const r = createStepRegistry();
    assert.throws(() => r.register(defaultStepKinds()[0] as never), /already registered/);
    assert.throws(() => r.register({ ...notifyStep, type: 'Bad Name' }), /not a valid kind name/);
  });
});
