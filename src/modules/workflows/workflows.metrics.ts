import { Counter, Gauge, type Registry } from 'prom-client';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';

/**
 * The engine's metrics. The queue and stuck-run gauges describe the database, not this process:
 * they are computed at scrape time by ONE grouped query (cached for `cacheMs`, so several
 * scrapers do not each hit the database), and every process reports the same value, so queries
 * aggregate them with `max`, never `sum`. Nothing here runs on the engine's hot path except a
 * counter increment when a run ends. Labels are bounded: queue names are fixed by the code,
 * statuses by the schema. Never a tenant, workflow or run id.
 */
export interface WorkflowMetricsDeps {
  registry: Registry;
  db: Database;
  /** Runs (and jobs) this process advances right now. */
  busySlots(): number;
  /** WORKER_CONCURRENCY when this process runs the worker role, else 0 (so sums stay right). */
  concurrency(): number;
  /** When this process's scheduler last completed a loop (ms since the epoch), if it runs one. */
  lastSchedulerTick(): number | undefined;
  /** How long a scrape reuses the last database answer. Default 5 s. */
  cacheMs?: number;
  /** A run counts as stuck once its lease or wake-up is this far past. Default 60 s. */
  stuckAfterMs?: number;
}

export interface WorkflowMetrics {
  runFinished(status: 'succeeded' | 'failed' | 'cancelled'): void;
}

interface Snapshot {
  queues: { queue: string; depth: number; oldest: number }[];
  stuck: number;
}

/**
 * `runs` is the engine's queue (queued runs, and waiting runs whose wake-up is due); every other
 * queue is a `queue_jobs` queue of the PostgreSQL adapter (empty with BullMQ, whose queues live
 * in Redis). "Stuck": running with a lease expired for over `stuckAfterMs`, or waiting with a
 * wake-up that long overdue: nobody picked them up.
 */
const SNAPSHOT_SQL = `
  select 'runs' as queue, count(*)::int as depth,
         coalesce(extract(epoch from now() - min(coalesce(wake_at, created_at))), 0)::float8 as oldest,
         0 as stuck
    from runs
   where (status = 'queued' and (wake_at is null or wake_at <= now()))
      or (status = 'waiting' and wake_at <= now())
  union all
  select queue, count(*)::int, coalesce(extract(epoch from now() - min(run_at)), 0)::float8, 0
    from queue_jobs where state = 'waiting' and run_at <= now() group by queue
  union all
  select null, 0, 0, count(*)::int
    from runs
   where (status = 'running' and lease_until < now() - make_interval(secs => $1))
      or (status = 'waiting' and wake_at < now() - make_interval(secs => $1))`;

export function registerWorkflowMetrics(deps: WorkflowMetricsDeps): WorkflowMetrics {
  const { registry } = deps;
  const cacheMs = deps.cacheMs ?? 5_000;
  let cached: { at: number; value: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cached.at >= cacheMs) {
      const value = rawQuery<{ queue: string | null; depth: number; oldest: number; stuck: number }>(deps.db, {
        name: 'metrics_queue_snapshot',
        text: SNAPSHOT_SQL,
        values: [(deps.stuckAfterMs ?? 60_000) / 1000],
      }).then((rows) => ({
        queues: rows
          .filter((r) => r.queue !== null)
          .map((r) => ({ queue: r.queue as string, depth: Number(r.depth), oldest: Number(r.oldest) })),
        stuck: rows.reduce((n, r) => n + Number(r.stuck), 0),
      }));
      cached = { at: Date.now(), value };
      // A failed query is not cached: the next scrape asks again.
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };

  new Gauge({
    name: 'switchyard_queue_depth',
    help: 'Runs and jobs due and waiting for a worker, by queue (database-wide: aggregate with max)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      // `runs` is always reported, so an empty queue reads 0 rather than vanishing.
      this.set({ queue: 'runs' }, 0);
      for (const q of (await snapshot()).queues) this.set({ queue: q.queue }, q.depth);
    },
  });
  new Gauge({
    name: 'switchyard_queue_oldest_age_seconds',
    help: 'Age of the oldest due item, by queue (database-wide: aggregate with max)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      this.set({ queue: 'runs' }, 0);
      for (const q of (await snapshot()).queues) this.set({ queue: q.queue }, q.oldest);
    },
  });
  new Gauge({
    name: 'switchyard_runs_stuck',
    help: 'Runs running with a lease, or waiting with a wake-up, expired over a minute ago and not picked up',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).stuck);
    },
  });
  new Gauge({
    name: 'switchyard_worker_busy_slots',
    help: 'Runs this process advances now',
    registers: [registry],
    collect() {
      this.set(deps.busySlots());
    },
  });
  new Gauge({
    name: 'switchyard_worker_concurrency',
    help: 'WORKER_CONCURRENCY of this process (0 when it does not run the worker role)',
    registers: [registry],
    collect() {
      this.set(deps.concurrency());
    },
  });
  new Gauge({
    name: 'switchyard_scheduler_last_tick_timestamp_seconds',
    help: 'Unix time this process last completed a scheduler loop (0 when it runs no scheduler)',
    registers: [registry],
    collect() {
      this.set((deps.lastSchedulerTick() ?? 0) / 1000);
    },
  });
  const finished = new Counter({
    name: 'switchyard_runs_finished_total',
    help: 'Runs this process ended, by final status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  for (const status of ['succeeded', 'failed', 'cancelled'] as const) finished.inc({ status }, 0);
  return { runFinished: (status) => finished.inc({ status }) };
}
