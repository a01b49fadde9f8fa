// The figures the Health page shows, taken from /metrics. Counters only mean something as a
// rate, so the page keeps the previous scrape and passes both here.
import { histogramQuantile, labelOf, ratePerSecond, type Scrape, sumOf } from './prometheus';

export interface HealthMetrics {
  /** Requests answered since the process started. */
  requestsTotal: number | undefined;
  /** Requests per second between the two scrapes (undefined on the first). */
  requestRate: number | undefined;
  /** Share of requests answered 5xx since start, 0–1. */
  serverErrorShare: number | undefined;
  latencyP50Seconds: number | undefined;
  latencyP95Seconds: number | undefined;
  residentMemoryBytes: number | undefined;
  heapUsedBytes: number | undefined;
  heapTotalBytes: number | undefined;
  eventLoopLagP99Seconds: number | undefined;
  /** CPU time per wall-clock second between the scrapes, 0–1 per core. */
  cpuShare: number | undefined;
  uptimeSeconds: number | undefined;
  nodeVersion: string | undefined;
  aiCallsTotal: number | undefined;
  /** Any queue-depth gauges the process exports (name → value), none today. */
  queues: Record<string, number>;
  /** The engine, when this process runs it (undefined figures: not exported here). */
  engine: {
    /** Runs this process ended since it started, by final status. */
    runsSucceeded: number | undefined;
    runsFailed: number | undefined;
    /** Age of the oldest due run nobody has picked up yet (database-wide). */
    oldestWaitingSeconds: number | undefined;
    stuckRuns: number | undefined;
    stepRetries: number | undefined;
    /** Runs and messages taken over from a worker whose lease expired, since start. */
    leaseExpiries: number | undefined;
    /** Busy slots / concurrency of this process's worker, 0–1; undefined without the worker role. */
    workerSaturation: number | undefined;
    /** Age of the oldest event the relay has not passed to event triggers yet. */
    eventRelayLagSeconds: number | undefined;
  };
  /** Scheduled snapshots of the embedded database (BACKUP_DIR); undefined when none succeeded. */
  lastBackupAgeSeconds: number | undefined;
  backupFailures: number | undefined;
}

const HTTP = 'http_request_duration_seconds';
// The metrics scrape itself and the probes are the page's own polling: leaving them out keeps
// "requests per second" about real traffic.
const NOT_PROBES = { route: /^(?!\/metrics$|\/health\/)/ };

export function summarizeMetrics(
  now: Scrape,
  opts: { previous?: Scrape | undefined; intervalSeconds?: number; nowMs?: number } = {},
): HealthMetrics {
  const seconds = opts.intervalSeconds ?? 0;
  const count = sumOf(now, `${HTTP}_count`, NOT_PROBES);
  const errors = sumOf(now, `${HTTP}_count`, { ...NOT_PROBES, status_code: /^5/ });
  const start = sumOf(now, 'process_start_time_seconds');
  const concurrency = sumOf(now, 'switchyard_worker_concurrency');
  const lastBackup = sumOf(now, 'switchyard_backup_last_success_timestamp_seconds');
  const queues: Record<string, number> = {};
  for (const [name, list] of now) {
    if (/queue.*(depth|size|length|waiting|backlog)/.test(name) && !name.endsWith('_total')) {
      queues[name] = list.reduce((n, s) => n + s.value, 0);
    }
  }
  const cpuRate = ratePerSecond(
    opts.previous && sumOf(opts.previous, 'process_cpu_seconds_total'),
    sumOf(now, 'process_cpu_seconds_total'),
    seconds,
  );
  return {
    requestsTotal: count,
    requestRate: ratePerSecond(opts.previous && sumOf(opts.previous, `${HTTP}_count`, NOT_PROBES), count, seconds),
    serverErrorShare: count ? (errors ?? 0) / count : undefined,
    latencyP50Seconds: histogramQuantile(now, HTTP, 0.5, NOT_PROBES),
    latencyP95Seconds: histogramQuantile(now, HTTP, 0.95, NOT_PROBES),
    residentMemoryBytes: sumOf(now, 'process_resident_memory_bytes'),
    heapUsedBytes: sumOf(now, 'nodejs_heap_size_used_bytes'),
    heapTotalBytes: sumOf(now, 'nodejs_heap_size_total_bytes'),
    eventLoopLagP99Seconds: sumOf(now, 'nodejs_eventloop_lag_p99_seconds'),
    cpuShare: cpuRate,
    uptimeSeconds: start === undefined ? undefined : Math.max(0, (opts.nowMs ?? Date.now()) / 1000 - start),
    nodeVersion: labelOf(now, 'nodejs_version_info', 'version'),
    aiCallsTotal: sumOf(now, 'switchyard_ai_calls_total'),
    queues,
    engine: {
      runsSucceeded: sumOf(now, 'switchyard_runs_finished_total', { status: /^succeeded$/ }),
      runsFailed: sumOf(now, 'switchyard_runs_finished_total', { status: /^failed$/ }),
      oldestWaitingSeconds: sumOf(now, 'switchyard_queue_oldest_age_seconds', { queue: /^runs$/ }),
      stuckRuns: sumOf(now, 'switchyard_runs_stuck'),
      stepRetries: sumOf(now, 'switchyard_step_retries_total'),
      leaseExpiries: sumOf(now, 'switchyard_lease_expiries_total'),
      workerSaturation: concurrency ? (sumOf(now, 'switchyard_worker_busy_slots') ?? 0) / concurrency : undefined,
      eventRelayLagSeconds: sumOf(now, 'switchyard_outbox_lag_seconds', { outbox: /^events$/ }),
    },
    lastBackupAgeSeconds:
      lastBackup === undefined ? undefined : Math.max(0, (opts.nowMs ?? Date.now()) / 1000 - lastBackup),
    backupFailures: sumOf(now, 'switchyard_backup_failures_total'),
  };
}

/** 12 ms, 1.4 s: a latency in seconds the way people read it. */
export function formatSeconds(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  if (s < 0.001) return `${(s * 1000).toFixed(2)} ms`;
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  return `${s.toFixed(1)} s`;
}

/** 3 d 4 h, 5 h 12 min, 42 s. */
export function formatUptime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '—';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${Math.floor(s)} s`;
}
