import type { ReactNode } from 'react';
import { formatBytes, formatNumber } from '../../lib/format';
import { formatSeconds, type HealthMetrics } from '../../lib/stats/health-metrics';
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
        value={
          <>
            {formatSeconds(m.latencyP50Seconds)}
            <span className="text-base text-slate-400"> / </span>
            {formatSeconds(m.latencyP95Seconds)}
          </>
        }
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
        <Metric key={name} label={name.replace(/_/g, ' ')} value={formatNumber(depth)} hint="Queue depth" />
      ))}
      <Metric label="AI calls" value={formatNumber(m.aiCallsTotal ?? 0)} hint="Since the process started" />
    </dl>
  );
}
