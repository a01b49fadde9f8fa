import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compile,
  evaluate,
  expressionFieldPaths,
  ExpressionError,
  jsonataExpression,
  parseTemplates,
  render,
  stepReferences,
  truthy,
  unsafeRegexReason,
} from './expressions.ts';
import { z } from 'zod';
import { conditionStep } from './steps/condition.ts';
import type { RunScope, StepContext } from './steps/step-kind.ts';
import { switchStep } from './steps/switch.ts';
import { transformStep } from './steps/transform.ts';

const scope: RunScope = {
  trigger: { body: { n: 6, name: 'Ada', tags: ['a', 'b'] } },
  steps: { double: { output: { n: 12 } }, empty: { output: null } },
  run: { id: 'run_1', workflowId: 'wfl_1', version: 1, startedAt: '2024-01-01T00:00:00.000Z' },
};

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<ExpressionError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ExpressionError, `expected ExpressionError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('evaluate', () => {
  it('evaluates JSONata against the scope and returns plain JSON', async () => {
    assert.deepEqual(await evaluate('{"n": trigger.body.n * 2}', scope), { n: 12 });
    assert.deepEqual(await evaluate('trigger.body.tags.($ & "!")', scope), ['a!', 'b!']);
    assert.equal(await evaluate('steps.double.output.n > 10', scope), true);
    assert.equal(await evaluate('trigger.body.missing', scope), undefined);
    // JSONata's null-prototype objects and sequence arrays come out as ordinary values.
    const obj = (await evaluate('{"a": [1].($)}', scope)) as object;
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
    assert.deepEqual(obj, { a: 1 });
    // Functions are not JSON: dropped.
    assert.deepEqual(await evaluate('{"f": function($x){ $x }, "k": 1}', scope), { k: 1 });
  });

  it('passes bindings as $variables', async () => {
    assert.equal(await evaluate('$item.price * $qty', scope, { bindings: { item: { price: 2 }, qty: 3 } }), 6);
  });

  it('reports syntax errors as EXPRESSION_SYNTAX with a position', async () => {
    const err = await rejectsWith(evaluate('trigger.body.n +', scope), 'EXPRESSION_SYNTAX');
    assert.equal(typeof err.position, 'number');
    await rejectsWith(evaluate('{"a": }', scope), 'EXPRESSION_SYNTAX');
    await rejectsWith(evaluate('', scope), 'EXPRESSION_SYNTAX', /empty/);
    await rejectsWith(evaluate('1 + '.repeat(3000) + '1', scope), 'EXPRESSION_SYNTAX', /longer than/);
    await rejectsWith(evaluate('('.repeat(4000) + '1' + ')'.repeat(4000), scope), 'EXPRESSION_SYNTAX', /nested/);
  });

  it('reports evaluation failures as EXPRESSION_RUNTIME', async () => {
    const err = await rejectsWith(evaluate('1 + "a"', scope), 'EXPRESSION_RUNTIME', /must evaluate to a number/);
    assert.equal(err.details.jsonataCode, 'T2002');
  });

  it('stops runaway recursion and long loops with EXPRESSION_TIMEOUT', async () => {
    const started = Date.now();
    await rejectsWith(evaluate('($f := function(){ $f() }; $f())', scope, { timeoutMs: 100 }), 'EXPRESSION_TIMEOUT');
    await rejectsWith(evaluate('$count([1..999999].($ * 2))', scope, { timeoutMs: 100 }), 'EXPRESSION_TIMEOUT');
    // Sequences are bounded in length too.
    await rejectsWith(evaluate('$count([1..9999999])', scope), 'EXPRESSION_RUNTIME', /sequence/);
    await rejectsWith(
      evaluate('($loop := function($i){ $loop($i + 1) }; $loop(0))', scope, { timeoutMs: 100 }),
      'EXPRESSION_TIMEOUT',
      /longer than 100 ms/,
    );
    assert.ok(Date.now() - started < 3000, 'each guard fired near its limit');
    // The default limit applies when none is given.
    await rejectsWith(evaluate('($f := function(){ $f() }; $f())', scope), 'EXPRESSION_TIMEOUT', /250 ms/);
  });

  it('stops deep non-tail recursion at maxDepth', async () => {
    const deep = '($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))';
    await rejectsWith(evaluate(deep, scope, { timeoutMs: 5000, maxDepth: 200 }), 'EXPRESSION_RUNTIME', /recursed/);
    assert.equal(await evaluate('($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(20))', scope), 20);
  });

  it('refuses regular expressions that can backtrack catastrophically', async () => {
    await rejectsWith(evaluate('$match("aaaa!", /(a+)+$/)', scope), 'EXPRESSION_SYNTAX', /backtrack/);
    // Built at run time through $eval: refused by the guarded regex engine.
    await rejectsWith(evaluate('$eval("$contains(\\"aa\\", /(a*)*b/)")', scope), 'EXPRESSION_RUNTIME');
    assert.deepEqual(await evaluate('$split("a1b22c", /[0-9]+/)', scope), ['a', 'b', 'c']);
    assert.equal(unsafeRegexReason('^(\\w+\\s?)*$') !== undefined, true);
    assert.equal(unsafeRegexReason('(ab){2,}'), undefined);
    assert.equal(unsafeRegexReason('^[a-z]+@[a-z]+\\.(com|org)$'), undefined);
    assert.equal(unsafeRegexReason('([a+]){3}'), undefined);
  });

  it('caches compiled expressions', () => {
    assert.equal(compile('trigger.body.n + 1'), compile('trigger.body.n + 1'));
  });

  it('runs concurrent evaluations of one cached expression independently', async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => evaluate('$sum([1..$n])', scope, { bindings: { n: n * 1000 } })),
    );
    assert.deepEqual(
      results,
      [1, 2, 3, 4].map((n) => (n * 1000 * (n * 1000 + 1)) / 2),
    );
  });
});

describe('truthy', () => {
  it('follows JSONata effective boolean values', () => {
    for (const v of [true, 1, -1, 'x', [0, 1], { a: 0 }, [[1]]]) assert.equal(truthy(v), true, JSON.stringify(v));
    for (const v of [false, 0, '', null, undefined, [], {}, [0, ''], [false]]) {
      assert.equal(truthy(v), false, JSON.stringify(v));
    }
  });
});

describe('templates', () => {
  it('splits strings into text and expressions', () => {
    assert.deepEqual(parseTemplates('Hi {{ trigger.body.name }}!'), [
      { type: 'text', text: 'Hi ' },
      { type: 'expression', expression: 'trigger.body.name', start: 3, end: 26 },
      { type: 'text', text: '!' },
    ]);
    assert.deepEqual(parseTemplates('no templates'), [{ type: 'text', text: 'no templates' }]);
    // Closing braces of objects and inside strings do not end the template.
    assert.deepEqual(
      parseTemplates('{{ {"a": {"b": "}}"}} }}').map((p) => (p.type === 'expression' ? p.expression : p.text)),
      ['{"a": {"b": "}}"}}'],
    );
    // \{{ is a literal {{.
    assert.deepEqual(parseTemplates('\\{{ not }} {{ 1 }}'), [
      { type: 'text', text: '{{ not }} ' },
      { type: 'expression', expression: '1', start: 11, end: 18 },
    ]);
  });

  it('rejects unterminated and empty templates', () => {
    assert.throws(
      () => parseTemplates('Hi {{ trigger.body.name'),
      (e: unknown) => e instanceof ExpressionError && e.code === 'EXPRESSION_SYNTAX' && e.position === 3,
    );
    assert.throws(() => parseTemplates('{{   }}'), /empty/);
  });

  it('keeps the type of a string that is exactly one template', async () => {
    assert.equal(await render('{{ trigger.body.n }}', scope), 6);
    assert.deepEqual(await render('{{ steps.double.output }}', scope), { n: 12 });
    assert.deepEqual(await render('{{ trigger.body.tags }}', scope), ['a', 'b']);
    assert.equal(await render('{{ steps.empty.output }}', scope), null);
    assert.equal(await render('{{ trigger.nothing }}', scope), undefined);
  });

  it('interpolates mixed strings (objects as JSON, nothing as empty)', async () => {
    assert.equal(await render('n={{ trigger.body.n }}', scope), 'n=6');
    assert.equal(await render('Hi {{ trigger.body.name }}, {{ steps.double.output }}', scope), 'Hi Ada, {"n":12}');
    assert.equal(await render('[{{ trigger.nothing }}] {{ steps.empty.output }} {{ true }}', scope), '[] null true');
    assert.equal(await render(' {{ trigger.body.n }}', scope), ' 6');
  });

  it('walks objects and arrays deeply, leaving keys and non-strings alone', async () => {
    const value = {
      url: 'https://example.test/users/{{ trigger.body.name }}',
      body: { n: '{{ steps.double.output.n }}', list: ['{{ trigger.body.tags[0] }}', 3, null, true] },
      '{{ key }}': 'kept',
      gone: '{{ trigger.nothing }}',
    };
    assert.deepEqual(await render(value, scope), {
      url: 'https://example.test/users/Ada',
      body: { n: 12, list: ['a', 3, null, true] },
      '{{ key }}': 'kept',
    });
    assert.deepEqual(value.body.n, '{{ steps.double.output.n }}', 'the input is not modified');
  });

  it('bounds nesting and surfaces expression errors', async () => {
    let deep: unknown = '{{ 1 }}';
    for (let i = 0; i < 100; i++) deep = [deep];
    await rejectsWith(render(deep, scope), 'EXPRESSION_RUNTIME', /deeper/);
    await rejectsWith(render({ a: 'x {{ 1 + }}' }, scope), 'EXPRESSION_SYNTAX');
    await rejectsWith(render('{{ ($f := function(){ $f() }; $f()) }}', scope, { timeoutMs: 50 }), 'EXPRESSION_TIMEOUT');
  });
});

describe('static analysis', () => {
  it('finds steps.<id> references from the root only', () => {
    assert.deepEqual(stepReferences('steps.a.output.x + $$.steps.b.output[0].y + $.steps.c.output').sort(), [
      'a',
      'b',
      'c',
    ]);
    assert.deepEqual(stepReferences('$map(steps.list.output, function($v){ $v * steps.factor.output })').sort(), [
      'factor',
      'list',
    ]);
    // Relative paths read fields named "steps", not the run's steps.
    assert.deepEqual(stepReferences('trigger.body.steps.x'), []);
    assert.deepEqual(stepReferences('trigger.items.{ "n": steps.count }'), []);
    assert.deepEqual(stepReferences('trigger.items[steps.x = 1]'), []);
    assert.deepEqual(stepReferences('"steps.fake"'), []);
  });

  it('finds jsonataExpression fields in a config', () => {
    const schema = z.strictObject({
      expression: jsonataExpression().describe('x'),
      other: z.string(),
      cases: z.array(z.strictObject({ name: z.string(), expression: jsonataExpression() })).optional(),
      nested: z.union([z.number(), z.object({ deep: jsonataExpression().optional() })]).optional(),
    });
    const fields = expressionFieldPaths(schema, {
      expression: 'a',
      other: 'b',
      cases: [
        { name: 'x', expression: 'c' },
        { name: 'y', expression: 'd' },
      ],
      nested: { deep: 'e' },
    });
    assert.deepEqual(fields, [
      { path: ['expression'], expression: 'a' },
      { path: ['cases', 0, 'expression'], expression: 'c' },
      { path: ['cases', 1, 'expression'], expression: 'd' },
      { path: ['nested', 'deep'], expression: 'e' },
    ]);
    const bad = schema.safeParse({ expression: '1 +', other: '' });
    assert.equal(bad.success, false);
    assert.deepEqual(
      bad.error?.issues.map((i) => [i.path.join('.'), i.code === 'custom' ? i.params?.code : i.code]),
      [['expression', 'EXPRESSION_SYNTAX']],
    );
  });
});

describe('step kinds', () => {
  const ctx = (s: RunScope = scope): StepContext => ({
    tenantId: 'ten_1',
    runId: 'run_1',
    stepId: 'x',
    attempt: 1,
    scope: s,
    signal: new AbortController().signal,
    log: () => {},
    evaluate: (expression, extra) => evaluate(expression, s, extra ? { bindings: extra } : {}),
    render: (value) => render(value, s),
    services: {},
  });

  it('transform outputs the expression value (null for no match)', async () => {
    const config = transformStep.config.parse({ expression: '{"n": trigger.body.n * 2}' });
    assert.deepEqual(await transformStep.execute(config, ctx()), { kind: 'done', output: { n: 12 } });
    assert.deepEqual(await transformStep.execute({ expression: 'trigger.nothing' }, ctx()), {
      kind: 'done',
      output: null,
    });
    assert.equal(transformStep.pure, true);
  });

  it('condition branches on truthiness', async () => {
    assert.deepEqual(await conditionStep.execute({ expression: 'steps.double.output.n > 10' }, ctx()), {
      kind: 'done',
      output: { result: true },
      branch: 'true',
    });
    assert.deepEqual(await conditionStep.execute({ expression: 'trigger.nothing' }, ctx()), {
      kind: 'done',
      output: { result: false },
      branch: 'false',
    });
    assert.deepEqual(conditionStep.branches?.({ expression: 'x' }), ['true', 'false']);
  });

  it('switch takes the first truthy case, else the default', async () => {
    const config = switchStep.config.parse({
      cases: [
        { name: 'small', expression: 'trigger.body.n < 5' },
        { name: 'medium', expression: 'trigger.body.n < 10' },
        { name: 'also', expression: 'true' },
      ],
    });
    assert.deepEqual(await switchStep.execute(config, ctx()), {
      kind: 'done',
      output: { case: 'medium' },
      branch: 'medium',
    });
    const none = switchStep.config.parse({ cases: [{ name: 'never', expression: 'false' }] });
    assert.deepEqual(await switchStep.execute(none, ctx()), {
      kind: 'done',
      output: { case: 'default' },
      branch: 'default',
    });
    const custom = switchStep.config.parse({ cases: [{ name: 'never', expression: 'false' }], default: 'other' });
    assert.equal((await switchStep.execute(custom, ctx())).kind, 'done');
    assert.deepEqual(switchStep.branches?.(custom), ['never', 'other']);
    assert.deepEqual(switchStep.branches?.(config), ['small', 'medium', 'also', 'default']);
    assert.equal(switchStep.config.safeParse({ cases: [] }).success, false);
    assert.equal(
      switchStep.config.safeParse({
        cases: [
          { name: 'a', expression: '1' },
          { name: 'a', expression: '2' },
        ],
      }).success,
      false,
    );
  });
});
