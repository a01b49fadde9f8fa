import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { branchLabels } from './branches';
import { TRIGGER_NODE_ID } from './graph';
import { pathInsideNode, problemsByNode, sortProblems, WORKFLOW_KEY, type Problem } from './problems';

const def = {
  steps: [
    { id: 'a', type: 'transform' },
    { id: 'b', type: 'condition' },
  ],
  edges: [
    { from: 'a', to: 'b' },
    { from: 'ghost', to: 'b' },
  ],
};
const p = (path: string, extra: Partial<Problem> = {}): Problem => ({
  code: 'SCHEMA_INVALID',
  message: 'bad',
  path,
  severity: 'error',
  ...extra,
});

describe('validation display', () => {
  it('puts each problem on the node it names, counting errors and warnings', () => {
    const map = problemsByNode(
      [
        p('steps[0].config.expression', { stepId: 'a', code: 'EXPRESSION_SYNTAX' }),
        p('steps[0].config.x', { stepId: 'a', severity: 'warning', code: 'REFERENCE_NOT_UPSTREAM' }),
        p('steps[1].id'), // no stepId (the id itself is bad): found by index
        p('edges[1].from', { code: 'EDGE_UNKNOWN_STEP' }), // the edge's other end
        p('trigger.config.responseStep', { code: 'RESPONSE_STEP_REQUIRED' }),
        p('settings.concurrency'),
        p('steps', { message: 'must hold at least one step' }),
      ],
      def,
    );
    assert.deepEqual({ errors: map.get('a')?.errors, warnings: map.get('a')?.warnings }, { errors: 1, warnings: 1 });
    assert.equal(map.get('b')?.errors, 2);
    assert.equal(map.get(TRIGGER_NODE_ID)?.list[0]?.code, 'RESPONSE_STEP_REQUIRED');
    assert.deepEqual(
      map.get(WORKFLOW_KEY)?.list.map((x) => x.path),
      ['settings.concurrency', 'steps'],
    );
  });

  it('sorts errors before warnings and shortens paths inside a node', () => {
    const list = sortProblems([p('b', { severity: 'warning' }), p('c'), p('a')]);
    assert.deepEqual(
      list.map((x) => x.path),
      ['a', 'c', 'b'],
    );
    assert.equal(pathInsideNode('steps[3].config.cases[0].expression'), 'config.cases[0].expression');
    assert.equal(pathInsideNode('trigger.config.cron'), 'config.cron');
    assert.equal(pathInsideNode('steps[3]'), '(the whole)');
  });

  it('derives branch labels per kind', () => {
    assert.deepEqual(branchLabels('condition', {}), ['true', 'false']);
    assert.deepEqual(branchLabels('switch', { cases: [{ name: 'gold' }, { name: 'large' }] }), [
      'gold',
      'large',
      'default',
    ]);
    assert.deepEqual(branchLabels('switch', { cases: [{ name: 'a' }], default: 'other' }), ['a', 'other']);
    assert.deepEqual(branchLabels('ai.classify', { labels: [{ name: 'bug' }, { name: '' }] }), ['bug', 'unmatched']);
    assert.deepEqual(branchLabels('approval', undefined), ['approved', 'rejected']);
    assert.equal(branchLabels('transform', {}), null);
    assert.deepEqual(branchLabels('custom.branching', {}, true), []);
  });
});

describe('reference warnings', () => {
  it('warns when a step reads a step that does not lead to it', async () => {
    const { referenceWarnings } = await import('./problems');
    const { upstreamSteps } = await import('./references');
    const d = {
      steps: [
        { id: 'a', type: 'transform', config: { expression: '1' } },
        { id: 'b', type: 'transform', config: { expression: 'steps.a.output + steps.c.output + steps.zz.output' } },
        {
          id: 'c',
          type: 'http',
          config: { url: 'https://x/{{ steps.b.output }}', headers: { h: '{{ steps.a.output }}' } },
        },
      ],
      edges: [{ from: 'a', to: 'b' }],
    };
    const ws = referenceWarnings(d, (id) => upstreamSteps(id, d.edges));
    assert.deepEqual(
      ws.map((w) => [w.stepId, w.path, w.severity]),
      [
        ['b', 'steps[1].config.expression', 'warning'],
        ['c', 'steps[2].config.url', 'warning'],
        ['c', 'steps[2].config.headers.h', 'warning'],
      ],
    );
    assert.match(ws[0]?.message ?? '', /steps\.c/);
  });
});
