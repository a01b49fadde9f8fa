/**
 * The engine benchmark's "raw queue" baseline: the bare queue adapter with a no-op handler, in a
 * process of its own, draining as many messages as the engine drains runs.
 *
 * Run as a child process by `bench/engine.bench.ts`. Configured by the environment:
 *
 * - `BENCH_RAW_ADAPTER`: `postgres` (needs DATABASE_URL, or SWITCHYARD_DATA_DIR holding an
 *   already migrated PGlite at `<dir>/pgdata`) or `bullmq` (needs REDIS_URL and BENCH_RAW_PREFIX);
 * - `BENCH_RAW_MESSAGES`, `BENCH_RAW_IN_FLIGHT` (enqueue calls at once), `WORKER_CONCURRENCY`
 *   (the consumer's concurrency), `ENGINE_LEASE_MS`, `DATABASE_POOL_MAX`.
 *
 * First every message is enqueued (with the options the engine uses for "advance run R"), then a
 * consumer drains them. Prints one JSON line with the timings on stdout.
 */
import path from 'node:path';
import pino from 'pino';
import { type DatabaseHandle, openDatabase } from '../src/platform/db/database.ts';
import { newId } from '../src/platform/ids.ts';
import { createBullmqQueue } from '../src/platform/queue/bullmq-queue.ts';
import { createPostgresQueue } from '../src/platform/queue/postgres-queue.ts';
import type { QueueAdapter } from '../src/platform/queue/queue.ts';

const QUEUE = 'bench';

const int = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1 (got ${raw})`);
  return n;
};

async function main(): Promise<string> {
  const adapter = process.env.BENCH_RAW_ADAPTER ?? 'postgres';
  const messages = int('BENCH_RAW_MESSAGES', 10_000);
  const inFlight = int('BENCH_RAW_IN_FLIGHT', 50);
  const concurrency = int('WORKER_CONCURRENCY', 8);
  const leaseMs = int('ENGINE_LEASE_MS', 30_000);
  const logger = pino({ level: 'warn' });

  let handle: DatabaseHandle | undefined;
  let queue: QueueAdapter;
  if (adapter === 'bullmq') {
    const url = process.env.REDIS_URL;
    const prefix = process.env.BENCH_RAW_PREFIX;
    if (!url || !prefix) throw new Error('bullmq needs REDIS_URL and BENCH_RAW_PREFIX');
    queue = createBullmqQueue({ url, prefix, logger });
  } else {
    const url = process.env.DATABASE_URL;
    handle = await openDatabase(
      url
        ? { kind: 'postgres', url, poolMax: int('DATABASE_POOL_MAX', 10) }
        : {
            kind: 'pglite',
            dataDir: path.join(path.resolve(process.env.SWITCHYARD_DATA_DIR ?? './.switchyard'), 'pgdata'),
          },
      logger,
    );
    queue = createPostgresQueue(handle.db, { logger });
  }

  // 1. Enqueue everything, `inFlight` calls at once — the options of the engine's enqueueAdvance.
  const enqueueStarted = performance.now();
  let next = 0;
  let created = 0;
  const enqueuer = async () => {
    while (next < messages) {
      next += 1;
      const runId = newId('run');
      const r = await queue.enqueue(
        QUEUE,
        { runId },
        { idempotencyKey: `run:${runId}:0`, maxAttempts: 10, backoff: { baseMs: 500, maxMs: 30_000, jitter: 0.5 } },
      );
      if (r.created) created += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, enqueuer));
  const enqueueMs = performance.now() - enqueueStarted;
  if (created !== messages) throw new Error(`enqueued ${created} of ${messages} messages`);

  // 2. Drain them with a no-op handler at the worker's concurrency, maintenance on as in `start`.
  let handled = 0;
  let firstStart: number | undefined;
  let lastEnd = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const cpuBefore = process.cpuUsage();
  const consumeCalled = performance.now();
  queue.startMaintenance({ intervalMs: 1_000 });
  const consumer = queue.consume(
    QUEUE,
    async () => {
      firstStart ??= performance.now();
      handled += 1;
      lastEnd = performance.now();
      if (handled >= messages) resolveDone();
    },
    { concurrency, leaseMs },
  );
  const limitMs = Math.max(120_000, messages * 20);
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    done.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), limitMs);
    }),
  ]);
  clearTimeout(timer);
  const cpu = process.cpuUsage(cpuBefore);
  // Completions are written after the handler returns: wait until the queue is empty.
  const deadline = Date.now() + 30_000;
  let left = await queue.counts(QUEUE);
  while (left.waiting + left.active + left.delayed > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    left = await queue.counts(QUEUE);
  }
  await consumer.close({ drain: true, timeoutMs: 10_000 });
  await queue.close({ timeoutMs: 10_000 });
  await handle?.close();

  const drainMs = firstStart === undefined ? 0 : lastEnd - firstStart;
  return JSON.stringify({
    adapter,
    messages,
    inFlight,
    concurrency,
    finished,
    handled,
    enqueueMs,
    enqueuePerSec: (messages * 1000) / enqueueMs,
    /** consume() called → first handler started (the first claim). */
    firstClaimMs: firstStart === undefined ? null : firstStart - consumeCalled,
    /** First handler started → last handler returned. */
    drainMs,
    perSec: drainMs > 0 ? (handled * 1000) / drainMs : 0,
    cpuUsPerMessage: handled > 0 ? (cpu.user + cpu.system) / handled : null,
    leftInQueue: left,
  });
}

main().then(
  // Exit once the line is flushed: stdout is a pipe, written asynchronously.
  (line) => process.stdout.write(`${line}\n`, () => process.exit(0)),
  (err: unknown) => {
    process.stderr.write(`raw queue failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
