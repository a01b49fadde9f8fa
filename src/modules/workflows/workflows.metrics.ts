import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Database } from '../../platform/db/database.ts';
import { rawQuery } from '../../platform/db/raw-query.ts';
import { AUDIT_EVENTS } from './events.ts';

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

export type RunEnd = 'succeeded' | 'failed' | 'cancelled';
/** How a step attempt ended: `interrupted` is a lost lease or a cancel seen mid-step. */
export type StepAttemptOutcome = 'succeeded' | 'waiting' | 'failed' | 'interrupted';
export type JobAttemptOutcome = 'succeeded' | 'retrying' | 'failed';

export interface WorkflowMetrics {
  /** A run ended here; `seconds` from its start (unknown for a run cancelled while nobody held it). */
  runFinished(status: RunEnd, info?: { triggerType: string; seconds?: number | undefined }): void;
  stepAttempt(kind: string, outcome: StepAttemptOutcome, seconds: number): void;
  /** A failed attempt that will be tried again after its back-off. */
  stepRetry(kind: string): void;
  /** Work taken over after its holder's lease expired (a crashed or stalled worker). */
  leaseExpired(queue: string, count: number): void;
  jobAttempt(type: string, outcome: JobAttemptOutcome, seconds: number): void;
}

interface Snapshot {
  queues: { queue: string; depth: number; oldest: number }[];
  outboxes: { outbox: string; pending: number; lag: number }[];
  stuck: number;
}

/** Trigger types a run can have; anything else (there is nothing else today) is `other`. */
const TRIGGERS = new Set(['manual', 'webhook', 'schedule', 'event', 'error', 'subworkflow', 'rerun', 'retry']);
const DURATION_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 3600, 21600, 86400];

/**
 * `runs` is the engine's queue (queued runs, and waiting runs whose wake-up is due); every other
 * queue is a `queue_jobs` queue of the PostgreSQL adapter (empty with BullMQ, whose queues live
 * in Redis). "Stuck": running with a lease expired for over `stuckAfterMs`, or waiting with a
 * wake-up that long overdue: nobody picked them up.
 */
const SNAPSHOT_SQL = `
  select 'queue' as kind, 'runs' as queue, count(*)::int as depth,
         coalesce(extract(epoch from now() - min(coalesce(wake_at, created_at))), 0)::float8 as oldest,
         0 as stuck
    from runs
   where (status = 'queued' and (wake_at is null or wake_at <= now()))
      or (status = 'waiting' and wake_at <= now())
  union all
  select 'queue', queue, count(*)::int, coalesce(extract(epoch from now() - min(run_at)), 0)::float8, 0
    from queue_jobs where state = 'waiting' and run_at <= now() group by queue
  union all
  -- The event relay's outbox is the audit log: entries of relayed actions past its cursor.
  select 'outbox', 'events', count(*)::int, coalesce(extract(epoch from now() - min(created_at)), 0)::float8, 0
    from audit_logs
   where id > coalesce((select position from event_cursors where name = 'audit'), '') and action = any($2::text[])
  union all
  select 'stuck', null, 0, 0, count(*)::int
    from runs
   where (status = 'running' and lease_until < now() - make_interval(secs => $1))
      or (status = 'waiting' and wake_at < now() - make_interval(secs => $1))`;

