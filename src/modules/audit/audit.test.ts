import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';
import { diffChanges } from './audit.service.ts';

it('diffChanges keeps only the fields whose value changed', () => {
  assert.deepEqual(diffChanges({ a: 1, b: [1, 2], c: { x: 1 } }, { a: 1, b: [1, 3], c: { x: 1 }, d: true }), {
    before: { b: [1, 2], d: undefined },
    after: { b: [1, 3], d: true },
  });
  assert.deepEqual(diffChanges(null, { a: 1 }), { before: null, after: { a: 1 } });
  assert.deepEqual(diffChanges({ a: 1 }, undefined), { before: { a: 1 }, after: null });
});

describeEachBackend('audit log API', (getDb) => {
  let t: TestApp;
  const ids: string[] = [];
  before(async () => {
    t = await createTestApp(getDb());
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/items',
        headers: { 'x-request-id': `audit-test-${i}`, 'user-agent': 'audit-test/1.0' },
        payload: { name: `Audited ${i}` },
      });
      ids.push(res.json().id);
    }
    await t.app.inject({ method: 'PATCH', url: `/api/v1/items/${ids[0]}`, payload: { name: 'Audited 0 renamed' } });
  });

  it('records who, what, where and when for every mutation, newest first', async () => {
    const res = await t.app.inject({ url: '/api/v1/audit-logs' });
    assert.equal(res.statusCode, 200);
    const { data } = res.json();
    assert.equal(data.length, 6);
    assert.equal(data[0].action, 'item.updated');
    const created = data.find((a: { requestId: string }) => a.requestId === 'audit-test-3');
    assert.equal(created.action, 'item.created');
    assert.deepEqual(created.target, { type: 'item', id: ids[3] });
    assert.equal(created.userAgent, 'audit-test/1.0');
    assert.equal(created.ip, '127.0.0.1');
    assert.equal(created.changes.after.name, 'Audited 3');
    assert.ok(Date.parse(created.createdAt) <= Date.now());
  });

  it('filters by action, target, actor and request id', async () => {
    const q = async (qs: string) => (await t.app.inject({ url: `/api/v1/audit-logs?${qs}` })).json().data.length;
    assert.equal(await q('action=item.created'), 5);
    assert.equal(await q(`targetId=${ids[0]}`), 2);
    assert.equal(await q('actorId=usr_test'), 6);
    assert.equal(await q('actorId=usr_other'), 0);
    assert.equal(await q('requestId=audit-test-2'), 1);
    assert.equal(await q(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), 0);
    assert.equal(await q(`to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), 6);
  });

  it('pages with a cursor and rejects bad filters', async () => {
    const first = (await t.app.inject({ url: '/api/v1/audit-logs?limit=4' })).json();
    assert.equal(first.data.length, 4);
    const second = (await t.app.inject({ url: `/api/v1/audit-logs?limit=4&cursor=${first.nextCursor}` })).json();
    assert.equal(second.data.length, 2);
    assert.equal(second.nextCursor, null);
    const all = [...first.data, ...second.data].map((a: { id: string }) => a.id);
    assert.equal(new Set(all).size, 6);

    const badRange = await t.app.inject({
      url: '/api/v1/audit-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    });
    assert.equal(badRange.statusCode, 400);
    const badDate = await t.app.inject({ url: '/api/v1/audit-logs?from=yesterday' });
    assert.equal(badDate.statusCode, 400);
    const unknownFilter = await t.app.inject({ url: '/api/v1/audit-logs?tenantId=ten_00000000000000000000000000' });
    assert.equal(unknownFilter.statusCode, 400, 'a tenant cannot be chosen by query');
  });

  it('gets one entry by id, and 404s for an entry of another tenant', async () => {
    const entry = (await t.app.inject({ url: '/api/v1/audit-logs?limit=1' })).json().data[0];
    const one = await t.app.inject({ url: `/api/v1/audit-logs/${entry.id}` });
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), entry);
    const other = await createTestApp(getDb());
    try {
      assert.equal((await other.app.inject({ url: `/api/v1/audit-logs/${entry.id}` })).statusCode, 404);
    } finally {
      await other.app.close();
    }
    assert.equal((await t.app.inject({ url: '/api/v1/audit-logs/xyz' })).statusCode, 400);
  });

  it('exposes no way to change or delete entries', async () => {
    const entry = (await t.app.inject({ url: '/api/v1/audit-logs?limit=1' })).json().data[0];
    for (const method of ['PATCH', 'PUT', 'DELETE'] as const) {
      const res = await t.app.inject({ method, url: `/api/v1/audit-logs/${entry.id}`, payload: {} });
      assert.equal(res.statusCode, 404, method);
    }
  });
});
