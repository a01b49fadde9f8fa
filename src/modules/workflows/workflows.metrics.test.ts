import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Registry } from 'prom-client';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { exampleDefinition, workflowClient } from '../../../test/support/workflows.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { registerDbPoolMetrics, registerDbQueryMetrics } from '../../platform/telemetry/metrics.ts';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
    // Its steps, by kind and outcome: double and reply (transform), big (condition); the delay began to wait.
    assert.equal(sample(text, 'switchyard_step_attempts_total{kind="transform",outcome="succeeded"}'), 2, text);
    assert.equal(sample(text, 'switchyard_step_attempts_total{kind="condition",outcome="succeeded"}'), 1);
    assert.equal(sample(text, 'switchyard_step_attempts_total{kind="delay",outcome="waiting"}'), 1);
    assert.equal(sample(text, 'switchyard_step_duration_seconds_count{kind="transform"}'), 2);
    assert.equal(sample(text, 'switchyard_run_duration_seconds_count{trigger="manual",status="succeeded"}'), 1);
    // Cancelled while nobody held it: counted, but with no duration a worker measured.
    assert.equal(sample(text, 'switchyard_run_duration_seconds_count{trigger="manual",status="cancelled"}'), undefined);
    // The scheduler's loop (the event relay's pass) runs every second: wait for one to complete.
    for (let i = 0; i < 300 && !sample(text, 'switchyard_scheduler_last_tick_timestamp_seconds'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      text = await scrape(t);
    }
    const tick = sample(text, 'switchyard_scheduler_last_tick_timestamp_seconds') ?? 0;
    assert.ok(tick > Date.parse('2020-01-01') / 1000, `last tick ${tick}`);
  });

  it('counts retries, failed attempts, lease takeovers and job attempts', async () => {
    // A server that always answers 500: the http step fails, is retried once, then fails the run.
    const server = http.createServer((_req, res) => res.writeHead(500).end('{}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    // The only worker of this database from here on, so every attempt below is counted by it.
    for (const other of apps.splice(0)) {
      if (other === idle) apps.push(other);
      else await other.app.close();
    }
    try {
      const t = await createTestApp(getDb(), {
        engine: { roles: ['worker'] },
        outbound: { allowlist: [`127.0.0.1:${port}`] },
      });
      apps.push(t);
      const c = workflowClient(t);
      const failing = await c.create({
        trigger: { type: 'manual', config: {} },
        steps: [{ id: 'call', type: 'http', config: { url: `http://127.0.0.1:${port}/x` } }],
        edges: [],
        settings: { retry: { maxAttempts: 2, backoffMs: 10, maxBackoffMs: 20 } },
      });
      assert.equal((await c.waitForRun((await c.startRun(failing.id, {})).runId)).status, 'failed');

      // A run some dead worker held: its lease expired, this worker takes it over.
      const plain = await c.create(exampleDefinition({ type: 'manual', config: {} }));
      const orphan = await rawQuery<{ id: string }>(getDb().handle.db, {
        name: 'test_orphan_run',
        text: `insert into runs (id, tenant_id, workflow_id, version, status, trigger_type, input, lease_owner,
                 lease_epoch, lease_until, started_at)
               values ('run_' || substr(md5(random()::text), 1, 26), $1, $2, 1, 'running', 'manual', '{"n": 1}',
                 'gone', 1, now() - interval '1 minute', now()) returning id`,
        values: [t.tenantId, plain.id],
      });
      assert.equal((await c.waitForRun(orphan[0]?.id ?? '')).status, 'succeeded');

      const job = await c.api('POST', '/api/v1/jobs', { type: 'cleanup', payload: { dryRun: true } });
      assert.equal(job.status, 201, job.raw);
      for (let i = 0; i < 300; i++) {
        const got = await c.api('GET', `/api/v1/jobs/${job.body.id as string}`);
        if (got.body.status === 'succeeded') break;
        await new Promise((r) => setTimeout(r, 50));
      }

      const text = await scrape(t);
      assert.equal(sample(text, 'switchyard_step_retries_total{kind="http"}'), 1, text);
      assert.equal(sample(text, 'switchyard_step_attempts_total{kind="http",outcome="failed"}'), 2);
      assert.equal(sample(text, 'switchyard_run_duration_seconds_count{trigger="manual",status="failed"}'), 1);
      assert.equal(sample(text, 'switchyard_lease_expiries_total{queue="runs"}'), 1);
      assert.equal(sample(text, 'switchyard_job_attempts_total{type="cleanup",outcome="succeeded"}'), 1);
      assert.equal(sample(text, 'switchyard_job_duration_seconds_count{type="cleanup",outcome="succeeded"}'), 1);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('reports the event relay outbox: entries past its cursor and the age of the oldest', async () => {
    const c = workflowClient(idle);
    const item = await c.api('POST', '/api/v1/items', { name: 'relay me' });
    assert.equal(item.status, 201, item.raw);
    await rawQuery(getDb().handle.db, {
      name: 'test_age_audit',
      text: `update audit_logs set created_at = now() - interval '2 minutes' where target_id = $1`,
      values: [item.body.id],
    });
    let text = await scrape(await app([]));
    assert.ok((sample(text, 'switchyard_outbox_pending{outbox="events"}') ?? 0) >= 1, text);
    assert.ok((sample(text, 'switchyard_outbox_lag_seconds{outbox="events"}') ?? 0) >= 120, text);
    // A scheduler relays it (no workflow listens: the cursor just moves past it).
    await app(['scheduler']);
    for (let i = 0; i < 40; i++) {
      text = await scrape(await app([]));
      if (sample(text, 'switchyard_outbox_pending{outbox="events"}') === 0) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(sample(text, 'switchyard_outbox_pending{outbox="events"}'), 0, text);
    assert.equal(sample(text, 'switchyard_outbox_lag_seconds{outbox="events"}'), 0);
  });

  it('times the hand-written statements by name and outcome', async () => {
    const registry = new Registry();
    const stop = registerDbQueryMetrics(registry);
    const db = getDb().handle.db;
    await rawQuery(db, { name: 'test_timed_ok', text: 'select 1 as one', values: [] });
    await assert.rejects(rawQuery(db, { name: 'test_timed_bad', text: 'select * from no_such_table', values: [] }));
    stop();
    await rawQuery(db, { name: 'test_timed_after', text: 'select 1 as one', values: [] });
    const text = await registry.metrics();
    assert.equal(sample(text, 'switchyard_db_query_duration_seconds_count{statement="test_timed_ok",outcome="ok"}'), 1);
    assert.equal(
      sample(text, 'switchyard_db_query_duration_seconds_count{statement="test_timed_bad",outcome="error"}'),
      1,
    );
    assert.ok(!text.includes('test_timed_after'), 'no observation once stopped');
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
