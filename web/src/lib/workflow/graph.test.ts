import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readDefinition, STEP_ID_PATTERN, type WorkflowDef } from './definition';
import {
  definitionToGraph,
  graphToDefinition,
  newStepId,
  removeNodes,
  renameStep,
  TRIGGER_NODE_ID,
  type EditorNode,
} from './graph';
import { autoLayout } from './layout';

const def: WorkflowDef = {
  trigger: { type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } },
  steps: [
    { id: 'double', type: 'transform', config: { expression: '{"n": trigger.body.n * 2}' } },
    { id: 'big', type: 'condition', name: 'Is it big?', config: { expression: 'steps.double.output.n > 10' } },
    { id: 'yes', type: 'transform', config: { expression: 'steps.double.output' }, retry: { maxAttempts: 5 } },
    { id: 'no', type: 'transform', config: { expression: '0' }, disabled: true },
    { id: 'reply', type: 'transform', config: { expression: '{"n": steps.double.output.n}' } },
  ],
  edges: [
    { from: 'double', to: 'big' },
    { from: 'big', to: 'yes', when: 'true' },
    { from: 'big', to: 'no', when: 'false' },
    { from: 'yes', to: 'reply' },
    { from: 'no', to: 'reply' },
  ],
  settings: { timeoutMs: 60000, concurrency: 2 },
  layout: {
    trigger: { x: 0, y: 100 },
    steps: {
      double: { x: 280, y: 100 },
      big: { x: 560, y: 100 },
      yes: { x: 840, y: 40 },
      no: { x: 840, y: 160 },
      reply: { x: 1120, y: 100 },
    },
  },
};

const byEdge = (a: { from: string; to: string; when?: string }, b: typeof a) =>
  `${a.from}>${a.to}>${a.when}`.localeCompare(`${b.from}>${b.to}>${b.when}`);
const sorted = (d: WorkflowDef) => ({ ...d, edges: [...d.edges].sort(byEdge) });

describe('definition ⇄ graph', () => {
  it('round-trips: definition → graph → definition is the same (edge order aside)', () => {
    const g = definitionToGraph(def);
    const back = graphToDefinition(g.nodes, g.edges, { settings: def.settings });
    assert.deepEqual(sorted(back), sorted(def));
  });

  it('draws the trigger as a node joined to the root steps, and never saves those edges', () => {
    const g = definitionToGraph(def);
    const trigger = g.nodes.find((n) => n.id === TRIGGER_NODE_ID);
    assert.equal(trigger?.type, 'trigger');
    const derived = g.edges.filter((e) => e.data?.derived);
    assert.deepEqual(
      derived.map((e) => [e.source, e.target]),
      [[TRIGGER_NODE_ID, 'double']],
    );
    assert.equal(graphToDefinition(g.nodes, g.edges).edges.length, def.edges.length);
  });

  it('keeps branch labels on the source handle and the edge label', () => {
    const g = definitionToGraph(def);
    const yes = g.edges.find((e) => e.target === 'yes');
    assert.equal(yes?.sourceHandle, 'true');
    assert.equal(yes?.label, 'true');
    assert.equal(g.edges.find((e) => e.target === 'big')?.sourceHandle, null);
    const back = graphToDefinition(g.nodes, g.edges);
    assert.deepEqual(
      back.edges.filter((e) => e.from === 'big'),
      [
        { from: 'big', to: 'yes', when: 'true' },
        { from: 'big', to: 'no', when: 'false' },
      ],
    );
  });

  it('lays out a definition without positions left to right, by depth', () => {
    const { layout: _, ...plain } = def;
    const g = definitionToGraph(plain);
    const x = (id: string) => g.nodes.find((n) => n.id === id)?.position.x ?? NaN;
    assert.ok(x(TRIGGER_NODE_ID) < x('double'));
    assert.ok(x('double') < x('big') && x('big') < x('yes'));
    assert.equal(x('yes'), x('no'));
    assert.ok(x('reply') > x('no'));
    const pos = autoLayout(plain);
    assert.notEqual(pos.get('yes')?.y, pos.get('no')?.y, 'siblings get their own rows');
    // A cycle (invalid, still drawn) does not hang the layout.
    assert.equal(
      autoLayout({ steps: def.steps.slice(0, 2), edges: [...def.edges, { from: 'big', to: 'double' }] }).size,
      3,
    );
  });

  it('removing a node removes its edges and re-derives the trigger edges', () => {
    const g = definitionToGraph(def);
    const r = removeNodes(g.nodes, g.edges, new Set(['big', TRIGGER_NODE_ID]));
    assert.ok(
      r.nodes.some((n) => n.id === TRIGGER_NODE_ID),
      'the trigger stays',
    );
    assert.ok(!r.nodes.some((n) => n.id === 'big'));
    const back = graphToDefinition(r.nodes, r.edges);
    assert.deepEqual(back.edges.sort(byEdge), [
      { from: 'no', to: 'reply' },
      { from: 'yes', to: 'reply' },
    ]);
    assert.deepEqual(
      r.edges
        .filter((e) => e.data?.derived)
        .map((e) => e.target)
        .sort(),
      ['double', 'no', 'yes'],
    );
    assert.equal(back.layout?.steps.big, undefined);
  });

  it('makes new step ids unique and valid', () => {
    const ids = ['transform', 'transform_2', 'ai_classify'];
    assert.equal(newStepId('transform', ids), 'transform_3');
    assert.equal(newStepId('http', ids), 'http');
    assert.equal(newStepId('ai.classify', ids), 'ai_classify_2');
    assert.equal(newStepId('9-lives', []), 'lives');
    assert.equal(newStepId('...', []), 'step');
    for (const type of ['transform', 'ai.classify', '9-lives', '...', 'x'.repeat(80)]) {
      assert.match(newStepId(type, ids), STEP_ID_PATTERN);
    }
  });

  it('renames a step: node, edges, positions, references and the response step', () => {
    const g = definitionToGraph(def);
    const r = renameStep(g.nodes, g.edges, 'double', 'twice');
    const back = graphToDefinition(r.nodes, r.edges);
    assert.deepEqual(
      back.steps.map((s) => s.id),
      ['twice', 'big', 'yes', 'no', 'reply'],
    );
    assert.ok(back.edges.some((e) => e.from === 'twice' && e.to === 'big'));
    assert.deepEqual(back.layout?.steps.twice, { x: 280, y: 100 });
    assert.deepEqual(back.steps[1]?.config, { expression: 'steps.twice.output.n > 10' });
    const r2 = renameStep(r.nodes, r.edges, 'reply', 'answer');
    const trigger = r2.nodes.find((n): n is Extract<EditorNode, { type: 'trigger' }> => n.type === 'trigger');
    assert.equal(trigger?.data.trigger.config?.responseStep, 'answer');
  });

  it('reads a stored definition defensively', () => {
    assert.deepEqual(readDefinition(null), { trigger: { type: 'manual' }, steps: [], edges: [] });
    assert.equal(readDefinition({ trigger: { type: 'webhook' }, steps: [1, { id: 'a', type: 'x' }] }).steps.length, 1);
  });
});
