import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { createTestApp, describeEachBackend, LogCapture, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';
import { createItem } from '../../modules/items/index.ts';
import { createJob } from '../../modules/jobs/jobs.service.ts';
import { createLogger } from './logger.ts';
import { activeTraceIds, captureTraceContext, restoreTraceContext } from './tracing.ts';
import { RedactingSpanProcessor, redactTelemetryUrl } from './tracing-sdk.ts';

// A real SDK in this test process, exporting to memory (bin/switchyard.mjs starts the same
// provider with an OTLP exporter): the application code below only ever sees the API.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({
  spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)],
});
provider.register();
after(() => provider.shutdown());

const tracer = trace.getTracer('test');

/** Runs `fn` inside a fresh span and returns the span's context ids. */
async function underSpan<T>(fn: () => Promise<T>): Promise<{ result: T; traceId: string; spanId: string }> {
  const span = tracer.startSpan('caller');
  try {
    const result = await context.with(trace.setSpan(context.active(), span), fn);
    const { traceId, spanId } = span.spanContext();
    return { result, traceId, spanId };
  } finally {
    span.end();
  }
}

describe('trace context storage', () => {
  it('captures nothing outside a span, and a W3C traceparent inside one', async () => {
    assert.equal(captureTraceContext(ROOT_CONTEXT), null);
    const { result, traceId, spanId } = await underSpan(async () => captureTraceContext());
    assert.equal(result, `00-${traceId}-${spanId}-01`);
  });

  it('restores the stored context as the remote parent, tracestate included', () => {
    const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01;vendor=abc';
    const ctx = restoreTraceContext(stored);
    const sc = trace.getSpanContext(ctx);
    assert.equal(sc?.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(sc?.spanId, 'b7ad6b7169203331');
    assert.equal(sc?.isRemote, true);
    assert.equal(sc?.traceState?.get('vendor'), 'abc');
    assert.equal(
      captureTraceContext(trace.setSpan(ctx, trace.wrapSpanContext(sc ?? assert.fail('no span context')))),
      stored,
    );
  });

  it('starts afresh from a missing or malformed stored context', () => {
    for (const bad of [
      null,
      undefined,
      '',
      'garbage',
      '00-xyz-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c',
    ]) {
      assert.equal(trace.getSpanContext(restoreTraceContext(bad)), undefined, String(bad));
    }
  });
});

describe('URLs in spans', () => {
  it('redacts webhook keys, approval tokens and every query value, and keeps the rest', () => {
    assert.equal(redactTelemetryUrl('/hooks/whk_secret'), '/hooks/[redacted]');
    assert.equal(redactTelemetryUrl('/approvals/apl_tok/decide?x=1'), '/approvals/[redacted]/decide?x=[redacted]');
    assert.equal(
      redactTelemetryUrl('https://api.example.com/v1/items?api_key=sk-123&page=2&flag#top'),
      'https://api.example.com/v1/items?api_key=[redacted]&page=[redacted]&flag#top',
    );
    assert.equal(redactTelemetryUrl('code=abc&state=def', 'url.query'), 'code=[redacted]&state=[redacted]');
    assert.equal(redactTelemetryUrl('/api/v1/items'), '/api/v1/items');
  });

  it('rewrites URL attributes set when a span starts and later', () => {
    exporter.reset();
    const span = tracer.startSpan('GET', { attributes: { 'url.full': 'http://h/hooks/whk_k?token=t', other: 'x' } });
    span.setAttribute('url.path', '/approvals/apl_t');
    span.end();
    const [done] = exporter.getFinishedSpans();
    assert.equal(done?.attributes['url.full'], 'http://h/hooks/[redacted]?token=[redacted]');
    assert.equal(done?.attributes['url.path'], '/approvals/[redacted]');
    assert.equal(done?.attributes.other, 'x');
  });
});

describe('log lines', () => {
  it('carry trace_id and span_id inside a span, and neither outside', async () => {
    const lines = new LogCapture();
    const logger = createLogger({ level: 'info', pretty: false, destination: lines });
    logger.info('outside');
    const { traceId, spanId } = await underSpan(async () => logger.info('inside'));
    const [outside, inside] = lines.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(outside?.trace_id, undefined);
    assert.equal(inside?.trace_id, traceId);
    assert.equal(inside?.span_id, spanId);
    assert.equal(activeTraceIds(), undefined);
  });
});

const actorOf = (t: TestApp) => ({
  tenantId: t.tenantId,
  actor: { type: 'user' as const, id: 'usr_test' },
  role: 'owner' as const,
  requestId: undefined,
  ip: undefined,
  userAgent: undefined,
});

describeEachBackend('runs and jobs continue the trace that started them', (getDb) => {
  let t: TestApp;
  let wf: ReturnType<typeof workflowClient>;
  before(async () => {
    t = await createTestApp(getDb(), { engine: { roles: ['worker'] } });
    wf = workflowClient(t);
  });
  after(() => t.app.close());

  const spansOf = (traceId: string) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
  const waitForSpan = async (traceId: string, name: string, count = 1): Promise<ReadableSpan[]> => {
    const end = Date.now() + 15_000;
    for (;;) {
      const found = spansOf(traceId).filter((s) => s.name === name);
      if (found.length >= count) return found;
      if (Date.now() > end)
        throw new Error(
          `no ${count}× ${name} span: ${spansOf(traceId).map((s) => s.name)}; all: ${exporter
            .getFinishedSpans()
            .map((s) => s.name)
            .slice(-20)}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('a queued run: the run span under the caller, a step span per attempt, each pass in the same trace', async () => {
    const { id } = await wf.create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'first', type: 'transform', config: { expression: '{"n": 1}' } },
        { id: 'pause', type: 'delay', config: { ms: 50 } },
        { id: 'last', type: 'transform', config: { expression: '{"n": steps.first.output.n + 1}' } },
      ],
      edges: [
        { from: 'first', to: 'pause' },
        { from: 'pause', to: 'last' },
      ],
    });
    const { result, traceId, spanId } = await underSpan(() => wf.startRun(id, {}));
    const run = await wf.waitForRun(result.runId);
    assert.equal(run.status, 'succeeded');
    assert.equal((run as { traceId?: string }).traceId, traceId);

    // Two passes: up to the delay, and after it.
    const passes = await waitForSpan(traceId, 'run', 2);
    for (const pass of passes) {
      assert.equal(pass.parentSpanContext?.spanId, spanId, 'each pass hangs under the caller');
      assert.equal(pass.attributes['switchyard.run.id'], result.runId);
    }
    assert.deepEqual(passes.map((p) => p.attributes['switchyard.run.status']).sort(), ['succeeded', 'waiting']);
    const steps = spansOf(traceId).filter((s) => s.name.startsWith('step '));
    assert.deepEqual(steps.map((s) => s.attributes['switchyard.step.id']).sort(), ['first', 'last', 'pause']);
    const passIds = new Set(passes.map((p) => p.spanContext().spanId));
    assert.ok(
      steps.every((s) => passIds.has(s.parentSpanContext?.spanId ?? '')),
      'steps hang under a pass',
    );
    const pause = steps.find((s) => s.attributes['switchyard.step.id'] === 'pause');
    assert.equal(pause?.attributes['switchyard.step.outcome'], 'waiting');
  });

  it('an AI step span names the model that answered and its tokens, never the text', async () => {
    const secret = 'Quarterly numbers are confidential. The merger closes on Friday. Nobody knows yet.';
    const { id } = await wf.create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'sum', type: 'ai.summarize', config: { text: '{{ trigger.body.text }}', maxSentences: 1 } }],
      edges: [],
    });
    const { result, traceId } = await underSpan(() => wf.startRun(id, { text: secret }));
    assert.equal((await wf.waitForRun(result.runId)).status, 'succeeded');
    const [step] = await waitForSpan(traceId, 'step ai.summarize');
    assert.equal(step?.attributes['gen_ai.system'], 'offline');
    assert.equal(typeof step?.attributes['gen_ai.usage.input_tokens'], 'number');
    assert.ok(!JSON.stringify(spansOf(traceId).map((s) => s.attributes)).includes('merger'), 'no text in spans');
  });

  it('a run started outside any span (a cron tick, the event relay) gets a trace of its own for all its passes', async () => {
    const { id } = await wf.create({
      trigger: { type: 'manual', config: {} },
      steps: [
        { id: 'pause', type: 'delay', config: { ms: 50 } },
        { id: 'after', type: 'transform', config: { expression: '{"ok": true}' } },
      ],
      edges: [{ from: 'pause', to: 'after' }],
    });
    const { runId } = await context.with(ROOT_CONTEXT, () => wf.startRun(id, {}));
    const run = (await wf.waitForRun(runId)) as unknown as { status: string; traceId?: string | null };
    assert.equal(run.status, 'succeeded');
    assert.match(run.traceId ?? '', /^[0-9a-f]{32}$/);
    const traceId = run.traceId ?? '';
    const passes = await waitForSpan(traceId, 'run', 2);
    const [root] = await waitForSpan(traceId, 'trigger manual');
    assert.equal(root?.parentSpanContext, undefined, 'the trigger span is the root');
    for (const pass of passes) assert.equal(pass.parentSpanContext?.spanId, root?.spanContext().spanId);
  });

  it('an event-triggered run continues the trace of the request that changed the item', async () => {
    const { id } = await wf.create({
      trigger: { type: 'event', config: { event: 'item.created' } },
      steps: [{ id: 'seen', type: 'transform', config: { expression: '{"name": trigger.event.item.name}' } }],
      edges: [],
    });
    assert.equal((await wf.api('POST', `/api/v1/workflows/${id}/activate`)).status, 200);
    const relay = t.workflows?.events;
    assert.ok(relay);
    await relay.tick(); // the relay's cursor starts from here
    // The service call an API request makes (app.inject does not carry a context into handlers;
    // over real HTTP the http instrumentation does: test/e2e/tracing.test.ts).
    const { traceId, spanId } = await underSpan(() =>
      createItem(getDb().handle.db, actorOf(t), {
        name: 'traced item',
        description: '',
        status: 'active',
        tags: [],
        metadata: {},
      } as never),
    );
    // The relay (scheduler role) reads entries once they are a second old.
    await new Promise((r) => setTimeout(r, 1_100));
    await relay.tick();
    const [runSpan] = await waitForSpan(traceId, 'run');
    assert.equal(runSpan?.attributes['switchyard.run.trigger'], 'event');
    assert.equal(runSpan?.parentSpanContext?.spanId, spanId);
  });

  it('a failing step marks its span and the run span as errors', async () => {
    const { id } = await wf.create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'boom', type: 'transform', config: { expression: '$error("no")' } }],
      edges: [],
    });
    const { result, traceId } = await underSpan(() => wf.startRun(id, {}));
    assert.equal((await wf.waitForRun(result.runId)).status, 'failed');
    const [runSpan] = await waitForSpan(traceId, 'run');
    const [step] = await waitForSpan(traceId, 'step transform');
    assert.equal(runSpan?.status.code, 2);
    assert.equal(step?.status.code, 2);
    assert.ok((step?.events ?? []).some((e) => e.name === 'exception'));
  });

  it('a job: its execution continues the trace of whatever submitted it', async () => {
    const queue = t.workflows?.queue;
    assert.ok(queue);
    const actor = actorOf(t);
    const { result, traceId, spanId } = await underSpan(() =>
      createJob({ db: getDb().handle.db, queue }, actor, { type: 'cleanup', payload: { dryRun: true } } as never),
    );
    const [job] = await waitForSpan(traceId, 'job cleanup');
    assert.equal(job?.parentSpanContext?.spanId, spanId);
    assert.equal(job?.attributes['switchyard.job.id'], result.job.id);
  });
});
