import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { exampleDefinition, workflowClient } from '../../../test/support/workflows.ts';
import { newId } from '../../platform/ids.ts';

/**
 * `Idempotency-Key` on the three ways to submit work — a webhook, a manual run, a job: the same
 * key gives one run (or job) and every answer names it, including for requests sent at once.
 */
describeEachBackend('idempotent submission', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {} });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  const key = () => ({ 'idempotency-key': `order-${newId('run')}` });
  const runCount = async (workflowId: string) =>
    ((await c.api('GET', `/api/v1/runs?workflowId=${workflowId}&limit=100`)).body.data as unknown[]).length;
  const hook = async (path: string, body: unknown, headers: Record<string, string>) => {
    const res = await t.app.inject({ method: 'POST', url: path, payload: body as object, headers });
    return { status: res.statusCode, body: res.json() as Record<string, unknown>, headers: res.headers };
  };

  it('POST /hooks/:key (respond immediately): one run per key, the repeat names it', async () => {
    const wf = await c.create(exampleDefinition({ type: 'webhook', config: { respond: 'immediately' } }));
    await c.api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const path = wf.webhookUrlPath ?? '';
    const k = key();
    const first = await hook(path, { n: 1 }, k);
    assert.equal(first.status, 202, JSON.stringify(first.body));
    const runId = first.body.runId as string;
    assert.equal(first.headers['x-switchyard-run-id'], runId);
    await c.waitForRun(runId);
    const second = await hook(path, { n: 2 }, k);
    assert.equal(second.status, 202, JSON.stringify(second.body));
    assert.deepEqual(second.body, { runId, status: 'succeeded' }, 'the same run, as it is now');
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(first.headers['idempotent-replayed'], undefined);

    const other = await hook(path, { n: 3 }, key());
    assert.notEqual(other.body.runId, runId, 'another key, another run');
    assert.equal(await runCount(wf.id), 2);
  });

  it('POST /hooks/:key (respond wait): the repeat answers like the first, with the same run id', async () => {
    const wf = await c.create(exampleDefinition());
    await c.api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const path = wf.webhookUrlPath ?? '';
    const k = key();
    const first = await hook(path, { n: 7 }, k);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(first.body, { n: 14, big: true });
    const runId = first.headers['x-switchyard-run-id'];
    assert.match(String(runId), /^run_/);
    const second = await hook(path, { n: 1 }, k);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, { n: 14, big: true }, 'the first run’s answer, not a new one');
    assert.equal(second.headers['x-switchyard-run-id'], runId);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.equal(await runCount(wf.id), 1);
  });

  it('POST /hooks/:key: requests sent at once with one key start one run', async () => {
    const wf = await c.create(exampleDefinition({ type: 'webhook', config: { respond: 'immediately' } }));
    await c.api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const k = key();
    const answers = await Promise.all(Array.from({ length: 6 }, () => hook(wf.webhookUrlPath ?? '', { n: 1 }, k)));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(6).fill(202),
      JSON.stringify(answers.map((a) => a.body)),
    );
    assert.equal(new Set(answers.map((a) => a.body.runId)).size, 1);
    assert.equal(await runCount(wf.id), 1);
    const tooLong = await hook(wf.webhookUrlPath ?? '', { n: 1 }, { 'idempotency-key': 'k'.repeat(201) });
    assert.equal(tooLong.status, 400, 'a key that cannot be honoured is refused, not ignored');
    assert.equal(tooLong.body.code, 'VALIDATION_FAILED');
  });

  it('POST /api/v1/workflows/:id/runs: one run per key, also for requests sent at once', async () => {
    const wf = await c.create(exampleDefinition({ type: 'manual', config: {} }));
    const k = key();
    const first = await c.api('POST', `/api/v1/workflows/${wf.id}/runs`, { input: { n: 1 } }, k);
    assert.equal(first.status, 202, first.raw);
    assert.equal(first.body.created, true);
    const second = await c.api('POST', `/api/v1/workflows/${wf.id}/runs`, { input: { n: 2 } }, k);
    assert.equal(second.status, 202, second.raw);
    assert.deepEqual(second.body, { runId: first.body.runId, created: false });
    assert.equal(second.headers['idempotent-replayed'], 'true');

    const k2 = key();
    const together = await Promise.all(
      Array.from({ length: 6 }, () => c.api('POST', `/api/v1/workflows/${wf.id}/runs`, { input: { n: 3 } }, k2)),
    );
    assert.deepEqual(
      together.map((r) => r.status),
      Array(6).fill(202),
      together.map((r) => r.raw).join('\n'),
    );
    assert.equal(new Set(together.map((r) => r.body.runId)).size, 1);
    assert.equal(together.filter((r) => r.body.created === true).length, 1);
    assert.equal(await runCount(wf.id), 2);
  });

  it('POST /api/v1/jobs: one job per key, also for requests sent at once', async () => {
    const body = { type: 'process-data', payload: { format: 'json', data: [1, 2], expression: '$sum(data)' } };
    const k = key();
    const together = await Promise.all(Array.from({ length: 6 }, () => c.api('POST', '/api/v1/jobs', body, k)));
    assert.deepEqual(
      together.map((r) => r.status).sort(),
      [200, 200, 200, 200, 200, 201],
      together.map((r) => r.raw).join('\n'),
    );
    assert.equal(new Set(together.map((r) => r.body.id)).size, 1);
    assert.equal(together.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 5);
    const jobs = (await c.api('GET', '/api/v1/jobs?limit=100')).body.data as { idempotencyKey: string | null }[];
    assert.equal(jobs.filter((j) => j.idempotencyKey === k['idempotency-key']).length, 1);
  });
});
