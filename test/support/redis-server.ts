import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { TEST_ENV } from './env.ts';

/**
 * A `redis-server` of the test's own, on a free port, with no persistence: for suites that restart
 * Redis or must not share keys. Without the binary, suites skip — except where Redis is required
 * (CI=true or REQUIRE_REDIS=true), where that is a failure.
 */

export const REDIS_SERVER = 'redis-server';
const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
export const haveRedisServer = !probe.error && probe.status === 0;
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

export interface RedisServer {
  url: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedisServer(): Promise<RedisServer> {
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