export function registerWorkflowMetrics(deps: WorkflowMetricsDeps): WorkflowMetrics {
  const { registry } = deps;
  const cacheMs = deps.cacheMs ?? 5_000;
  let cached: { at: number; value: Promise<Snapshot> } | undefined;
  const snapshot = (): Promise<Snapshot> => {
    if (!cached || Date.now() - cached.at >= cacheMs) {
      const value = rawQuery<{ kind: string; queue: string | null; depth: number; oldest: number; stuck: number }>(
        deps.db,
        {
          name: 'metrics_queue_snapshot',
          text: SNAPSHOT_SQL,
          values: [(deps.stuckAfterMs ?? 60_000) / 1000, [...AUDIT_EVENTS]],
        },
      ).then((rows) => ({
        queues: rows
          .filter((r) => r.kind === 'queue')
          .map((r) => ({ queue: r.queue as string, depth: Number(r.depth), oldest: Number(r.oldest) })),
        outboxes: rows
          .filter((r) => r.kind === 'outbox')
          .map((r) => ({ outbox: r.queue as string, pending: Number(r.depth), lag: Number(r.oldest) })),
        stuck: rows.reduce((n, r) => n + Number(r.stuck), 0),
      }));
      cached = { at: Date.now(), value };
      // A failed query is not cached: the next scrape asks again.
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };

  /** A gauge per label value, read from the snapshot; `always` values read 0 rather than vanish. */
  const snapshotGauge = (
    name: string,
    help: string,
    label: 'queue' | 'outbox',
    values: (s: Snapshot) => [string, number][],
    always: string[] = [],
  ) =>
    new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [registry],
      async collect() {
        this.reset();
        for (const v of always) this.set({ [label]: v }, 0);
        for (const [v, n] of values(await snapshot())) this.set({ [label]: v }, n);
      },
    });
  // `runs` is always reported, so an empty queue reads 0 rather than vanishing.
  snapshotGauge(
    'switchyard_queue_depth',
    'Runs and jobs due and waiting for a worker, by queue (database-wide: aggregate with max)',
    'queue',
    (s) => s.queues.map((q) => [q.queue, q.depth]),
    ['runs'],
  );
  snapshotGauge(
    'switchyard_queue_oldest_age_seconds',
    'Age of the oldest due item, by queue (database-wide: aggregate with max)',
    'queue',
    (s) => s.queues.map((q) => [q.queue, q.oldest]),
    ['runs'],
  );
  snapshotGauge(
    'switchyard_outbox_pending',
    'Entries written but not yet relayed, by outbox (events: the audit log entries event triggers read)',
    'outbox',
    (s) => s.outboxes.map((o) => [o.outbox, o.pending]),
  );
  snapshotGauge(
    'switchyard_outbox_lag_seconds',
    'Age of the oldest entry not yet relayed, by outbox; 0 when caught up (database-wide: aggregate with max)',
    'outbox',
    (s) => s.outboxes.map((o) => [o.outbox, o.lag]),
  );
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
  const runDuration = new Histogram({
    name: 'switchyard_run_duration_seconds',
    help: 'Time from a run’s start to its end (waits included), by trigger type and final status',
    labelNames: ['trigger', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const stepAttempts = new Counter({
    name: 'switchyard_step_attempts_total',
    help: 'Step attempts this process executed, by step kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  const stepDuration = new Histogram({
    name: 'switchyard_step_duration_seconds',
    help: 'Duration of one step attempt (until it succeeded, failed or began to wait), by step kind',
    labelNames: ['kind'] as const,
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300],
    registers: [registry],
  });
  const stepRetries = new Counter({
    name: 'switchyard_step_retries_total',
    help: 'Failed step attempts scheduled to be tried again, by step kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const leaseExpiries = new Counter({
    name: 'switchyard_lease_expiries_total',
    help: 'Runs and queue messages taken over after their holder’s lease expired (crashed or stalled worker), by queue',
    labelNames: ['queue'] as const,
    registers: [registry],
  });
  leaseExpiries.inc({ queue: 'runs' }, 0);
  const jobs = new Counter({
    name: 'switchyard_job_attempts_total',
    help: 'Job attempts this process executed, by job type and outcome (succeeded, retrying, failed for good)',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const jobDuration = new Histogram({
    name: 'switchyard_job_duration_seconds',
    help: 'Duration of one job attempt, by job type and outcome',
    labelNames: ['type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    runFinished(status, info) {
      finished.inc({ status });
      if (info?.seconds === undefined) return;
      const trigger = TRIGGERS.has(info.triggerType) ? info.triggerType : 'other';
      runDuration.observe({ trigger, status }, Math.max(0, info.seconds));
    },
    stepAttempt(kind, outcome, seconds) {
      stepAttempts.inc({ kind, outcome });
      stepDuration.observe({ kind }, Math.max(0, seconds));
    },
    stepRetry: (kind) => stepRetries.inc({ kind }),
    leaseExpired: (queue, count) => leaseExpiries.inc({ queue }, count),
    jobAttempt(type, outcome, seconds) {
      jobs.inc({ type, outcome });
      jobDuration.observe({ type, outcome }, Math.max(0, seconds));
    },
  };
}
