import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, isPostgresAvailable, type TestDatabase } from '../support/databases.ts';
import { type CollectedSpan, type OtlpCollector, startOtlpCollector } from '../support/otlp-collector.ts';
import {
  api,
  type CliProcess,
  cliEnv,
  killAll,
  makeDataDir,
  newSecretKey,
  removeDataDirs,
  signupHeaders,
  spawnCli,
  startReady,
} from './spawn.ts';

/**
 * One trace from a webhook to the last step, across processes: an `api` and a `worker` on one
 * PostgreSQL, each exporting to a local OTLP receiver (the api as protobuf, the worker as JSON).
 * The caller's own `traceparent` is continued; the run's step calls an outside server, which
 * receives the trace context too.
 */

const postgres = await isPostgresAvailable();

interface Downstream {
  port: number;
  traceparents: string[];
  close(): Promise<void>;
}

async function downstream(): Promise<Downstream> {
  const traceparents: string[] = [];
  const server = http.createServer((req, res) => {
    traceparents.push(String(req.headers.traceparent ?? ''));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    traceparents,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const service = (s: CollectedSpan) => String(s.resource['service.name']);

describe('tracing end to end', { skip: !postgres && 'PostgreSQL not reachable' }, () => {
  let db: TestDatabase;
  let collector: OtlpCollector;
  let target: Downstream;
  let url: string;
  let apiProc: CliProcess;
  let headers: Record<string, string>;

  before(async () => {
    db = await createTestDatabase('postgres');
    collector = await startOtlpCollector();
    target = await downstream();
    const env = cliEnv({
      DATABASE_URL: db.url,
      SWITCHYARD_SECRET_KEY: newSecretKey(),
      SWITCHYARD_DATA_DIR: makeDataDir(),
      EGRESS_ALLOWLIST: `127.0.0.1:${target.port}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      // Spans leave within 100 ms instead of 5 s.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const migrated = spawnCli(['migrate'], env);
    assert.deepEqual(await migrated.waitForExit(90_000), { code: 0, signal: null }, migrated.output());
    ({ proc: apiProc, url } = await startReady(['api'], env));
    const worker = spawnCli(['worker'], { ...env, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    const scheduler = spawnCli(['scheduler'], env);
    await worker.waitForLog((l) => l.msg === 'worker role started', 'the worker to start', 90_000);
    await scheduler.waitForLog((l) => l.msg === 'scheduler role started', 'the scheduler to start', 90_000);
    headers = await signupHeaders(url);
  });
  after(async () => {
    await killAll();
    await collector?.close();
    await target?.close();
    await db?.dispose();
    removeDataDirs();
  });

  /** Creates and activates a workflow as the signed-up user. */
  const createActive = async (name: string, definition: unknown) => {
    const created = await api(url, 'POST', '/api/v1/workflows', { name, definition }, headers);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const wf = created.body as { id: string; webhookUrlPath: string };
    assert.equal((await api(url, 'POST', `/api/v1/workflows/${wf.id}/activate`, undefined, headers)).status, 200);
    return wf;
  };

  /** An api process configured with `extra`: it must refuse to start (exit 78) saying `message`. */
  const refusesToStart = async (extra: Record<string, string>, message: RegExp) => {
    const p = spawnCli(['api'], {
      ...cliEnv({ SWITCHYARD_DATA_DIR: makeDataDir(), OTEL_EXPORTER_OTLP_ENDPOINT: collector.url }),
      ...extra,
    });
    assert.deepEqual(await p.waitForExit(60_000), { code: 78, signal: null }, p.output());
    assert.match(p.stderr, message);
  };

  it('shows webhook → run → every step attempt in one trace, across the api and worker processes', async () => {
    const wf = await createActive('traced', {
      trigger: { type: 'webhook', config: { respond: 'immediately' } },
      steps: [
        { id: 'call', type: 'http', config: { url: `http://127.0.0.1:${target.port}/called` } },
        { id: 'shape', type: 'transform', config: { expression: '{ "ok": steps.call.output.body.ok }' } },
        // The sandbox (a worker thread) runs under the tracing loader hook too.
        { id: 'compute', type: 'code', config: { code: 'return { n: 6 * 7 };' } },
      ],
      edges: [
        { from: 'call', to: 'shape' },
        { from: 'shape', to: 'compute' },
      ],
    });

    // The caller's trace: everything below must join it.
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const hook = await api(
      url,
      'POST',
      wf.webhookUrlPath,
      { hello: 'world' },
      { traceparent: `00-${traceId}-${callerSpan}-01` },
    );
    assert.equal(hook.status, 202, JSON.stringify(hook.body));
    const runId = (hook.body as { runId: string }).runId;

    let run: { status: string; traceId: string | null } | undefined;
    for (const end = Date.now() + 30_000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
      run = (await api(url, 'GET', `/api/v1/runs/${runId}`, undefined, headers)).body as typeof run;
      if (run?.status === 'succeeded' || run?.status === 'failed') break;
    }
    assert.equal(run?.status, 'succeeded', JSON.stringify(run));
    assert.equal(run?.traceId, traceId, 'the run names the trace it belongs to');

    const inTrace = (spans: CollectedSpan[]) => spans.filter((s) => s.traceId === traceId);
    await collector.waitFor(
      (spans) => inTrace(spans).some((s) => s.name === 'step code'),
      'the last step span of the trace',
    );
    const spans = inTrace(collector.spans);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const one = (predicate: (s: CollectedSpan) => boolean, what: string) => {
      const found = spans.filter(predicate);
      assert.equal(found.length, 1, `one ${what}; got ${found.map((s) => `${service(s)}:${s.name}`).join(', ')}`);
      return found[0] as CollectedSpan;
    };

    // The api: the HTTP server span continues the caller's span.
    const server = one((s) => s.kind === 2 && service(s) === 'switchyard-api', 'server span in the api');
    assert.equal(server.parentSpanId, callerSpan);
    assert.equal(server.encoding, 'protobuf');
    assert.equal(server.attributes['http.route'], '/hooks/:key', 'the route, with its parameter');
    // The webhook's key is a credential: no span of the trace holds it.
    const hookKey = wf.webhookUrlPath.split('/').pop() ?? '';
    assert.match(hookKey, /^whk_/);
    assert.ok(!JSON.stringify(collector.spans).includes(hookKey), 'a span holds the webhook key');
    assert.ok(
      spans.some((s) => Object.values(s.attributes).includes('/hooks/[redacted]')),
      'the request path is recorded, redacted',
    );

    // The worker: the run span, and a span per step attempt under it.
    const runSpan = one((s) => s.name === 'run', 'run span');
    assert.equal(service(runSpan), 'switchyard-worker');
    assert.equal(runSpan.encoding, 'json');
    assert.equal(runSpan.attributes['switchyard.run.id'], runId);
    assert.equal(runSpan.attributes['switchyard.run.status'], 'succeeded');
    // Its parent is a span of the api's request (the one that recorded the run).
    const runParent = byId.get(runSpan.parentSpanId);
    assert.equal(runParent && service(runParent), 'switchyard-api', 'the run span hangs under the api request');

    const call = one((s) => s.name === 'step http', 'http step span');
    const shape = one((s) => s.name === 'step transform', 'transform step span');
    const compute = one((s) => s.name === 'step code', 'code step span');
    for (const step of [call, shape, compute]) {
      assert.equal(step.parentSpanId, runSpan.spanId);
      assert.equal(step.attributes['switchyard.step.attempt'], 1);
      assert.equal(step.attributes['switchyard.step.outcome'], 'succeeded');
    }
    assert.equal(call.attributes['switchyard.step.id'], 'call');

    // The step's outbound call is a client span under it, and the outside server got the context.
    const client = one((s) => s.kind === 3 && s.parentSpanId === call.spanId, 'client span of the http step');
    assert.equal(service(client), 'switchyard-worker');
    assert.equal(target.traceparents.length, 1);
    assert.match(target.traceparents[0] ?? '', new RegExp(`^00-${traceId}-${client.spanId}-01$`));

    // Database statements inside the run are spans too (pg), with no parameter values.
    const statements = spans.filter(
      (s) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql',
    );
    assert.ok(
      statements.some((s) => service(s) === 'switchyard-worker'),
      'the worker’s statements are traced',
    );
    assert.ok(
      statements.every((s) => !JSON.stringify(s.attributes).includes('world')),
      'no values in statements',
    );

    // Probes and scrapes are not traced; nothing was refused.
    assert.ok(!collector.spans.some((s) => JSON.stringify(s.attributes).includes('/health/ready')));
    assert.deepEqual(collector.rejected, []);

    // The api's log line of the webhook request names the trace.
    assert.ok(
      apiProc.logs.some((l) => l.trace_id === traceId && typeof l.span_id === 'string'),
      'a log line carries the trace id',
    );
  });

  it('carries a job from the request that submitted it to the worker that ran it', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await api(
      url,
      'POST',
      '/api/v1/jobs',
      { type: 'cleanup', payload: { dryRun: true } },
      {
        ...headers,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    await collector.waitFor(
      (spans) => spans.some((s) => s.traceId === traceId && s.name === 'job cleanup'),
      'the job span in the trace',
    );
    const job = collector.spans.find((s) => s.traceId === traceId && s.name === 'job cleanup');
    assert.equal(job && service(job), 'switchyard-worker');
    assert.equal(job?.attributes['switchyard.job.id'], (res.body as { id: string }).id);
    const parent = collector.spans.find((s) => s.spanId === job?.parentSpanId);
    assert.equal(parent && service(parent), 'switchyard-api');
  });

  it('refuses an OTLP protocol it cannot speak at start, with exit code 78', async () => {
    await refusesToStart(
      { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: use http\/protobuf/,
    );
    await refusesToStart(
      { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,mysql' },
      /unknown instrumentation "mysql" \(known: http, fastify, undici, pg, ioredis\)/,
    );
  });

  it('follows an item change through the event relay (scheduler) to the run it triggers (worker)', async () => {
    await createActive('on item', {
      trigger: { type: 'event', config: { event: 'item.created' } },
      steps: [{ id: 'seen', type: 'transform', config: { expression: '{"name": trigger.event.item.name}' } }],
      edges: [],
    });
    const traceId = randomBytes(16).toString('hex');
    const item = await api(
      url,
      'POST',
      '/api/v1/items',
      { name: 'watched' },
      {
        ...headers,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    );
    assert.equal(item.status, 201, JSON.stringify(item.body));
    await collector.waitFor(
      (spans) => spans.some((s) => s.traceId === traceId && s.name === 'step transform'),
      'the event-triggered run in the item request’s trace',
    );
    const spans = collector.spans.filter((s) => s.traceId === traceId);
    const runSpan = spans.find((s) => s.name === 'run');
    assert.equal(runSpan?.attributes['switchyard.run.trigger'], 'event');
    assert.equal(runSpan && service(runSpan), 'switchyard-worker');
    // Started by the scheduler's relay, under the api request that created the item.
    const parent = spans.find((s) => s.spanId === runSpan?.parentSpanId);
    assert.equal(parent && service(parent), 'switchyard-api');
  });

  it('puts the trace id in problem documents', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await api(url, 'GET', '/api/v1/no-such-route', undefined, {
      traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
    });
    assert.equal(res.status, 404);
    assert.equal((res.body as { traceId?: string }).traceId, traceId);
    // A fresh request without a caller's context starts a trace of its own.
    const fresh = await api(url, 'GET', '/api/v1/no-such-route');
    assert.match((fresh.body as { traceId?: string }).traceId ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual((fresh.body as { traceId?: string }).traceId, traceId);
  });
});
