import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { exampleDefinition, workflowClient } from '../../../test/support/workflows.ts';

/**
 * The editor's node positions (`definition.layout`) are part of the version: kept by create,
 * get, a new version, export and import; ignored by the engine.
 */
describeEachBackend('workflow layout', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {} });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  const layout = {
    trigger: { x: 0, y: 120 },
    steps: { double: { x: 260, y: 120 }, big: { x: 520, y: 120.5 }, reply: { x: 780, y: 120 } },
  };

  it('keeps positions through create, get, a new version, export and import; runs ignore them', async () => {
    const definition = { ...exampleDefinition({ type: 'manual' }), layout };
    const wf = await c.create(definition);
    const got = await c.api('GET', `/api/v1/workflows/${wf.id}`);
    assert.deepEqual((got.body.definition as { layout: unknown }).layout, layout);

    // A position of a step that is gone (renamed in the editor) is dropped, not refused.
    const moved = {
      trigger: { x: 10, y: 10 },
      steps: { ...layout.steps, double: { x: 1, y: 2 }, old_name: { x: 5, y: 5 } },
    };
    const patched = await c.api('PATCH', `/api/v1/workflows/${wf.id}`, {
      definition: { ...definition, layout: moved },
      version: 1,
    });
    assert.equal(patched.status, 200, patched.raw);
    assert.equal(patched.body.version, 2);
    const { old_name: _dropped, ...kept } = moved.steps;
    assert.deepEqual((patched.body.definition as { layout: unknown }).layout, { trigger: moved.trigger, steps: kept });

    const v1 = await c.api('GET', `/api/v1/workflows/${wf.id}/versions/1`);
    assert.deepEqual((v1.body.definition as { layout: unknown }).layout, layout, 'the old version keeps its picture');

    const exported = await c.api('GET', `/api/v1/workflows/${wf.id}/export`);
    const imported = await c.api('POST', '/api/v1/workflows/import', exported.body);
    assert.equal(imported.status, 201, imported.raw);
    assert.deepEqual(
      (imported.body.definition as { layout: unknown }).layout,
      (patched.body.definition as { layout: unknown }).layout,
    );

    const run = await c.waitForRun((await c.startRun(wf.id, { n: 7 })).runId);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { n: 14, big: true });
  });

  it('refuses a malformed layout with its path', async () => {
    const res = await c.api('POST', '/api/v1/workflows', {
      name: 'wf',
      definition: { ...exampleDefinition({ type: 'manual' }), layout: { steps: { big: { x: 'left', y: 0 } } } },
    });
    assert.equal(res.status, 400, res.raw);
    assert.equal(res.body.code, 'WORKFLOW_INVALID');
    const issues = res.body.issues as { path: string }[];
    assert.ok(
      issues.some((i) => i.path === 'definition.layout.steps.big.x'),
      JSON.stringify(issues),
    );
  });
});
