import { Redis } from 'ioredis';

export interface RedisProbe {
  /** Resolves when Redis answers PING; throws otherwise (within the connect timeout). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A readiness probe for the Redis in REDIS_URL: its own small connection, so a probe never
 * queues behind application traffic, and no offline queue, so a Redis that is down fails the
 * probe at once instead of hanging it.
 */
export function createRedisProbe(url: string): RedisProbe {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1_000,
    // Reconnect on the next probe rather than in the background.
    retryStrategy: () => null,
  });
  redis.on('error', () => {
    // Reported by check(); an unhandled 'error' event would crash the process.
  });
  return {
    async check() {
      if (redis.status === 'wait' || redis.status === 'end' || redis.status === 'close') await redis.connect();
      const pong = await redis.ping();
      if (pong !== 'PONG') throw new Error(`unexpected PING answer: ${pong}`);
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
