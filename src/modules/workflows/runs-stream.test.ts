import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';
import type { ActorContext } from '../../platform/context.ts';
import { type WatchEvent, watchRun } from './runs-stream.ts';

/** Waits for a decision, then ships: a run that advances exactly when the test says so. */
const approvalWorkflow = {
  trigger: { type: 'manual', config: {} },
  steps: [
    { id: 'ask', type: 'approval', config: { message: 'Ship?' } },
    { id: 'ship', type: 'transform', config: { expression: '{"shipped": true}' } },
  ],
  edges: [{ from: 'ask', to: 'ship', when: 'approved' }],
};

interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** Reads a text/event-stream body event by event; comments (heartbeats) count as `comment`. */
async function readEvents(res: Response, onEvent?: (e: SseEvent) => void) {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = block.startsWith(':') ? 'comment' : (/^event: (.*)$/m.exec(block)?.[1] ?? 'message');
      const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? '{}') as Record<string, unknown>;
      events.push({ event, data });
      onEvent?.({ event, data });
    }
  }
  return events;
}

describeEachBackend('run live progress (GET /runs/:id/events)', (getDb) => {
  let t: TestApp;
  let other: TestApp;
  let viewer: TestApp;
  let url: string;
  let otherUrl: string;
  let viewerUrl: string;
  let c: ReturnType<typeof workflowClient>;

  before(async () => {
    t = await createTestApp(getDb(), { engine: {} });
    other = await createTestApp(getDb(), { engine: { roles: [] } });
    viewer = await createTestApp(getDb(), { tenantId: t.tenantId, as: 'viewer', engine: { roles: [] } });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    otherUrl = await other.app.listen({ port: 0, host: '127.0.0.1' });
    viewerUrl = await viewer.app.listen({ port: 0, host: '127.0.0.1' });
    c = workflowClient(t);
  });
  after(async () => {
    // fetch's keep-alive sockets would hold close() for the server's keep-alive timeout (72 s);
    // every stream's server loop has ended by now (the tests assert that).
    for (const a of [t, other, viewer]) a.app.server.closeAllConnections();
    await Promise.all([t.app.close(), other.app.close(), viewer.app.close()]);
  });

  const waitingRun = async () => {
    const wf = await c.create(approvalWorkflow);
    const { runId } = await c.startRun(wf.id, { order: 7 });
    const run = await c.waitForRun(runId, ['waiting', 'failed']);
    assert.equal(run.status, 'waiting', JSON.stringify(run));
    return runId;
  };

  it('sends the run now and as it advances, then ends when the run finished', async () => {
    const runId = await waitingRun();
    const res = await fetch(`${url}/api/v1/runs/${runId}/events`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
    let decided = false;
    const events = await readEvents(res, (e) => {
      if (e.event === 'run' && !decided) {
        decided = true;
        assert.equal(e.data.status, 'waiting');
        void c.api('POST', `/api/v1/runs/${runId}/approvals/ask`, { decision: 'approved' });
      }
    });
    const runs = events.filter((e) => e.event === 'run').map((e) => e.data);
    assert.ok(runs.length >= 2, JSON.stringify(events));
    const last = runs.at(-1);
    assert.equal(last?.status, 'succeeded');
    assert.deepEqual(last?.output, { shipped: true });
    const attempts = last?.attempts as { stepId: string; status: string }[];
    assert.deepEqual(
      attempts.map((a) => [a.stepId, a.status]),
      [
        ['ask', 'succeeded'],
        ['ship', 'succeeded'],
      ],
    );
    // The snapshot is GET /runs/:id's answer, field for field.
    assert.deepEqual(last, (await c.api('GET', `/api/v1/runs/${runId}`)).body);
    assert.deepEqual(events.at(-1), { event: 'end', data: { status: 'succeeded', reason: 'finished' } });
  });

  it('answers a finished run with its snapshot and the end at once; a viewer may follow it', async () => {
    const wf = await c.create({ ...approvalWorkflow, steps: [approvalWorkflow.steps[1]], edges: [] });
    const { runId } = await c.startRun(wf.id, {});
    await c.waitForRun(runId);
    const events = await readEvents(await fetch(`${viewerUrl}/api/v1/runs/${runId}/events`));
    assert.deepEqual(
      events.map((e) => e.event),
      ['run', 'end'],
    );
    assert.equal(events[0]?.data.status, 'succeeded');
  });

  it('answers 404 for another tenant’s run and 400 for a malformed id, as problems', async () => {
    const runId = await waitingRun();
    const res = await fetch(`${otherUrl}/api/v1/runs/${runId}/events`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(((await res.json()) as { code: string }).code, 'RUN_NOT_FOUND');
    const bad = await fetch(`${url}/api/v1/runs/nope/events`);
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'VALIDATION_FAILED');
    await c.api('POST', `/api/v1/runs/${runId}/cancel`);
  });

  it('stops watching when the client goes away', async () => {
    const runId = await waitingRun();
    const controller = new AbortController();
    const res = await fetch(`${url}/api/v1/runs/${runId}/events`, { signal: controller.signal });
    const reader = res.body?.getReader();
    assert.ok(reader);
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /^event: run\n/);
    controller.abort();
    await reader.closed.catch(() => undefined);
    // The loop itself, on the real database: an abort ends it without another event.
    const ctx: ActorContext = {
      tenantId: t.tenantId,
      actor: { type: 'user', id: 'usr_test' },
      role: 'viewer',
      requestId: undefined,
      ip: undefined,
      userAgent: undefined,
    };
    const deps = t.workflows?.deps;
    assert.ok(deps);
    const seen: WatchEvent['type'][] = [];
    const stop = new AbortController();
    const watching = watchRun(deps, ctx, runId, (e) => seen.push(e.type), { signal: stop.signal, pollMs: 20 });
    await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    await watching;
    assert.deepEqual(seen, ['run']);
    await c.api('POST', `/api/v1/runs/${runId}/cancel`);
  });

  it('keeps an idle stream alive with heartbeats and ends it at the time limit', async () => {
    const runId = await waitingRun();
    const deps = t.workflows?.deps;
    assert.ok(deps);
    const ctx: ActorContext = {
      tenantId: t.tenantId,
      actor: { type: 'user', id: 'usr_test' },
      role: 'viewer',
      requestId: undefined,
      ip: undefined,
      userAgent: undefined,
    };
    const seen: WatchEvent[] = [];
    await watchRun(deps, ctx, runId, (e) => seen.push(e), {
      signal: new AbortController().signal,
      pollMs: 10,
      heartbeatMs: 50,
      // Thirty heartbeat periods: even a machine too loaded to poll on time sends at least one.
      maxMs: 1500,
    });
    assert.equal(seen[0]?.type, 'run');
    assert.ok(seen.filter((e) => e.type === 'heartbeat').length >= 1, JSON.stringify(seen.map((e) => e.type)));
    assert.deepEqual(seen.at(-1), { type: 'end', status: 'waiting', reason: 'time_limit' });
    await c.api('POST', `/api/v1/runs/${runId}/cancel`);
  });
});
