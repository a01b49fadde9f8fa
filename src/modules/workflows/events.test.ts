import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';

/** A process-data job whose expression compiles but fails on every run (a permanent failure). */
const failingJob = { type: 'process-data', payload: { format: 'json', data: [1], expression: '$number("one")' } };

describeEachBackend('job events', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    // No scheduler role: the test drives the event relay itself, so it knows when a pass ran.
    t = await createTestApp(getDb(), { engine: { roles: ['worker'] } });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  const relay = () => {
    const events = t.workflows?.events;
    assert.ok(events);
    return events;
  };
  const waitForJob = async (id: string) => {
    const end = Date.now() + 15_000;
    for (;;) {
      const job = (await c.api('GET', `/api/v1/jobs/${id}`)).body;
      if (job.status === 'failed' || job.status === 'succeeded') return job;
      if (Date.now() > end) assert.fail(`job ${id} still ${String(job.status)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Runs relay passes until the workflow has `n` runs (audit entries are read once a second old). */
  const runsOf = async (workflowId: string, n: number, timeoutMs = 10_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      await relay().tick();
      const list = (await c.api('GET', `/api/v1/runs?workflowId=${workflowId}`)).body.data as { id: string }[];
      if (list.length >= n || Date.now() > end) return list;
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('starts a job.failed workflow once a job fails for good, with the job and its error', async () => {
    const wf = await c.create({
      trigger: { type: 'event', config: { event: 'job.failed', filter: 'jobType = "process-data"' } },
      steps: [
        {
          id: 'alert',
          type: 'transform',
          config: { expression: '{"job": trigger.event.jobId, "code": trigger.event.error.code}' },
        },
      ],
      edges: [],
    });
    assert.equal((await c.api('POST', `/api/v1/workflows/${wf.id}/activate`)).status, 200);
    await relay().tick(); // the cursor starts from here

    const created = await c.api('POST', '/api/v1/jobs', failingJob);
    assert.equal(created.status, 201, created.raw);
    const job = await waitForJob(created.body.id as string);
    assert.equal(job.status, 'failed');
    const code = (job.error as { code: string }).code;

    const runs = await runsOf(wf.id, 1);
    assert.equal(runs.length, 1);
    const run = await c.waitForRun(runs[0]?.id ?? '');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.equal(run.triggerType, 'event');
    assert.deepEqual(run.output, { job: created.body.id, code });
    const event = (run.input as { event: Record<string, unknown> }).event;
    assert.deepEqual(
      { type: event.type, jobType: event.jobType, status: event.status, attempts: event.attempts },
      { type: 'job.failed', jobType: 'process-data', status: 'failed', attempts: 1 },
    );

    const audit = await c.api('GET', `/api/v1/audit-logs?targetId=${String(created.body.id)}`);
    assert.deepEqual(
      (audit.body.data as { action: string; actor: { id: string } }[]).map((e) => [e.action, e.actor.id]),
      [
        ['job.failed', 'jobs'],
        ['job.created', 'usr_test'],
      ],
    );
    // The same entry read again starts nothing new.
    assert.equal((await runsOf(wf.id, 2, 1_500)).length, 1);
    await c.api('POST', `/api/v1/workflows/${wf.id}/deactivate`);
  });

  it('does not let a job.failed workflow trigger itself through the jobs it enqueues', async () => {
    const wf = await c.create({
      trigger: { type: 'event', config: { event: 'job.failed' } },
      steps: [{ id: 'again', type: 'job', config: { job: failingJob } }],
      edges: [],
    });
    await c.api('POST', `/api/v1/workflows/${wf.id}/activate`);
    await relay().tick();
    const created = await c.api('POST', '/api/v1/jobs', failingJob);
    await waitForJob(created.body.id as string);
    const [first] = await runsOf(wf.id, 1);
    const run = await c.waitForRun(first?.id ?? '');
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    const ownJob = await waitForJob((run.output as { id: string }).id);
    assert.equal(ownJob.status, 'failed');
    assert.equal((await runsOf(wf.id, 2, 2_500)).length, 1, "the run's own failed job started nothing");
    await c.api('POST', `/api/v1/workflows/${wf.id}/deactivate`);
  });

  it('starts a job.succeeded workflow when a job succeeds', async () => {
    const wf = await c.create({
      trigger: { type: 'event', config: { event: 'job.succeeded' } },
      steps: [{ id: 'seen', type: 'transform', config: { expression: 'trigger.event.jobId' } }],
      edges: [],
    });
    await c.api('POST', `/api/v1/workflows/${wf.id}/activate`);
    // Activation reaches the relay's subscriptions within its 2 s cache.
    await new Promise((r) => setTimeout(r, 2_100));
    const created = await c.api('POST', '/api/v1/jobs', {
      type: 'process-data',
      payload: { format: 'json', data: [1, 2], expression: '$sum(data)' },
    });
    assert.equal((await waitForJob(created.body.id as string)).status, 'succeeded');
    const [first] = await runsOf(wf.id, 1);
    assert.equal((await c.waitForRun(first?.id ?? '')).output, created.body.id);
    await c.api('POST', `/api/v1/workflows/${wf.id}/deactivate`);
  });
});
