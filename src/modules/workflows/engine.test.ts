import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import type { TestDatabase } from '../../../test/support/databases.ts';
import {
  haveRedisServer,
  REDIS_SERVER,
  type RedisServer,
  startRedisServer,
} from '../../../test/support/redis-server.ts';
import { createBullmqQueue } from '../../platform/queue/bullmq-queue.ts';
import type { QueueAdapter } from '../../platform/queue/queue.ts';
import { exampleDefinition } from '../../../test/support/workflows.ts';
import { defineStepKind } from './steps/step-kind.ts';

/** A local HTTP server whose answers the test scripts; counts hits per path. */
async function startServer(
  handler: (
    req: http.IncomingMessage,
    body: string,
  ) => { status: number; body: unknown; location?: string; delayMs?: number },
) {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      const out = handler(req, body);
      setTimeout(() => {
        res.writeHead(out.status, {
          'content-type': 'application/json',
          ...(out.location ? { location: out.location } : {}),
        });
        res.end(JSON.stringify(out.body));
      }, out.delayMs ?? 0);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { server, port, hits, url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

const example = (trigger: unknown) => exampleDefinition(trigger);

/** Steps that record what they did, with an undo: for the saga test. */
const journal: string[] = [];
const recordStep = defineStepKind({
  type: 'test.record',
  description: 'test: records execute and compensate',
  config: z.object({ name: z.string(), fail: z.boolean().default(false) }),
  pure: false,
  async execute(config) {
    if (config.fail) throw Object.assign(new Error(`${config.name} failed`), { code: 'TEST_FAILED' });
    journal.push(`do:${config.name}`);
    return { kind: 'done', output: { name: config.name } };
  },
  async compensate(config) {
    journal.push(`undo:${config.name}`);
  },
});

/**
 * The whole suite runs on PGlite and PostgreSQL with the default `postgres` queue (the engine's
 * `table` dispatch: workers claim runs from the runs table), and again on PostgreSQL with a BullMQ
 * queue on a Redis of its own (`queue` dispatch: one message per hand-off, the sweep as backstop) —
 * the same semantics either way.
 */
describeEachBackend('workflow engine over the API', (getDb) => engineSuite(getDb));

if (haveRedisServer) {
  describeEachBackend(
    'workflow engine over the API, BullMQ queue',
    (getDb) => {
      let redis: RedisServer | undefined;
      let queue: QueueAdapter | undefined;
      engineSuite(getDb, {
        async open() {
          redis = await startRedisServer();
          queue = createBullmqQueue({ url: redis.url, prefix: 'sy-engine-test', logger: pino({ level: 'silent' }) });
          return queue;
        },
        async close() {
          await queue?.close({ timeoutMs: 2_000 });
          await redis?.stop();
        },
      });
    },
    { backends: ['postgres'] },
  );
} else {
  describe('workflow engine over the API, BullMQ queue', () => {
    it('needs redis-server', (t) => t.skip(`'${REDIS_SERVER}' not found on PATH`));
  });
}

function engineSuite(
  getDb: () => TestDatabase,
  bullmq?: { open(): Promise<QueueAdapter>; close(): Promise<void> },
): void {
  let t: TestApp;
  let other: TestApp;
  let server: Awaited<ReturnType<typeof startServer>>;
  let flaky = 0;

  before(async () => {
    server = await startServer((req) => {
      if (req.url?.startsWith('/flaky')) {
        flaky++;
        return flaky % 3 === 0 ? { status: 200, body: { ok: true, call: flaky } } : { status: 503, body: { no: 1 } };
      }
      if (req.url?.startsWith('/bad')) return { status: 400, body: { error: 'bad' } };
      if (req.url?.startsWith('/slow')) return { status: 200, body: { slow: true }, delayMs: 400 };
      if (req.url?.startsWith('/redirect')) return { status: 302, body: {}, location: 'http://127.0.0.1:9/secret' };
      return { status: 200, body: { echo: req.url } };
    });
    const queue = await bullmq?.open();
    t = await createTestApp(getDb(), {
      engine: queue ? { queue } : {},
      outbound: { allowlist: [`127.0.0.1:${server.port}`] },
    });
    t.workflows?.registry.register(recordStep);
    other = await createTestApp(getDb(), { engine: { roles: [] } });
  });
  after(async () => {
    await t.app.close();
    await other.app.close();
    await server.close();
    await bullmq?.close();
  });

  const api = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, app = t) => {
    const res = await app.app.inject({ method, url, ...(body === undefined ? {} : { payload: body as object }) });
    return {
      status: res.statusCode,
      body: res.body ? (res.json() as Record<string, unknown>) : {},
      headers: res.headers,
    };
  };
  const create = async (definition: unknown, extra: Record<string, unknown> = {}) => {
    const res = await api('POST', '/api/v1/workflows', { name: 'wf', definition, ...extra });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body as { id: string; webhookUrlPath: string | null; version: number };
  };
  const waitForRun = async (runId: string, statuses = ['succeeded', 'failed', 'cancelled'], timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const res = await api('GET', `/api/v1/runs/${runId}`);
      assert.equal(res.status, 200);
      if (statuses.includes(res.body.status as string))
        return res.body as Record<string, unknown> & { attempts: Record<string, unknown>[] };
      if (Date.now() > end)
        assert.fail(
          `run ${runId} still ${String(res.body.status)}: ${JSON.stringify(res.body)}\n${t.logs.lines
            .filter((l) => /"level":(40|50)/.test(l))
            .slice(-5)
            .join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const startRun = async (workflowId: string, input: unknown, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/workflows/${workflowId}/runs`,
      payload: { input },
      headers,
    });
    assert.equal(res.statusCode, 202, res.body);
    return res.json() as { runId: string; created: boolean };
  };

  it('runs the example manually: transform → condition → transform, every step recorded', async () => {
    const wf = await create(example({ type: 'manual', config: {} }));
    const { runId } = await startRun(wf.id, { n: 7 });
    const run = await waitForRun(runId);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(run.output, { n: 14, big: true });
    assert.deepEqual(
      run.attempts.map((a) => [a.stepId, a.status]),
      [
        ['double', 'succeeded'],
        ['big', 'succeeded'],
        ['reply', 'succeeded'],
      ],
    );
    assert.equal(run.attempts[1]?.branch, 'true');
  });

  it('answers a waiting webhook with the response step’s output, once active', async () => {
    const wf = await create(example({ type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } }));
    assert.ok(wf.webhookUrlPath?.startsWith('/hooks/whk_'));
    const before = await t.app.inject({ method: 'POST', url: wf.webhookUrlPath ?? '', payload: { n: 3 } });
    assert.equal(before.statusCode, 404, 'an inactive workflow has no webhook');
    assert.equal((await api('POST', `/api/v1/workflows/${wf.id}/activate`)).status, 200);
    const res = await t.app.inject({ method: 'POST', url: wf.webhookUrlPath ?? '', payload: { n: 3 } });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { n: 6, big: false });
    // Pure steps only: the run is recorded once, finished, with every attempt — before the answer.
    const runId = res.headers['x-switchyard-run-id'] as string;
    const run = await api('GET', `/api/v1/runs/${runId}`);
    assert.equal(run.status, 200);
    assert.equal(run.body.status, 'succeeded');
    assert.equal(run.body.triggerType, 'webhook');
    assert.deepEqual(run.body.output, { n: 6, big: false });
    assert.deepEqual((run.body.input as { body: unknown }).body, { n: 3 });
    const attempts = run.body.attempts as { stepId: string; status: string; output: unknown }[];
    assert.deepEqual(attempts.map((a) => [a.stepId, a.status]).sort(), [
      ['big', 'succeeded'],
      ['double', 'succeeded'],
      ['reply', 'succeeded'],
    ]);
  });

  it('records a waiting webhook run of pure steps that fails, with its failed step', async () => {
    const wf = await create({
      trigger: { type: 'webhook', config: { respond: 'wait', responseStep: 'boom' } },
      steps: [
        { id: 'ok', type: 'transform', config: { expression: '{"n": trigger.body.n}' } },
        { id: 'boom', type: 'transform', config: { expression: '$error("no good")' } },
      ],
      edges: [{ from: 'ok', to: 'boom' }],
    });
    await api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const res = await t.app.inject({ method: 'POST', url: wf.webhookUrlPath ?? '', payload: { n: 1 } });
    assert.ok(res.statusCode >= 500, res.body);
    const body = res.json() as { code: string; runId: string; stepId: string };
    assert.equal(body.code, 'WEBHOOK_RUN_FAILED');
    assert.equal(body.stepId, 'boom');
    const run = await api('GET', `/api/v1/runs/${body.runId}`);
    assert.equal(run.body.status, 'failed');
    const attempts = run.body.attempts as { stepId: string; status: string }[];
    assert.equal(attempts.find((a) => a.stepId === 'ok')?.status, 'succeeded');
    assert.equal(attempts.find((a) => a.stepId === 'boom')?.status, 'failed');
  });

  it('answers an immediate webhook 202 with a run id; a wrong key is a 404', async () => {
    const wf = await create(example({ type: 'webhook', config: { respond: 'immediately' } }));
    await api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const res = await t.app.inject({ method: 'POST', url: wf.webhookUrlPath ?? '', payload: { n: 20 } });
    assert.equal(res.statusCode, 202, res.body);
    const run = await waitForRun((res.json() as { runId: string }).runId);
    assert.deepEqual(run.output, { n: 40, big: true });
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/hooks/whk_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
      payload: {},
    });
    assert.equal(wrong.statusCode, 404);
    assert.equal((wrong.json() as { code: string }).code, 'WEBHOOK_NOT_FOUND');
  });

  it('checks the HMAC signature of a signed webhook', async () => {
    const { createHmac } = await import('node:crypto');
    const secret = 'a-webhook-secret-of-some-length';
    const wf = await create(example({ type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } }), {
      webhookSecret: secret,
    });
    await api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const payload = JSON.stringify({ n: 1 });
    const unsigned = await t.app.inject({
      method: 'POST',
      url: wf.webhookUrlPath ?? '',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(unsigned.statusCode, 401);
    const sig = createHmac('sha256', secret).update(payload).digest('hex');
    const signed = await t.app.inject({
      method: 'POST',
      url: wf.webhookUrlPath ?? '',
      payload,
      headers: { 'content-type': 'application/json', 'x-switchyard-signature': `sha256=${sig}` },
    });
    assert.equal(signed.statusCode, 200, signed.body);
  });

  it('applies a rotated secret, a new version and deactivation to the very next webhook call', async () => {
    const { createHmac } = await import('node:crypto');
    const first = 'the-first-webhook-secret';
    const second = 'the-second-webhook-secret';
    const wf = await create(example({ type: 'webhook', config: { respond: 'wait', responseStep: 'reply' } }), {
      webhookSecret: first,
    });
    await api('POST', `/api/v1/workflows/${wf.id}/activate`);
    const payload = JSON.stringify({ n: 3 });
    const call = (secret: string) =>
      t.app.inject({
        method: 'POST',
        url: wf.webhookUrlPath ?? '',
        payload,
        headers: {
          'content-type': 'application/json',
          'x-switchyard-signature': `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`,
        },
      });
    assert.equal((await call(first)).statusCode, 200); // the target is cached now
    assert.equal((await api('PATCH', `/api/v1/workflows/${wf.id}`, { webhookSecret: second })).status, 200);
    assert.equal((await call(first)).statusCode, 401);
    const rotated = await call(second);
    assert.equal(rotated.statusCode, 200, rotated.body);
    assert.deepEqual(rotated.json(), { n: 6, big: false });
    // A new version answers with a different step at once.
    const v2 = example({ type: 'webhook', config: { respond: 'wait', responseStep: 'double' } });
    assert.equal((await api('PATCH', `/api/v1/workflows/${wf.id}`, { definition: v2 })).status, 200);
    assert.deepEqual((await call(second)).json(), { n: 6 });
    await api('POST', `/api/v1/workflows/${wf.id}/deactivate`);
    const gone = await call(second);
    assert.equal(gone.statusCode, 404);
    assert.equal((gone.json() as { code: string }).code, 'WEBHOOK_NOT_FOUND');
  });

  it('rejects an invalid definition with every problem and its step', async () => {
    const res = await api('POST', '/api/v1/workflows', {
      name: 'bad',
      definition: {
        trigger: { type: 'manual', config: {} },
        steps: [
          { id: 'a', type: 'nope', config: {} },
          { id: 'b', type: 'transform', config: { expression: '(' } },
        ],
        edges: [{ from: 'a', to: 'zz' }],
      },
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'WORKFLOW_INVALID');
    const problems = res.body.problems as { stepId?: string; code: string }[];
    assert.ok(problems.length >= 3, JSON.stringify(problems));
    assert.ok(problems.some((p) => p.stepId === 'a'));
    assert.ok(problems.some((p) => p.stepId === 'b'));
  });

  it('retries a failing HTTP step with back-off until it succeeds, recording each attempt', async () => {
    flaky = 0;
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        {
          id: 'call',
          type: 'http',
          config: { url: `${server.url}/flaky` },
          retry: { maxAttempts: 4, backoffMs: 50, maxBackoffMs: 200 },
        },
      ],
      edges: [],
    });
    const { runId } = await startRun(wf.id, {});
    const run = await waitForRun(runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run));
    assert.deepEqual(
      run.attempts.map((a) => [a.attempt, a.status]),
      [
        [1, 'failed'],
        [2, 'failed'],
        [3, 'succeeded'],
      ],
    );
    assert.equal(server.hits.get('/flaky'), 3);
  });

  it('fails a step at once on a 4xx, and blocks loopback without an allow-list entry', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'call', type: 'http', config: { url: `${server.url}/bad` } }],
      edges: [],
    });
    const run = await waitForRun((await startRun(wf.id, {})).runId);
    assert.equal(run.status, 'failed');
    assert.equal(run.attempts.length, 1);
    assert.equal((run.error as { code: string }).code, 'HTTP_STATUS');

    const ssrf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'call', type: 'http', config: { url: 'http://127.0.0.1:9/' } }],
      edges: [],
    });
    const blocked = await waitForRun((await startRun(ssrf.id, {})).runId);
    assert.equal(blocked.status, 'failed');
    assert.equal((blocked.error as { code: string }).code, 'OUTBOUND_URL_FORBIDDEN');
  });

  it('blocks every spelling of a private or metadata address, and a redirect to one', async () => {
    const urls = [
      'http://127.0.0.1/',
      'http://localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      `${server.url}/redirect`,
    ];
    const runs = await Promise.all(
      urls.map(async (url) => {
        const wf = await create({
          trigger: { type: 'manual', config: {} },
          steps: [{ id: 'call', type: 'http', config: { url, timeoutMs: 2000 } }],
          edges: [],
        });
        return { url, runId: (await startRun(wf.id, {})).runId };
      }),
    );
    for (const { url, runId } of runs) {
      const run = await waitForRun(runId);
      assert.equal(run.status, 'failed', url);
      assert.equal(
        (run.error as { code: string }).code,
        'OUTBOUND_URL_FORBIDDEN',
        `${url}: ${JSON.stringify(run.error)}`,
      );
      // Refused once, never retried (a loaded machine may add a WORKER_LOST attempt before it).
      const refused = run.attempts.filter(
        (a) => (a.error as { code?: string } | null)?.code === 'OUTBOUND_URL_FORBIDDEN',
      );
      assert.equal(refused.length, 1, `${url} is not retried: ${JSON.stringify(run.attempts)}`);
    }
  });

  it('starts runs on a cron schedule while active, and stops when deactivated', async () => {
    const wf = await create({
      trigger: { type: 'schedule', config: { cron: '* * * * * *', timezone: 'Europe/Paris' } },
      steps: [{ id: 'tick', type: 'transform', config: { expression: 'trigger.firedAt' } }],
      edges: [],
    });
    assert.equal((await api('POST', `/api/v1/workflows/${wf.id}/activate`)).status, 200);
    const end = Date.now() + 10_000;
    let runs: { status: string; triggerType: string }[] = [];
    while (Date.now() < end) {
      runs = (await api('GET', `/api/v1/runs?workflowId=${wf.id}&limit=100`)).body.data as typeof runs;
      if (runs.filter((r) => r.status === 'succeeded').length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(runs.filter((r) => r.status === 'succeeded').length >= 2, JSON.stringify(runs));
    assert.ok(runs.every((r) => r.triggerType === 'schedule'));
    await api('POST', `/api/v1/workflows/${wf.id}/deactivate`);
    await new Promise((r) => setTimeout(r, 300));
    const settled = ((await api('GET', `/api/v1/runs?workflowId=${wf.id}&limit=100`)).body.data as unknown[]).length;
    await new Promise((r) => setTimeout(r, 2_500));
    const later = ((await api('GET', `/api/v1/runs?workflowId=${wf.id}&limit=100`)).body.data as unknown[]).length;
    assert.ok(later <= settled + 1, `no new runs after deactivation (${settled} → ${later})`);
  });

  it('skips the branch not taken', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'check', type: 'condition', config: { expression: 'trigger.body.go = true' } },
        { id: 'yes', type: 'transform', config: { expression: '"went"' } },
        { id: 'no', type: 'transform', config: { expression: '"stayed"' } },
      ],
      edges: [
        { from: 'check', to: 'yes', when: 'true' },
        { from: 'check', to: 'no', when: 'false' },
      ],
    });
    const run = await waitForRun((await startRun(wf.id, { go: false })).runId);
    assert.equal(run.status, 'succeeded');
    const by = Object.fromEntries(run.attempts.map((a) => [a.stepId, a.status]));
    assert.deepEqual(by, { check: 'succeeded', yes: 'skipped', no: 'succeeded' });
  });

  it('pins the version a run started on while the workflow is edited', async () => {
    const v1 = {
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'wait', type: 'delay', config: { ms: 800 } },
        { id: 'out', type: 'transform', config: { expression: '"v1"' } },
      ],
      edges: [{ from: 'wait', to: 'out' }],
    };
    const wf = await create(v1);
    const { runId } = await startRun(wf.id, {});
    await waitForRun(runId, ['waiting']);
    const edited = await api('PATCH', `/api/v1/workflows/${wf.id}`, {
      definition: { ...v1, steps: [v1.steps[0], { id: 'out', type: 'transform', config: { expression: '"v2"' } }] },
      version: 1,
    });
    assert.equal(edited.status, 200);
    assert.equal(edited.body.version, 2);
    const stale = await api('PATCH', `/api/v1/workflows/${wf.id}`, { name: 'x', version: 1 });
    assert.equal(stale.status, 409);
    const run = await waitForRun(runId);
    assert.equal(run.version, 1);
    assert.equal(run.output, 'v1');
    const next = await waitForRun((await startRun(wf.id, {})).runId);
    assert.equal(next.output, 'v2');
  });

  it('waits for an approval and follows the decision’s branch', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'ask', type: 'approval', config: { message: 'Ship {{ trigger.body.what }}?' } },
        { id: 'ship', type: 'transform', config: { expression: '"shipped"' } },
        { id: 'stop', type: 'transform', config: { expression: '"stopped"' } },
      ],
      edges: [
        { from: 'ask', to: 'ship', when: 'approved' },
        { from: 'ask', to: 'stop', when: 'rejected' },
      ],
    });
    const { runId } = await startRun(wf.id, { what: 'v2' });
    const waiting = await waitForRun(runId, ['waiting']);
    const ask = waiting.attempts.find((a) => a.stepId === 'ask');
    assert.equal((ask?.waitState as { state: { message: string } }).state.message, 'Ship v2?');
    const decided = await api('POST', `/api/v1/runs/${runId}/approvals/ask`, { decision: 'approved', comment: 'go' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    const again = await api('POST', `/api/v1/runs/${runId}/approvals/ask`, { decision: 'rejected' });
    assert.equal(again.status, 404);
    const run = await waitForRun(runId);
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 'shipped');
  });

  it('cancels a waiting run', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'wait', type: 'delay', config: { ms: 60_000 } }],
      edges: [],
    });
    const { runId } = await startRun(wf.id, {});
    await waitForRun(runId, ['waiting']);
    const res = await api('POST', `/api/v1/runs/${runId}/cancel`);
    assert.equal(res.status, 200);
    const run = await waitForRun(runId);
    assert.equal(run.status, 'cancelled');
    assert.equal((await api('POST', `/api/v1/runs/${runId}/cancel`)).status, 409);
  });

  it('compensates completed steps in reverse order when a later step fails', async () => {
    journal.length = 0;
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'a', type: 'test.record', config: { name: 'a' } },
        { id: 'b', type: 'test.record', config: { name: 'b' } },
        { id: 'c', type: 'test.record', config: { name: 'c', fail: true }, retry: { maxAttempts: 1 } },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
      ],
    });
    const run = await waitForRun((await startRun(wf.id, {})).runId);
    assert.equal(run.status, 'failed');
    assert.deepEqual(journal, ['do:a', 'do:b', 'undo:b', 'undo:a']);
    // Both undo rows are recorded (their order is the journal's: b, then a).
    assert.deepEqual(
      run.attempts
        .filter((a) => a.status === 'compensated')
        .map((a) => a.stepId)
        .sort(),
      ['a', 'b'],
    );
  });

  it('holds queued runs back at the workflow’s concurrency limit, visibly, and runs them in turn', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'slow', type: 'http', config: { url: `${server.url}/slow` } }],
      edges: [],
      settings: { concurrency: 1 },
    });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await startRun(wf.id, {})).runId);
    // While one runs (or waits), the others are queued with the reason.
    let reason: unknown = null;
    const end = Date.now() + 10_000;
    while (!reason && Date.now() < end) {
      const list = (await api('GET', `/api/v1/runs?workflowId=${wf.id}&status=queued`)).body.data as {
        queuedReason: string | null;
      }[];
      reason = list.find((r) => r.queuedReason)?.queuedReason ?? null;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(String(reason), /concurrency limit \(1\)/);
    for (const id of ids) assert.equal((await waitForRun(id)).status, 'succeeded');
  });

  it('loops over an array with a bounded concurrency, collecting outputs in order', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        {
          id: 'each',
          type: 'loop',
          config: {
            items: 'trigger.body.ids',
            step: { type: 'http', config: { url: `${server.url}/echo/{{ item }}?i={{ index }}` } },
            concurrency: 3,
          },
        },
        { id: 'paths', type: 'transform', config: { expression: 'steps.each.output.body.echo' } },
      ],
      edges: [{ from: 'each', to: 'paths' }],
    });
    const run = await waitForRun((await startRun(wf.id, { ids: ['a', 'b', 'c', 'd', 'e'] })).runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.deepEqual(run.output, ['/echo/a?i=0', '/echo/b?i=1', '/echo/c?i=2', '/echo/d?i=3', '/echo/e?i=4']);
  });

  it('calls a sub-workflow and waits for its result; a failing one fails the step', async () => {
    const child = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'pause', type: 'delay', config: { ms: 200 } },
        { id: 'triple', type: 'transform', config: { expression: 'trigger.body.n * 3' } },
      ],
      edges: [{ from: 'pause', to: 'triple' }],
    });
    const parent = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'call', type: 'workflow', config: { workflowId: child.id, input: { n: '{{ trigger.body.n }}' } } },
        { id: 'plus', type: 'transform', config: { expression: 'steps.call.output + 1' } },
      ],
      edges: [{ from: 'call', to: 'plus' }],
    });
    const started = await startRun(parent.id, { n: 5 });
    const run = await waitForRun(started.runId).catch(async (err: unknown) => {
      const kids = await api('GET', `/api/v1/runs?workflowId=${child.id}`);
      throw new Error(`${String(err)}\nchildren: ${JSON.stringify(kids.body)}`);
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.output, 16);
    const subRuns = (await api('GET', `/api/v1/runs?workflowId=${child.id}`)).body.data as { triggerType: string }[];
    assert.deepEqual(
      subRuns.map((r) => r.triggerType),
      ['subworkflow'],
    );

    const failing = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'boom', type: 'http', config: { url: `${server.url}/bad` } }],
      edges: [],
    });
    const caller = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'call', type: 'workflow', config: { workflowId: failing.id } }],
      edges: [],
    });
    const failed = await waitForRun((await startRun(caller.id, {})).runId);
    assert.equal(failed.status, 'failed');
    assert.equal((failed.error as { code: string }).code, 'SUBWORKFLOW_FAILED');
  });

  it('creates and updates items from a run, audited as the run', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        {
          id: 'make',
          type: 'items',
          config: { action: 'create', item: { name: '{{ trigger.body.name }}', tags: ['auto'] } },
        },
        {
          id: 'close',
          type: 'items',
          config: { action: 'update', id: '{{ steps.make.output.id }}', changes: { status: 'archived' } },
        },
      ],
      edges: [{ from: 'make', to: 'close' }],
    });
    const run = await waitForRun((await startRun(wf.id, { name: 'From a run' })).runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const item = run.output as { id: string; name: string; status: string; version: number };
    assert.deepEqual([item.name, item.status, item.version], ['From a run', 'archived', 2]);
    const got = await api('GET', `/api/v1/items/${item.id}`);
    assert.equal(got.status, 200);
    const audit = await api('GET', `/api/v1/audit-logs?targetId=${item.id}`);
    const actors = (audit.body.data as { actor: { type: string; id: string } }[]).map((a) => a.actor);
    assert.ok(
      actors.every((a) => a.type === 'system' && a.id === `run:${run.id as string}`),
      JSON.stringify(actors),
    );
  });

  it('starts event-triggered runs from item changes (with a filter) and from run outcomes', async () => {
    const onItem = await create({
      trigger: { type: 'event', config: { event: 'item.created', filter: 'item.status = "active"' } },
      steps: [{ id: 'seen', type: 'transform', config: { expression: 'trigger.event.item.name' } }],
      edges: [],
    });
    const onFail = await create({
      trigger: { type: 'event', config: { event: 'run.failed' } },
      steps: [{ id: 'alert', type: 'transform', config: { expression: 'trigger.event.error.code' } }],
      edges: [],
    });
    await api('POST', `/api/v1/workflows/${onItem.id}/activate`);
    await api('POST', `/api/v1/workflows/${onFail.id}/activate`);
    const events = t.workflows?.events;
    assert.ok(events);
    await events.tick(); // sets the cursor before the items below
    assert.equal((await api('POST', '/api/v1/items', { name: 'Listened to' })).status, 201);
    assert.equal((await api('POST', '/api/v1/items', { name: 'Filtered out', status: 'archived' })).status, 201);
    const end = Date.now() + 15_000;
    let seen: { status: string; triggerType: string; id: string }[] = [];
    while (Date.now() < end) {
      await events.tick();
      seen = (await api('GET', `/api/v1/runs?workflowId=${onItem.id}`)).body.data as typeof seen;
      if (seen.some((r) => r.status === 'succeeded')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (seen.length !== 1) {
      const audit = await api('GET', '/api/v1/audit-logs?action=item.created&limit=5');
      const wfs = await api('GET', `/api/v1/workflows/${onItem.id}`);
      assert.fail(
        `${JSON.stringify(seen)}\naudit: ${JSON.stringify(audit.body)}\nwf: ${JSON.stringify(wfs.body)}\nnow ${new Date().toISOString()}`,
      );
    }
    const run = await waitForRun(seen[0]?.id ?? '');
    assert.equal(run.output, 'Listened to');
    assert.equal(run.triggerType, 'event');

    const failing = await create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'boom', type: 'http', config: { url: `${server.url}/bad` } }],
      edges: [],
    });
    await waitForRun((await startRun(failing.id, {})).runId);
    let alerts: { id: string }[] = [];
    const end2 = Date.now() + 10_000;
    while (alerts.length === 0 && Date.now() < end2) {
      alerts = (await api('GET', `/api/v1/runs?workflowId=${onFail.id}`)).body.data as typeof alerts;
      await new Promise((r) => setTimeout(r, 100));
    }
    const alert = await waitForRun(alerts[0]?.id ?? '');
    assert.equal(alert.output, 'HTTP_STATUS');
    await api('POST', `/api/v1/workflows/${onFail.id}/deactivate`);
    await api('POST', `/api/v1/workflows/${onItem.id}/deactivate`);
  });

  it('enqueues a background job from a run', async () => {
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        {
          id: 'sum',
          type: 'job',
          config: {
            job: {
              type: 'process-data',
              payload: { format: 'json', data: '{{ trigger.body.rows }}', expression: '$sum(data.n)' },
            },
          },
        },
      ],
      edges: [],
    });
    const run = await waitForRun((await startRun(wf.id, { rows: [{ n: 1 }, { n: 2 }, { n: 3 }] })).runId);
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    const jobId = (run.output as { id: string }).id;
    const end = Date.now() + 15_000;
    let job: { status: string; result: unknown } = { status: 'queued', result: null };
    while (job.status !== 'succeeded' && Date.now() < end) {
      job = (await api('GET', `/api/v1/jobs/${jobId}`)).body as typeof job;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(job.status, 'succeeded', JSON.stringify(job));
    assert.equal(job.result, 6);
  });

  it('starts one run per Idempotency-Key', async () => {
    const wf = await create(example({ type: 'manual', config: {} }));
    const first = await startRun(wf.id, { n: 1 }, { 'idempotency-key': 'order-42' });
    const second = await startRun(wf.id, { n: 1 }, { 'idempotency-key': 'order-42' });
    assert.equal(second.runId, first.runId);
    assert.deepEqual([first.created, second.created], [true, false]);
  });

  it('re-runs a failed run from its failed step, carrying the rest over', async () => {
    flaky = 1; // next call is the 2nd: fails; the one after that fails; the 3rd succeeds
    const wf = await create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'first', type: 'test.record', config: { name: 'first' } },
        { id: 'call', type: 'http', config: { url: `${server.url}/flaky` }, retry: { maxAttempts: 1 } },
      ],
      edges: [{ from: 'first', to: 'call' }],
    });
    journal.length = 0;
    const failed = await waitForRun((await startRun(wf.id, {})).runId);
    assert.equal(failed.status, 'failed');
    flaky = 2; // the next call succeeds
    const res = await api('POST', `/api/v1/runs/${failed.id as string}/rerun`, {});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.carriedOver, ['first']);
    const rerun = await waitForRun(res.body.runId as string);
    assert.equal(rerun.status, 'succeeded');
    assert.equal(journal.filter((j) => j === 'do:first').length, 1, 'the carried-over step did not run again');
  });

  it("never shows one tenant's workflows or runs to another", async () => {
    const wf = await create(example({ type: 'manual', config: {} }));
    const { runId } = await startRun(wf.id, { n: 2 });
    await waitForRun(runId);
    assert.equal((await api('GET', `/api/v1/workflows/${wf.id}`, undefined, other)).status, 404);
    assert.equal((await api('GET', `/api/v1/runs/${runId}`, undefined, other)).status, 404);
    assert.equal((await api('POST', `/api/v1/runs/${runId}/cancel`, undefined, other)).status, 404);
    assert.equal((await api('POST', `/api/v1/workflows/${wf.id}/runs`, {}, other)).status, 404);
    const list = await api('GET', '/api/v1/runs', undefined, other);
    assert.deepEqual(list.body.data, []);
  });
}
