import type { ReactNode } from 'react';
import { formatBytes, formatNumber } from '../../lib/format';
import { formatSeconds, formatUptime, type HealthMetrics } from '../../lib/stats/health-metrics';
import { formatPercent } from '../../lib/stats/runs-series';

function Metric({ label, value, hint, warn }: { label: string; value: ReactNode; hint?: ReactNode; warn?: boolean }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-xs font-medium tracking-wide text-slate-500 uppercase dark:text-slate-400">{label}</dt>
      <dd
        className={`mt-1 text-xl font-semibold tabular-nums sm:text-2xl ${warn ? 'text-amber-600 dark:text-amber-400' : ''}`}
      >
        {value}
      </dd>
      {hint && <dd className="mt-1 text-xs text-slate-500 dark:text-slate-400">{hint}</dd>}
    </div>
  );
}

/** Two figures in one card, the words between them in small grey type ("10 ms / 74 ms"). */
function Pair({ a, between, b, after }: { a: ReactNode; between: string; b: ReactNode; after?: string }) {
  return (
    <>
      {a}
      <span className="text-base text-slate-400">{between}</span>
      {b}
      {after && <span className="text-base text-slate-400">{after}</span>}
    </>
  );
}

const rate = (n: number | undefined) => (n === undefined ? '—' : n < 10 ? n.toFixed(2) : n.toFixed(0));

/** The process' key figures; thresholds only colour a value, they alert nobody. */
export function MetricsGrid({ m, backlog }: { m: HealthMetrics; backlog?: { runs: number; jobs: number } }) {
  const lag = m.eventLoopLagP99Seconds;
  return (
    <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
      <Metric
        label="Requests / s"
        value={rate(m.requestRate)}
        hint={
          m.requestRate === undefined
            ? 'Measured from the second refresh on'
            : `${formatNumber(m.requestsTotal)} since start`
        }
      />
      <Metric
        label="Latency p50 / p95"
        value={<Pair a={formatSeconds(m.latencyP50Seconds)} between=" / " b={formatSeconds(m.latencyP95Seconds)} />}
        hint="API requests since start"
        warn={(m.latencyP95Seconds ?? 0) > 1}
      />
      <Metric
        label="Server errors"
        value={formatPercent(m.serverErrorShare)}
        hint="Share of requests answered 5xx"
        warn={(m.serverErrorShare ?? 0) > 0.01}
      />
      <Metric
        label="Event-loop lag p99"
        value={formatSeconds(lag)}
        hint="Over 100 ms means the process is overloaded"
        warn={(lag ?? 0) > 0.1}
      />
      <Metric
        label="Memory (RSS)"
        value={m.residentMemoryBytes === undefined ? '—' : formatBytes(m.residentMemoryBytes)}
        hint={
          m.heapUsedBytes !== undefined && m.heapTotalBytes !== undefined
            ? `Heap ${formatBytes(m.heapUsedBytes)} of ${formatBytes(m.heapTotalBytes)}`
            : undefined
        }
      />
      <Metric
        label="CPU"
        value={m.cpuShare === undefined ? '—' : formatPercent(m.cpuShare)}
        hint="Of one core, between refreshes"
        warn={(m.cpuShare ?? 0) > 0.8}
      />
      {backlog && (
        <Metric
          label="Queued work"
          value={formatNumber(backlog.runs + backlog.jobs)}
          hint={`${formatNumber(backlog.runs)} runs, ${formatNumber(backlog.jobs)} jobs waiting (this organisation)`}
        />
      )}
      {Object.entries(m.queues).map(([name, depth]) => (
        <Metric
          key={name}
          label={name === 'switchyard_queue_depth' ? 'Due, all tenants' : name.replace(/_/g, ' ')}
          value={formatNumber(depth)}
          hint={
            name === 'switchyard_queue_depth' ? 'Runs and queue messages due and waiting for a worker' : 'Queue depth'
          }
        />
      ))}
      <Metric label="AI calls" value={formatNumber(m.aiCallsTotal ?? 0)} hint="Since the process started" />
      <EngineMetrics m={m} />
    </dl>
  );
}

/** The workflow engine's figures (when this process exports them) and the embedded backups. */
function EngineMetrics({ m }: { m: HealthMetrics }) {
  const e = m.engine;
  const age = (s: number | undefined) => (s === undefined ? '—' : s < 1 ? '0 s' : formatUptime(s));
  return (
    <>
      {e.runsSucceeded !== undefined && (
        <Metric
          label="Runs finished"
          value={
            <Pair
              a={formatNumber(e.runsSucceeded)}
              between=" ok · "
              b={formatNumber(e.runsFailed ?? 0)}
              after=" failed"
            />
          }
          hint="Ended by this process since it started"
        />
      )}
      {e.oldestWaitingSeconds !== undefined && (
        <Metric
          label="Oldest waiting run"
          value={age(e.oldestWaitingSeconds)}
          hint="Due and not picked up yet: workers too few or stopped when it grows"
          warn={e.oldestWaitingSeconds > 300}
        />
      )}
      {e.stuckRuns !== undefined && (
        <Metric
          label="Stuck runs"
          value={formatNumber(e.stuckRuns)}
          hint="Lease or wake-up over a minute past, nobody took them"
          warn={e.stuckRuns > 0}
        />
      )}
      {e.workerSaturation !== undefined && (
        <Metric
          label="Worker busy"
          value={formatPercent(e.workerSaturation)}
          hint="Slots of this process in use"
          warn={e.workerSaturation > 0.9}
        />
      )}
      {(e.stepRetries !== undefined || e.leaseExpiries !== undefined) && (
        <Metric
          label="Retries / takeovers"
          value={<Pair a={formatNumber(e.stepRetries ?? 0)} between=" / " b={formatNumber(e.leaseExpiries ?? 0)} />}
          hint="Step attempts retried; work taken over from a lost worker (since start)"
        />
      )}
      {e.eventRelayLagSeconds !== undefined && (
        <Metric
          label="Event relay lag"
          value={age(e.eventRelayLagSeconds)}
          hint="Oldest item or job event not yet passed to event triggers"
          warn={e.eventRelayLagSeconds > 300}
        />
      )}
      {(m.lastBackupAgeSeconds !== undefined || (m.backupFailures ?? 0) > 0) && (
        <Metric
          label="Last backup"
          value={m.lastBackupAgeSeconds === undefined ? 'none yet' : `${age(m.lastBackupAgeSeconds)} ago`}
          hint={
            (m.backupFailures ?? 0) > 0
              ? `${formatNumber(m.backupFailures ?? 0)} failed since start: see the server log`
              : 'Scheduled snapshot of the embedded database'
          }
          warn={(m.lastBackupAgeSeconds ?? Infinity) > 2700 || (m.backupFailures ?? 0) > 0}
        />
      )}
    </>
  );
}
