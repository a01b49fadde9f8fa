import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { TEST_ENV } from '../../../test/support/env.ts';
import { createBullmqQueue } from './bullmq-queue.ts';
import type { QueueAdapter } from './queue.ts';
import { queueContract, sleep } from './queue.contract.ts';

/**
 * The queue contract on BullMQ, against a `redis-server` this file starts (and restarts, for the
 * reconnect test) on a free port. Without the binary the suite is skipped, except where Redis is
 * required (CI=true or REQUIRE_REDIS=true), where that is a failure.
 */

const REDIS_SERVER = 'redis-server';
const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
const haveRedisServer = !probe.error && probe.status === 0;
if (!haveRedisServer && TEST_ENV.requireRedis) {
  throw new Error(`Redis is required (CI=true) but '${REDIS_SERVER}' could not be run: ${String(probe.error)}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

interface RedisServer {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const killOnExit = () => child?.kill('SIGKILL');
  process.once('exit', killOnExit);

  const launch = async () => {
    const c = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    child = c;
    const exited = new Promise<never>((_, reject) =>
      c.once('exit', (code) => reject(new Error(`redis-server exited early with ${code}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitUntilUp(url), exited]);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 3_000);
    await gone;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    async restart() {
      await stop();
      await launch();
    },
    async stop() {
      await stop();
      process.off('exit', killOnExit);
    },
  };
}

async function waitUntilUp(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      if ((await r.ping()) === 'PONG') return;
    } catch {
      if (Date.now() > deadline) throw new Error(`redis-server did not come up at ${url}`);
      await sleep(50);
    } finally {
      r.disconnect();
    }
  }
}

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
