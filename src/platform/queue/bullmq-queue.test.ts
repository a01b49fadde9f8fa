import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pino from 'pino';
import { haveRedisServer, REDIS_SERVER, startRedisServer } from '../../../test/support/redis-server.ts';
import { createBullmqQueue } from './bullmq-queue.ts';
import type { QueueAdapter } from './queue.ts';
import { queueContract } from './queue.contract.ts';

/**
 * The queue contract on BullMQ, against a `redis-server` this file starts (and restarts, for the
 * reconnect test) on a free port (test/support/redis-server.ts).
 */

if (haveRedisServer) {
  queueContract('bullmq', async () => {
    const server = await startRedisServer();
    const prefix = `sy-test-${randomBytes(4).toString('hex')}`;
    const logger = pino({ level: 'silent' });
    const adapters: QueueAdapter[] = [];
    const make = () => {
      const a = createBullmqQueue({ url: server.url, prefix, logger });
      adapters.push(a);
      return a;
    };
    return {
      adapter: make(),
      newAdapter: async () => make(),
      restartServer: () => server.restart(),
      async dispose() {
        try {
          await Promise.all(adapters.map((a) => a.close({ timeoutMs: 2_000 })));
        } finally {
          // The server is this run's alone: stopping it discards every key.
          await server.stop();
        }
      },
    };
  });
} else {
  describe('queue contract: bullmq', () => {
    it('needs redis-server', (t) => {
      t.skip(`'${REDIS_SERVER}' not found on PATH: install Redis to run the BullMQ queue contract`);
    });
  });
}
