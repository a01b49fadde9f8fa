import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { createTestApp, describeEachBackend, type TestApp } from '../../../test/support/app.ts';

describeEachBackend('items API', (getDb) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(getDb());
  });

  const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/items', payload: body as object });

  it('creates an item with defaults, an ETag and a Location, and reads it back', async () => {
    const res = await post({ name: 'Quarterly report', tags: ['Finance', 'finance', 'Q3'] });
    assert.equal(res.statusCode, 201);
    const item = res.json();
    assert.match(item.id, /^itm_[0-9a-z]{26}$/);
    assert.equal(item.status, 'active');
    assert.deepEqual(item.tags, ['finance', 'q3'], 'tags are lower-cased and de-duplicated');
    assert.deepEqual(item.metadata, {});
    assert.equal(item.version, 1);
    assert.equal(res.headers.etag, '"1"');
    assert.equal(res.headers.location, `/api/v1/items/${item.id}`);

    const got = await t.app.inject({ url: `/api/v1/items/${item.id}` });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), item);
    assert.equal(got.headers.etag, '"1"');
  });

  it('updates with a matching If-Match, bumps the version and audits only the changed fields', async () => {
    const item = (await post({ name: 'Draft contract', status: 'draft', metadata: { client: 'Acme' } })).json();
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      headers: { 'if-match': '"1"' },
      payload: { status: 'active', metadata: { client: 'Acme', value: 1200 } },
    });
    assert.equal(res.statusCode, 200);
    const updated = res.json();
    assert.equal(updated.version, 2);
    assert.equal(updated.status, 'active');
    assert.equal(updated.name, 'Draft contract');
    assert.equal(res.headers.etag, '"2"');
    assert.ok(Date.parse(updated.updatedAt) >= Date.parse(item.updatedAt));

    const audit = (await t.app.inject({ url: `/api/v1/audit-logs?targetId=${item.id}` })).json();
    assert.deepEqual(
      audit.data.map((a: { action: string }) => a.action),
      ['item.updated', 'item.created'],
    );
    const change = audit.data[0];
    assert.deepEqual(change.changes.before, { status: 'draft', metadata: { client: 'Acme' }, version: 1 });
    assert.deepEqual(change.changes.after, { status: 'active', metadata: { client: 'Acme', value: 1200 }, version: 2 });
    assert.deepEqual(change.actor, { type: 'user', id: 'usr_test' });
    assert.equal(change.requestId, res.headers['x-request-id']);
  });

  it('refuses a stale If-Match with 412 and a stale body version with 409, changing nothing', async () => {
    const item = (await post({ name: 'Shared doc' })).json();
    const first = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      payload: { name: 'Shared doc v2', version: 1 },
    });
    assert.equal(first.statusCode, 200);

    const stale = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      headers: { 'if-match': '"1"' },
      payload: { name: 'Lost update' },
    });
    assert.equal(stale.statusCode, 412);
    assert.equal(stale.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(stale.json().code, 'ITEM_PRECONDITION_FAILED');
    assert.equal(stale.json().currentVersion, 2);

    const staleBody = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/items/${item.id}`,
      payload: { name: 'Lost update', version: 1 },
    });
    assert.equal(staleBody.statusCode, 409);
    assert.equal(staleBody.json().code, 'ITEM_VERSION_CONFLICT');

    const now = (await t.app.inject({ url: `/api/v1/items/${item.id}` })).json();
    assert.equal(now.name, 'Shared doc v2');
    assert.equal(now.version, 2);
    const audit = (await t.app.inject({ url: `/api/v1/audit-logs?targetId=${item.id}` })).json();
    assert.equal(audit.data.length, 2, 'rejected updates leave no audit entry');
  });

  it('serialises concurrent updates: of two writers holding version 1, exactly one wins', async () => {
    const item = (await post({ name: 'Race' })).json();
    const results = await Promise.all(
      ['A', 'B'].map((w) =>
        t.app.inject({
          method: 'PATCH',
          url: `/api/v1/items/${item.id}`,
          headers: { 'if-match': '"1"' },
          payload: { name: w },
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 412]);
  });

  it('deletes an item, audits its last state, and then answers 404', async () => {
    const item = (await post({ name: 'Temporary' })).json();
    const staleDelete = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/items/${item.id}`,
      headers: { 'if-match': '"7"' },
    });
    assert.equal(staleDelete.statusCode, 412);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/items/${item.id}`,
      headers: { 'if-match': '"1"' },
    });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    const gone = await t.app.inject({ url: `/api/v1/items/${item.id}` });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().code, 'ITEM_NOT_FOUND');
    const again = await t.app.inject({ method: 'DELETE', url: `/api/v1/items/${item.id}` });
    assert.equal(again.statusCode, 404);
    const audit = (await t.app.inject({ url: `/api/v1/audit-logs?action=item.deleted&targetId=${item.id}` })).json();
    assert.equal(audit.data.length, 1);
    assert.equal(audit.data[0].changes.before.name, 'Temporary');
    assert.equal(audit.data[0].changes.after, null);
  });

  it('answers 400 for a malformed id and 404 for a well-formed unknown one', async () => {
    const bad = await t.app.inject({ url: '/api/v1/items/not-an-id' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'VALIDATION_FAILED');
    assert.equal(bad.json().issues[0].path, 'params.id');
    const unknown = await t.app.inject({ url: '/api/v1/items/itm_00000000000000000000000000' });
    assert.equal(unknown.statusCode, 404);
  });

  it('keeps tenants apart: another tenant can neither read, list, change nor delete an item', async () => {
    const mine = (await post({ name: 'Private notes for tenant A' })).json();
    const other = await createTestApp(getDb());
    try {
      assert.equal((await other.app.inject({ url: `/api/v1/items/${mine.id}` })).statusCode, 404);
      const list = (await other.app.inject({ url: '/api/v1/items?q=private' })).json();
      assert.equal(list.data.length, 0);
      const patch = await other.app.inject({
        method: 'PATCH',
        url: `/api/v1/items/${mine.id}`,
        payload: { name: 'pwned' },
      });
      assert.equal(patch.statusCode, 404);
      assert.equal((await other.app.inject({ method: 'DELETE', url: `/api/v1/items/${mine.id}` })).statusCode, 404);
      assert.equal((await other.app.inject({ url: '/api/v1/audit-logs' })).json().data.length, 0);
      assert.equal((await t.app.inject({ url: `/api/v1/items/${mine.id}` })).json().name, 'Private notes for tenant A');
    } finally {
      await other.app.close();
    }
  });
});

describeEachBackend('items listing', (getDb) => {
  let t: TestApp;
  const names = [
    'Invoice automation',
    'Weekly newsletter',
    'Contract review',
    'Onboarding checklist',
    'Invoice archive',
  ];
  before(async () => {
    t = await createTestApp(getDb());
    for (const [i, name] of names.entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/items',
        payload: {
          name,
          description: i === 2 ? 'Review the supplier agreement clauses before signing' : '',
          status: i % 2 === 0 ? 'active' : 'draft',
          tags: i < 2 ? ['billing'] : ['ops'],
        },
      });
      assert.equal(res.statusCode, 201);
    }
  });

  async function walk(query: string, limit: number) {
    const seen: { name: string; id: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const qs: string = `${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.app.inject({ url: `/api/v1/items?${qs}` });
      assert.equal(res.statusCode, 200, res.body);
      const body: { data: { name: string; id: string }[]; nextCursor: string | null } = res.json();
      assert.ok(body.data.length <= limit);
      seen.push(...body.data);
      cursor = body.nextCursor;
      pages += 1;
      assert.ok(pages < 20, 'pagination terminates');
    } while (cursor);
    return seen;
  }

  for (const sort of ['name', '-name', 'createdAt', '-createdAt', 'updatedAt', '-updatedAt']) {
    it(`pages through every item exactly once in ${sort} order`, async () => {
      const seen = await walk(`sort=${sort}`, 2);
      assert.equal(seen.length, names.length);
      assert.equal(new Set(seen.map((s) => s.id)).size, names.length);
      if (sort.endsWith('name')) {
        const expected = [...names].sort((a, b) => (a < b ? -1 : 1));
        assert.deepEqual(
          seen.map((s) => s.name),
          sort.startsWith('-') ? expected.reverse() : expected,
        );
      }
    });
  }

  it('defaults to newest first', async () => {
    const body = (await t.app.inject({ url: '/api/v1/items' })).json();
    assert.deepEqual(
      body.data.map((i: { name: string }) => i.name),
      [...names].reverse(),
    );
    assert.equal(body.nextCursor, null);
  });

  it('filters by status and by tag, together', async () => {
    const active = (await t.app.inject({ url: '/api/v1/items?status=active' })).json();
    assert.deepEqual(active.data.map((i: { name: string }) => i.name).sort(), [
      'Contract review',
      'Invoice archive',
      'Invoice automation',
    ]);
    const both = (await t.app.inject({ url: '/api/v1/items?status=active&tag=billing' })).json();
    assert.deepEqual(
      both.data.map((i: { name: string }) => i.name),
      ['Invoice automation'],
    );
    const many = (await t.app.inject({ url: '/api/v1/items?status=active&status=draft&tag=ops' })).json();
    assert.equal(many.data.length, 3);
  });

  it('finds items by words in the description and tolerates typos in the name', async () => {
    const fullText = (await t.app.inject({ url: '/api/v1/items?q=supplier%20agreements' })).json();
    assert.deepEqual(
      fullText.data.map((i: { name: string }) => i.name),
      ['Contract review'],
    );
    const typo = (await t.app.inject({ url: '/api/v1/items?q=invoce' })).json();
    assert.deepEqual(typo.data.map((i: { name: string }) => i.name).sort(), ['Invoice archive', 'Invoice automation']);
    const none = (await t.app.inject({ url: '/api/v1/items?q=zzzzqqq' })).json();
    assert.equal(none.data.length, 0);
  });

  it('pages search results by relevance without repeats', async () => {
    const seen = await walk('q=invoice', 1);
    assert.deepEqual(seen.map((i) => i.name).sort(), ['Invoice archive', 'Invoice automation']);
  });

  it('refuses a cursor from another query, a garbage cursor and out-of-range limits', async () => {
    const first = (await t.app.inject({ url: '/api/v1/items?sort=name&limit=1' })).json();
    const reused = await t.app.inject({ url: `/api/v1/items?sort=-createdAt&limit=1&cursor=${first.nextCursor}` });
    assert.equal(reused.statusCode, 400);
    assert.equal(reused.json().code, 'INVALID_CURSOR');
    const garbage = await t.app.inject({ url: '/api/v1/items?cursor=bm90LWpzb24' });
    assert.equal(garbage.json().code, 'INVALID_CURSOR');
    for (const limit of ['0', '101', '-1', 'ten', '1.5']) {
      const res = await t.app.inject({ url: `/api/v1/items?limit=${limit}` });
      assert.equal(res.statusCode, 400, `limit=${limit}`);
      assert.equal(res.json().issues[0].path, 'querystring.limit');
    }
    const sortNeedsQ = await t.app.inject({ url: '/api/v1/items?sort=relevance' });
    assert.equal(sortNeedsQ.json().code, 'ITEMS_SORT_NEEDS_QUERY');
  });

  it('counts items by status in /stats', async () => {
    const stats = (await t.app.inject({ url: '/api/v1/stats' })).json();
    assert.deepEqual(stats.items, { total: 5, byStatus: { active: 3, draft: 2, archived: 0 } });
  });
});
