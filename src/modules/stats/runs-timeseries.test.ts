import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { workflowClient } from '../../../test/support/workflows.ts';
import { newId } from '../../platform/ids.ts';
import { type RunStatus, runs } from '../workflows/workflows.table.ts';

/** The route's clock: 12:34 UTC, so the 24h range ends with the 12:00 bucket. */
const NOW = new Date('2026-03-10T12:34:56.000Z');
const linear = { trigger: { type: 'manual' }, steps: [{ id: 'a', type: 'transform', config: { expression: '1' } }] };

describeEachBackend('stats: runs time series', (getDb) => {
  let t: TestApp;
  let other: TestApp;

  /** Writes runs as the engine would have, each created at the given instant. */
  async function seed(app: TestApp, list: { at: string; status: RunStatus }[]) {
    const wf = await workflowClient(app).create(linear);
    await getDb()
      .handle.db.insert(runs)
      .values(
        list.map((r) => ({
          id: newId('run', Date.parse(r.at)),
          tenantId: app.tenantId,
          workflowId: wf.id,
          version: 1,
          status: r.status,
          triggerType: 'manual',
          input: {},
          createdAt: new Date(r.at),
        })),
      );
  }

  before(async () => {
    // The engine's routes without a worker: seeded runs stay as written.
    t = await createTestApp(getDb(), { now: () => NOW, engine: { roles: [] } });
    other = await createTestApp(getDb(), { now: () => NOW, engine: { roles: [] } });
    await seed(t, [
      { at: '2026-03-10T12:00:00.000Z', status: 'succeeded' },
      { at: '2026-03-10T12:30:00.000Z', status: 'failed' },
      { at: '2026-03-10T12:31:00.000Z', status: 'running' },
      { at: '2026-03-10T11:59:59.999Z', status: 'succeeded' },
      { at: '2026-03-10T11:00:00.000Z', status: 'cancelled' },
      { at: '2026-03-09T13:00:00.000Z', status: 'failed' }, // the first hour of the 24h range
      { at: '2026-03-09T12:59:59.000Z', status: 'failed' }, // just outside it, inside the 7d one
      { at: '2026-03-04T00:00:00.000Z', status: 'queued' }, // first day of 7d
      { at: '2026-03-03T23:59:59.000Z', status: 'succeeded' }, // outside 7d, inside 14d
    ]);
    // Another tenant's runs in the same hours must never show.
    await seed(other, [
      { at: '2026-03-10T12:10:00.000Z', status: 'failed' },
      { at: '2026-03-10T12:11:00.000Z', status: 'failed' },
    ]);
  });
  after(async () => {
    await Promise.all([t.app.close(), other.app.close()]);
  });

  const get = async (app: TestApp, query: string) => {
    const res = await app.app.inject({ url: `/api/v1/stats/runs-timeseries${query}` });
    return { status: res.statusCode, body: res.json() };
  };

  it('counts runs per hour for the last 24 hours, every bucket present, oldest first', async () => {
    const { status, body } = await get(t, '?range=24h');
    assert.equal(status, 200);
    assert.equal(body.bucket, 'hour');
    assert.equal(body.from, '2026-03-09T13:00:00.000Z');
    assert.equal(body.to, '2026-03-10T13:00:00.000Z');
    assert.equal(body.buckets.length, 24);
    assert.deepEqual(body.buckets[23], {
      start: '2026-03-10T12:00:00.000Z',
      succeeded: 1,
      failed: 1,
      cancelled: 0,
      active: 1,
      total: 3,
    });
    assert.deepEqual(body.buckets[22], {
      start: '2026-03-10T11:00:00.000Z',
      succeeded: 1,
      failed: 0,
      cancelled: 1,
      active: 0,
      total: 2,
    });
    assert.equal(body.buckets[0].start, '2026-03-09T13:00:00.000Z');
    assert.equal(body.buckets[0].failed, 1);
    const sum = body.buckets.reduce((n: number, b: { total: number }) => n + b.total, 0);
    assert.equal(sum, 6);
  });

  it('counts runs per day for 7 and 14 days, today last', async () => {
    const week = (await get(t, '?range=7d')).body;
    assert.equal(week.bucket, 'day');
    assert.equal(week.buckets.length, 7);
    assert.equal(week.from, '2026-03-04T00:00:00.000Z');
    assert.deepEqual(
      week.buckets.map((b: { total: number }) => b.total),
      [1, 0, 0, 0, 0, 2, 5],
    );
    assert.deepEqual(week.buckets[5], {
      start: '2026-03-09T00:00:00.000Z',
      succeeded: 0,
      failed: 2,
      cancelled: 0,
      active: 0,
      total: 2,
    });
    const fortnight = (await get(t, '?range=14d')).body;
    assert.equal(fortnight.buckets.length, 14);
    assert.equal(fortnight.buckets[6].start, '2026-03-03T00:00:00.000Z');
    assert.equal(fortnight.buckets[6].succeeded, 1);
    const thirty = (await get(t, '?range=30d')).body;
    assert.equal(thirty.buckets.length, 30);
  });

  it("shows only the caller's tenant", async () => {
    const mine = (await get(other, '?range=24h')).body;
    assert.deepEqual(mine.buckets.at(-1), {
      start: '2026-03-10T12:00:00.000Z',
      succeeded: 0,
      failed: 2,
      cancelled: 0,
      active: 0,
      total: 2,
    });
    assert.equal(
      mine.buckets.reduce((n: number, b: { total: number }) => n + b.total, 0),
      2,
    );
  });

  it('defaults to 24h and answers a bad range with a validation problem', async () => {
    assert.equal((await get(t, '')).body.range, '24h');
    for (const q of ['?range=1y', '?range=', '?range=24h&range=7d', '?range=24h&extra=1']) {
      const res = await t.app.inject({ url: `/api/v1/stats/runs-timeseries${q}` });
      assert.equal(res.statusCode, 400, q);
      assert.match(String(res.headers['content-type']), /application\/problem\+json/);
      assert.equal(res.json().code, 'VALIDATION_FAILED', q);
    }
  });
});
