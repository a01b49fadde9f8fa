import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Registry } from 'prom-client';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { exampleDefinition, workflowClient } from '../../../test/support/workflows.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { registerDbPoolMetrics } from '../../platform/telemetry/metrics.ts';

/** The value of one sample in Prometheus text, e.g. `switchyard_queue_depth{queue="runs"}`. */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** Every label value in the exposition: none may be a tenant, workflow or run id. */
function labelValues(text: string): string[] {
  return [...text.matchAll(/="([^"]*)"/g)].map((m) => m[1] as string);
}

describeEachBackend('workflow metrics', (getDb, backend) => {
  // Each app has its own registry and so its own 5 s snapshot cache: a test that changes the
  // database scrapes an app that has not scraped before.
  const apps: TestApp[] = [];
  const app = async (roles: ('worker' | 'scheduler')[]) => {
    const t = await createTestApp(getDb(), { engine: { roles } });
    apps.push(t);
    return t;
  };
  const scrape = async (t: TestApp) => (await t.app.inject({ url: '/metrics' })).body;
  let idle: TestApp;
  let runIds: string[] = [];

  before(async () => {
    // No worker anywhere in this suite's database until the last test: runs started here stay queued.
    idle = await app([]);
    const c = workflowClient(idle);
    const wf = await c.create(exampleDefinition({ type: 'manual', config: {} }));
    runIds = [];
    for (const n of [1, 2, 3]) runIds.push((await c.startRun(wf.id, { n })).runId);
  });
  after(async () => {
    for (const t of apps) await t.app.close();
  });

  it('reports queued runs as the depth of the runs queue and the age of the oldest, with no ids in any label', async () => {
    await rawQuery(getDb().handle.db, {
      name: 'test_age_run',
      text: `update runs set created_at = now() - interval '10 minutes' where id = $1`,
      values: [runIds[0]],
    });
    const text = await scrape(await app([]));
    assert.equal(sample(text, 'switchyard_queue_depth{queue="runs"}'), 3, text);
    const age = sample(text, 'switchyard_queue_oldest_age_seconds{queue="runs"}') ?? 0;
    assert.ok(age >= 600 && age < 3600, `oldest age ${age}`);
    assert.equal(sample(text, 'switchyard_runs_stuck'), 0);
    // A process without the worker or scheduler role: no slots, no scheduler loop.
    assert.equal(sample(text, 'switchyard_worker_concurrency'), 0);
    assert.equal(sample(text, 'switchyard_worker_busy_slots'), 0);
    assert.equal(sample(text, 'switchyard_scheduler_last_tick_timestamp_seconds'), 0);
    for (const value of labelValues(text)) {
      assert.ok(!/^(run|wf|ten)_/.test(value) && value !== idle.tenantId, `id-like label value ${value}`);
    }
    assert.ok(!text.includes(idle.tenantId) && runIds.every((id) => !text.includes(id)));
  });

  it('counts a run running with a lease expired over a minute ago as stuck', async () => {
    await rawQuery(getDb().handle.db, {
      name: 'test_stuck_run',
      text: `update runs set status = 'running', lease_owner = 'gone', lease_until = now() - interval '5 minutes'
              where id = $1`,
      values: [runIds[1]],
    });
    const text = await scrape(await app([]));
    assert.equal(sample(text, 'switchyard_runs_stuck'), 1, text);
    assert.equal(sample(text, 'switchyard_queue_depth{queue="runs"}'), 2);
  });

  it('counts finished runs by status, and a worker and scheduler report their slots and loop', async () => {
    // The stuck run would be reclaimed by the worker: end it first, so the counts below are exact.
    await rawQuery(getDb().handle.db, {
      name: 'test_cancel_runs',
      text: `update runs set status = 'cancelled', lease_owner = null, lease_until = null where id = any($1)`,
      values: [runIds],
    });
    const t = await app(['worker', 'scheduler']);
    const c = workflowClient(t);
    const wf = await c.create(exampleDefinition({ type: 'manual', config: {} }));
    const { runId } = await c.startRun(wf.id, { n: 7 });
    assert.equal((await c.waitForRun(runId)).status, 'succeeded');
    // A waiting run cancelled over the API ends as cancelled too.
    const delayed = await c.create({
      trigger: { type: 'manual', config: {} },
      steps: [{ id: 'wait', type: 'delay', config: { ms: 60_000 } }],
      edges: [],
    });
    const waiting = (await c.startRun(delayed.id, {})).runId;
    await c.waitForRun(waiting, ['waiting']);
    assert.equal((await c.api('POST', `/api/v1/runs/${waiting}/cancel`)).status, 200);
    assert.equal((await c.waitForRun(waiting)).status, 'cancelled');
    let text = await scrape(t);
    assert.equal(sample(text, 'switchyard_runs_finished_total{status="succeeded"}'), 1, text);
    assert.equal(sample(text, 'switchyard_runs_finished_total{status="cancelled"}'), 1, text);
    assert.equal(sample(text, 'switchyard_runs_finished_total{status="failed"}'), 0);
    assert.equal(sample(text, 'switchyard_worker_concurrency'), 4);
    assert.equal(sample(text, 'switchyard_queue_depth{queue="runs"}'), 0);
    // The scheduler's loop (the event relay's pass) runs every second: wait for one to complete.
    for (let i = 0; i < 300 && !sample(text, 'switchyard_scheduler_last_tick_timestamp_seconds'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await scrape(t);
    }
    const tick = sample(text, 'switchyard_scheduler_last_tick_timestamp_seconds') ?? 0;
    assert.ok(tick > Date.parse('2020-01-01') / 1000, `last tick ${tick}`);
  });

  it(`reports the database pool's connections on PostgreSQL, none on PGlite (${backend})`, async () => {
    const registry = new Registry();
    const handle = getDb().handle;
    registerDbPoolMetrics(registry, handle.poolStats?.bind(handle));
    await handle.ping();
    const text = await registry.metrics();
    assert.match(text, /# TYPE switchyard_db_pool_connections gauge/);
    if (backend === 'postgres') {
      const idleCount = sample(text, 'switchyard_db_pool_connections{state="idle"}') ?? -1;
      assert.ok(idleCount >= 1, text);
      assert.equal(sample(text, 'switchyard_db_pool_connections{state="waiting"}'), 0);
      assert.notEqual(sample(text, 'switchyard_db_pool_connections{state="in_use"}'), undefined);
    } else {
      assert.ok(!text.includes('switchyard_db_pool_connections{'), text);
    }
  });
});
