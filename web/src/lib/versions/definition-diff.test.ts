import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalJson,
  describeChanges,
  diffTextLines,
  foldUnchanged,
  prettyDefinition,
  prettyJson,
  summarizeChanges,
} from './definition-diff.ts';

const v1 = {
  trigger: { type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } },
  steps: [
    { id: 'double', type: 'transform', config: { expression: 'trigger.body.n * 2' } },
    { id: 'reply', type: 'transform', config: { expression: '{"n": steps.double.output}' } },
  ],
  edges: [{ from: 'double', to: 'reply' }],
};

describe('summarizeChanges', () => {
  it('names the steps added, removed and changed, matched by id', () => {
    const v2 = {
      trigger: v1.trigger,
      steps: [
        { id: 'double', type: 'transform', config: { expression: 'trigger.body.n * 3' }, name: 'Triple' },
        { id: 'check', type: 'condition', config: { expression: 'steps.double.output > 10' } },
      ],
      edges: [{ from: 'double', to: 'check' }],
    };
    const c = summarizeChanges(v1, v2);
    assert.deepEqual(c.stepsAdded, ['check']);
    assert.deepEqual(c.stepsRemoved, ['reply']);
    assert.deepEqual(c.stepsChanged, [{ id: 'double', fields: ['config', 'name'] }]);
    assert.equal(c.edgesAdded, 1);
    assert.equal(c.edgesRemoved, 1);
    assert.equal(c.triggerChanged, false);
    assert.equal(c.identical, false);
  });

  it('sees no change when only the key order differs', () => {
    const reordered = {
      edges: [{ to: 'reply', from: 'double' }],
      steps: v1.steps.map((s) => ({ config: s.config, type: s.type, id: s.id })),
      trigger: { config: { responseStep: 'reply', respond: 'wait' }, type: 'webhook' },
    };
    const c = summarizeChanges(v1, reordered);
    assert.equal(c.identical, true);
    assert.deepEqual(describeChanges(c), ['No differences']);
  });

  it('counts repeated edges as a multiset and notices trigger and settings changes', () => {
    const v2 = {
      ...v1,
      trigger: { type: 'manual' },
      edges: [...v1.edges, { from: 'double', to: 'reply' }],
      settings: { timeoutMs: 1000 },
    };
    const c = summarizeChanges(v1, v2);
    assert.equal(c.edgesAdded, 1);
    assert.equal(c.edgesRemoved, 0);
    assert.equal(c.triggerChanged, true);
    assert.equal(c.settingsChanged, true);
    assert.deepEqual(describeChanges(c), ['Trigger changed', '1 edge added', 'Settings changed']);
  });

  it('tells a moved node apart from a changed step', () => {
    const moved = { ...v1, layout: { steps: { double: { x: 1, y: 2 } } } };
    assert.deepEqual(describeChanges(summarizeChanges(v1, moved)), ['Layout (node positions) changed']);
  });

  it('reads malformed definitions without throwing', () => {
    const c = summarizeChanges(null, { steps: [{ id: 'a' }, 'junk', { noId: true }] });
    assert.deepEqual(c.stepsAdded, ['a']);
    assert.deepEqual(c.stepsRemoved, []);
    assert.equal(summarizeChanges('x', 42).identical, false);
  });

  it('describes several changes in words', () => {
    const v2 = { ...v1, steps: [v1.steps[0], { id: 'a', type: 'noop' }, { id: 'b', type: 'noop' }] };
    assert.deepEqual(describeChanges(summarizeChanges(v1, v2)), ['2 steps added (a, b)', '1 step removed (reply)']);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level but keeps array order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3] }), '{"a":[{"c":2,"d":1},3],"b":1}');
  });
});

describe('prettyDefinition', () => {
  it('writes keys in reading order whatever order the database kept', () => {
    const stored = {
      edges: [{ to: 'b', from: 'a' }],
      steps: [{ config: {}, id: 'a', type: 't', zeta: 1, alpha: 2 }],
      trigger: { type: 'manual' },
    };
    const text = prettyDefinition(stored);
    assert.deepEqual(JSON.parse(text), stored);
    assert.deepEqual(Object.keys(JSON.parse(text) as object), ['trigger', 'steps', 'edges']);
    assert.ok(text.indexOf('"from"') < text.indexOf('"to"'));
    assert.deepEqual(Object.keys((JSON.parse(text) as { steps: object[] }).steps[0] ?? {}), [
      'id',
      'type',
      'config',
      'alpha',
      'zeta',
    ]);
  });
});

describe('diffTextLines', () => {
  it('numbers lines on both sides and marks added and removed ones', () => {
    const rows = diffTextLines('a\nb\nc\n', 'a\nB\nc\nd\n');
    assert.deepEqual(rows, [
      { kind: 'same', text: 'a', oldNo: 1, newNo: 1 },
      { kind: 'removed', text: 'b', oldNo: 2 },
      { kind: 'added', text: 'B', newNo: 2 },
      { kind: 'same', text: 'c', oldNo: 3, newNo: 3 },
      { kind: 'added', text: 'd', newNo: 4 },
    ]);
  });

  it('diffs pretty JSON of two definitions', () => {
    const rows = diffTextLines(prettyJson(v1), prettyJson({ ...v1, trigger: { type: 'manual' } }));
    assert.ok(rows.some((r) => r.kind === 'added' && r.text.includes('"manual"')));
    assert.ok(rows.some((r) => r.kind === 'removed' && r.text.includes('"webhook"')));
  });
});

describe('foldUnchanged', () => {
  const lines = Array.from({ length: 20 }, (_, i) => `line ${i}`);
  it('keeps context lines around a change and folds the rest into gaps', () => {
    const changed = [...lines];
    changed[10] = 'changed';
    const folded = foldUnchanged(diffTextLines(lines.join('\n'), changed.join('\n')), 2);
    assert.deepEqual(
      folded.map((r) => (r.kind === 'gap' ? `gap ${r.hidden}` : r.kind)),
      ['gap 8', 'same', 'same', 'removed', 'added', 'same', 'same', 'gap 7'],
    );
  });

  it('does not fold a short run', () => {
    const rows = diffTextLines('a\nb\nc', 'x\nb\ny');
    assert.equal(
      foldUnchanged(rows, 3).some((r) => r.kind === 'gap'),
      false,
    );
  });
});
