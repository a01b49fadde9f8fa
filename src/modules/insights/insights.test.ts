import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';
import { newId } from '../../platform/ids.ts';
import { runs, stepAttempts } from '../workflows/workflows.table.ts';
import { HOUR_MS } from './detect.ts';
import { INSIGHTS_CRON, INSIGHTS_QUEUE } from './insights.job.ts';
import { raiseInsights } from './insights.service.ts';

/** The pass's clock: the history below ends at this (whole) hour. */
const END = new Date('2026-03-02T12:00:00.000Z');
const HOURS = 168;

interface SeedRun {
  hour: number;
  failed: boolean;
  ms: number;
  steps: { id: string; type: string; ms: number; attempts?: number }[];
}

describeEachBackend('insights', (getDb) => {
  let t: TestApp;
  let c: ReturnType<typeof workflowClient>;
  const deps = () => ({ db: getDb().handle.db, logger: pino({ level: 'silent' }) });

  before(async () => {
    // No scheduler role: the test runs the pass and the event relay itself, with its own clock.
    t = await createTestApp(getDb(), { engine: { roles: ['worker'] } });
    c = workflowClient(t);
  });
  after(async () => {
    await t.app.close();
  });

  const linear = { trigger: { type: 'manual' }, steps: [{ id: 'a', type: 'transform', config: { expression: '1' } }] };

  /** Writes finished runs (and their step attempts) as the engine would have, `hour` 0 the oldest. */
  async function seed(workflowId: string, list: SeedRun[]) {
    const db = getDb().handle.db;
    const runRows: (typeof runs.$inferInsert)[] = [];
    const attemptRows: (typeof stepAttempts.$inferInsert)[] = [];
    for (const [i, r] of list.entries()) {
      const created = new Date(END.getTime() - (HOURS - r.hour) * HOUR_MS + (i % 50) * 1_000);
      const id = newId('run', created.getTime());
      runRows.push({
        id,
        tenantId: t.tenantId,
        workflowId,
        version: 1,
        status: r.failed ? 'failed' : 'succeeded',
        triggerType: 'manual',
        input: {},
        error: r.failed ? { code: 'HTTP_STATUS', message: 'HTTP 503', stepId: r.steps.at(-1)?.id ?? 'a' } : null,
        createdAt: created,
        startedAt: created,
        finishedAt: new Date(created.getTime() + r.ms),
      });
      let at = created.getTime();
      for (const [j, s] of r.steps.entries()) {
        const attempts = s.attempts ?? 1;
        for (let n = 1; n <= attempts; n++) {
          const last = n === attempts;
          const failed = !last || (r.failed && j === r.steps.length - 1);
          attemptRows.push({
            id: newId('sat'),
            tenantId: t.tenantId,
            runId: id,
            stepId: s.id,
            attempt: n,
            status: failed ? 'failed' : 'succeeded',
            stepType: s.type,
            error: failed ? { code: 'HTTP_STATUS', message: 'HTTP 503', stepId: s.id } : null,
            workerId: 'test-worker',
            leaseEpoch: 1,
            startedAt: new Date(at),
            finishedAt: new Date(at + s.ms),
          });
          at += s.ms;
        }
      }
    }
    for (let i = 0; i < runRows.length; i += 1000) await db.insert(runs).values(runRows.slice(i, i + 1000));
    for (let i = 0; i < attemptRows.length; i += 1000) {
      await db.insert(stepAttempts).values(attemptRows.slice(i, i + 1000));
    }
  }

  const hours = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

  it('raises anomalies and hot spots from seeded history, once, and lists them', async () => {
    // "flaky": 10 runs an hour failing now and then (0–10%), then 60% for the last three hours.
    const flaky = await c.create(linear);
    await seed(
      flaky.id,
      hours(0, HOURS).flatMap((h) =>
        Array.from({ length: 10 }, (_, k) => ({
          hour: h,
          failed: h >= HOURS - 3 ? k < 6 : h % 4 === 0 && k === 0,
          ms: 1_000 + (h % 3) * 20,
          steps: [{ id: 'call', type: 'http', ms: 900 }],
        })),
      ),
    );
    // "slow": always succeeds; runs take ~1 s, then 5 s for the last three hours. In its last day
    // `fetch` needs a retry every run and `think` takes most of the time.
    const slow = await c.create(linear);
    await seed(
      slow.id,
      hours(0, HOURS).flatMap((h) =>
        Array.from({ length: 5 }, () => {
          const thinkMs = h >= HOURS - 3 ? 4_900 : 900 + (h % 3) * 15;
          return {
            hour: h,
            failed: false,
            ms: 100 + thinkMs,
            steps: [
              { id: 'fetch', type: 'http', ms: 100, attempts: h >= HOURS - 24 ? 2 : 1 },
              { id: 'think', type: 'ai.generate', ms: thinkMs },
            ],
          };
        }),
      ),
    );
    // "steady": nothing to say.
    const steady = await c.create(linear);
    await seed(
      steady.id,
      hours(0, HOURS).flatMap((h) =>
        Array.from({ length: 10 }, () => ({
          hour: h,
          failed: false,
          ms: 500,
          steps: [{ id: 'a', type: 'transform', ms: 1 }],
        })),
      ),
    );
    // "young": six hours old, failing a lot: too little history for an anomaly, but a failing step.
    const young = await c.create(linear);
    await seed(
      young.id,
      hours(HOURS - 6, HOURS).flatMap((h) =>
        Array.from({ length: 10 }, (_, k) => ({
          hour: h,
          failed: k < 5,
          ms: 300,
          steps: [{ id: 'post', type: 'http', ms: 250 }],
        })),
      ),
    );

    const first = await raiseInsights(deps(), { now: new Date(END.getTime() + 7 * 60_000), tenantId: t.tenantId });
    const found = first.raised.map((i) => [i.workflowId, i.kind, i.details.stepId ?? i.details.type] as const);
    const byWorkflow = (id: string) =>
      found
        .filter(([w]) => w === id)
        .map(([, kind, what]) => `${kind}:${String(what)}`)
        .sort();
    assert.deepEqual(byWorkflow(flaky.id), ['failing_step:call', 'failure_rate_anomaly:shift']);
    assert.deepEqual(byWorkflow(slow.id), ['latency_anomaly:shift', 'retry_hotspot:fetch', 'slow_step:think']);
    assert.deepEqual(byWorkflow(steady.id), []);
    assert.deepEqual(byWorkflow(young.id), ['failing_step:post']);

    const rate = first.raised.find((i) => i.kind === 'failure_rate_anomaly');
    assert.ok(rate);
    assert.equal(rate.details.since, new Date(END.getTime() - 3 * HOUR_MS).toISOString());
    assert.match(rate.title, /^Failure rate up to \d+% since 2026-03-02T09:00Z \(usually 0%\)$/);
    assert.ok(['warning', 'critical'].includes(rate.severity));
    assert.equal(rate.windowEnd, END.toISOString());
    assert.equal(rate.windowStart, new Date(END.getTime() - HOURS * HOUR_MS).toISOString());
    const retry = first.raised.find((i) => i.kind === 'retry_hotspot');
    assert.deepEqual(
      [retry?.details.retries, retry?.details.runs, retry?.details.codes],
      [120, 120, [{ code: 'HTTP_STATUS', n: 120 }]],
    );
    assert.equal(retry?.severity, 'warning');
    const failing = first.raised.find((i) => i.kind === 'failing_step' && i.workflowId === young.id);
    assert.deepEqual([failing?.details.failedRuns, failing?.details.runs, failing?.severity], [30, 60, 'critical']);

    // The same hour again, and the next one: the same findings have the same keys, nothing new.
    assert.deepEqual((await raiseInsights(deps(), { now: END, tenantId: t.tenantId })).raised, []);
    const next = await raiseInsights(deps(), { now: new Date(END.getTime() + HOUR_MS), tenantId: t.tenantId });
    assert.deepEqual(next.raised, []);

    // The API lists them newest first, filters, and pages.
    const all = await c.api('GET', '/api/v1/insights?limit=100');
    assert.equal(all.status, 200);
    assert.equal((all.body.data as unknown[]).length, first.raised.length);
    const ofSlow = await c.api('GET', `/api/v1/insights?workflowId=${slow.id}&kind=slow_step&kind=retry_hotspot`);
    assert.deepEqual((ofSlow.body.data as { kind: string }[]).map((i) => i.kind).sort(), [
      'retry_hotspot',
      'slow_step',
    ]);
    const page1 = await c.api('GET', '/api/v1/insights?limit=2');
    assert.equal((page1.body.data as unknown[]).length, 2);
    const page2 = await c.api('GET', `/api/v1/insights?limit=100&cursor=${String(page1.body.nextCursor)}`);
    assert.equal((page2.body.data as unknown[]).length, first.raised.length - 2);
    assert.equal((await c.api('GET', '/api/v1/insights?kind=nope')).status, 400);
    assert.equal((await c.api('GET', '/api/v1/insights?cursor=abc')).body.code, 'INVALID_CURSOR');
  });

  it('keeps insights to their tenant; the scheduler role schedules the hourly pass', async () => {
    const other = await createTestApp(getDb(), { engine: { roles: ['scheduler'] } });
    try {
      const res = await other.app.inject({ method: 'GET', url: '/api/v1/insights' });
      assert.equal(res.statusCode, 200);
      assert.deepEqual((res.json() as { data: unknown[] }).data, []);
      const schedules = async () =>
        (
          (await getDb().handle.db.execute(
            sql`select cron from queue_schedules where queue = ${INSIGHTS_QUEUE} and name = 'hourly'`,
          )) as unknown as { rows: { cron: string }[] }
        ).rows;
      const deadline = Date.now() + 5_000;
      let schedule = await schedules();
      while (schedule.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        schedule = await schedules();
      }
      assert.deepEqual(schedule, [{ cron: INSIGHTS_CRON }]);
    } finally {
      await other.app.close();
    }
  });

  it('emits insight.raised: an event workflow starts with the insight, never the workflow it is about', async () => {
    const listener = await c.create({
      trigger: { type: 'event', config: { event: 'insight.raised', filter: 'kind = "failing_step"' } },
      steps: [
        {
          id: 'note',
          type: 'transform',
          config: { expression: '{"workflow": trigger.event.workflowId, "step": trigger.event.details.stepId}' },
        },
      ],
      edges: [],
    });
    assert.equal((await c.api('POST', `/api/v1/workflows/${listener.id}/activate`)).status, 200);
    const events = t.workflows?.events;
    assert.ok(events);
    await events.tick(); // the relay's cursor starts here

    // A workflow failing its `charge` step in the hour before a later pass (the next day: new keys).
    const later = new Date(END.getTime() + 24 * HOUR_MS);
    const shop = await c.create(linear);
    const base = later.getTime() - HOUR_MS;
    const db = getDb().handle.db;
    await db.insert(runs).values(
      Array.from({ length: 4 }, (_, k) => ({
        id: newId('run', base + k),
        tenantId: t.tenantId,
        workflowId: shop.id,
        version: 1,
        status: 'failed' as const,
        triggerType: 'manual',
        input: {},
        error: { code: 'HTTP_STATUS', message: 'HTTP 402', stepId: 'charge' },
        createdAt: new Date(base + k),
        startedAt: new Date(base + k),
        finishedAt: new Date(base + k + 50),
      })),
    );
    // The listener itself failing the same way: its own insight must not start it.
    await db.insert(runs).values(
      Array.from({ length: 4 }, (_, k) => ({
        id: newId('run', base + 10 + k),
        tenantId: t.tenantId,
        workflowId: listener.id,
        version: 1,
        status: 'failed' as const,
        triggerType: 'manual',
        input: {},
        error: { code: 'EXPRESSION_RUNTIME', message: 'x', stepId: 'note' },
        createdAt: new Date(base + 10 + k),
        startedAt: new Date(base + 10 + k),
        finishedAt: new Date(base + 20 + k),
      })),
    );
    const { raised } = await raiseInsights(deps(), { now: later, tenantId: t.tenantId });
    const shopInsight = raised.find((i) => i.workflowId === shop.id && i.kind === 'failing_step');
    assert.ok(shopInsight, JSON.stringify(raised));
    assert.ok(raised.some((i) => i.workflowId === listener.id && i.kind === 'failing_step'));

    const deadline = Date.now() + 10_000;
    let started: { id: string; triggerType: string }[] = [];
    for (;;) {
      await events.tick();
      const list = (await c.api('GET', `/api/v1/runs?workflowId=${listener.id}`)).body.data as typeof started;
      started = list.filter((r) => r.triggerType === 'event');
      if (started.length >= 1 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(started.length, 1);
    const run = await c.waitForRun(started[0]?.id ?? '');
    assert.deepEqual(run.output, { workflow: shop.id, step: 'charge' });
    const event = (run.input as { event: Record<string, unknown> }).event;
    assert.equal(event.type, 'insight.raised');
    assert.equal(event.insightId, shopInsight.id);
    assert.equal(event.title, shopInsight.title);
    // Read again: still the one run (the audit entry starts each listener once).
    await new Promise((r) => setTimeout(r, 1_100));
    await events.tick();
    const again = (await c.api('GET', `/api/v1/runs?workflowId=${listener.id}`)).body.data as typeof started;
    assert.equal(again.filter((r) => r.triggerType === 'event').length, 1);
    await c.api('POST', `/api/v1/workflows/${listener.id}/deactivate`);
  });
});
