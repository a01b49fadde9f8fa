import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { exampleDefinition, workflowClient } from '../../../test/support/workflows.ts';

/** GET /api/v1/workflows: the first page needs no cursor; the next pages follow nextCursor. */
describeEachBackend('workflow list', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {} });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  it('answers the first page without a cursor and pages through the rest, newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await c.create(exampleDefinition({ type: 'manual' }))).id);
    const first = await c.api('GET', '/api/v1/workflows?limit=2');
    assert.equal(first.status, 200, first.raw);
    const page1 = first.body.data as { id: string }[];
    assert.deepEqual(
      page1.map((w) => w.id),
      [ids[2], ids[1]],
    );
    assert.equal(typeof first.body.nextCursor, 'string');
    const second = await c.api('GET', `/api/v1/workflows?limit=2&cursor=${String(first.body.nextCursor)}`);
    assert.equal(second.status, 200, second.raw);
    assert.ok((second.body.data as { id: string }[]).some((w) => w.id === ids[0]));
    const all = await c.api('GET', '/api/v1/workflows');
    assert.equal(all.status, 200, all.raw);
  });
});

/** POST /api/v1/workflows/validate: a valid definition still reports its warnings. */
describeEachBackend('workflow validation route', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {} });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  it('answers valid with the warnings of a definition that has some', async () => {
    const definition = {
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', type: 'transform', config: { expression: '1' } },
        { id: 'b', type: 'transform', config: { expression: 'steps.a.output + steps.c.output' } },
        { id: 'c', type: 'transform', config: { expression: '2' } },
      ],
      edges: [{ from: 'a', to: 'b' }],
    };
    const res = await c.api('POST', '/api/v1/workflows/validate', { definition });
    assert.equal(res.status, 200, res.raw);
    assert.equal(res.body.valid, true);
    const problems = res.body.problems as { code: string; stepId: string; severity: string }[];
    assert.deepEqual(
      problems.map((p) => [p.code, p.stepId, p.severity]),
      [['REFERENCE_NOT_UPSTREAM', 'b', 'warning']],
    );
  });
});
