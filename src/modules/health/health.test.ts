import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createTestApp } from '../../../test/support/app.ts';
import { createTestDatabase } from '../../../test/support/databases.ts';

it('reports live, ready with per-component status, and 503 once the database is gone or draining', async () => {
  const db = await createTestDatabase('pglite');
  const t = await createTestApp(db);
  try {
    const live = await t.app.inject({ url: '/health/live' });
    assert.equal(live.statusCode, 200);
    assert.deepEqual(live.json(), { status: 'ok' });

    const ready = await t.app.inject({ url: '/health/ready' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().status, 'ok');
    assert.equal(ready.json().components.database.status, 'up');

    t.markDraining();
    const draining = await t.app.inject({ url: '/health/ready' });
    assert.equal(draining.statusCode, 503);
    assert.equal(draining.json().components.server.status, 'down');
  } finally {
    await t.app.close();
  }

  const t2 = await createTestApp(db);
  await db.dispose();
  try {
    const down = await t2.app.inject({ url: '/health/ready' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().status, 'unavailable');
    assert.equal(down.json().components.database.status, 'down');
    assert.equal(typeof down.json().components.database.error, 'string');
    assert.equal(
      (await t2.app.inject({ url: '/health/live' })).statusCode,
      200,
      'liveness does not depend on the database',
    );
  } finally {
    await t2.app.close();
  }
});
