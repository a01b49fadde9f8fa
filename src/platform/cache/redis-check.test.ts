import assert from 'node:assert/strict';
import net from 'node:net';
import { it } from 'node:test';
import { TEST_ENV } from '../../../test/support/env.ts';
import { createRedisProbe } from './redis-check.ts';

it('reports a reachable Redis as up and an unreachable one as down, without hanging', async (t) => {
  const up = createRedisProbe(TEST_ENV.redisUrl);
  try {
    await up.check();
  } catch (err) {
    if (TEST_ENV.requireRedis) throw err;
    t.skip(`Redis not reachable at ${TEST_ENV.redisUrl}`);
    return;
  } finally {
    await up.close();
  }
  // A port nothing listens on: bind one, learn its number, close it.
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const down = createRedisProbe(`redis://127.0.0.1:${port}`);
  try {
    await assert.rejects(down.check());
    await assert.rejects(down.check(), 'a second probe fails too, it does not hang');
  } finally {
    await down.close();
  }
});
