// /health: is the instance well — its components (/health/ready), liveness, version, and the
// key figures from /metrics — refreshed every 10 seconds.
import { useQuery } from '@tanstack/react-query';
import { RefreshCw } from 'lucide-react';
import { api, call } from '../../api/client';
import { cn } from '../../lib/cn';
import { formatNumber } from '../../lib/format';
import { formatUptime, summarizeMetrics } from '../../lib/stats/health-metrics';
import { Button } from '../../ui/button';
import { ErrorState, Loading } from '../../ui/feedback';
import { Card, PageHeader } from '../../ui/layout';
import { ComponentsCard } from './components-card';
import { MetricsGrid } from './metrics-grid';
import { REFRESH_MS, useLiveness, useMetrics, useReadiness, useServerInfo } from './queries';

function Overall({ ok, checkedAt }: { ok: boolean | undefined; checkedAt: number }) {
  const label = ok === undefined ? 'Checking…' : ok ? 'All systems operational' : 'Degraded: a component is down';
  return (
    <div
      role="status"
      className={cn(
        'flex items-center gap-3 rounded-lg border p-4',
        ok === false
          ? 'border-red-200 bg-red-50 text-red-900 dark:border-red-900 dark:bg-red-950/40 dark:text-red-100'
          : 'border-emerald-200 bg-emerald-50 text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950/40 dark:text-emerald-100',
      )}
    >
      <span className="relative flex size-3">
        {ok && (
          <span className="absolute inline-flex size-full motion-safe:animate-ping rounded-full bg-emerald-400 opacity-60" />
        )}
        <span
          className={cn('relative inline-flex size-3 rounded-full', ok === false ? 'bg-red-500' : 'bg-emerald-500')}
        />
      </span>
      <p className="font-medium">{label}</p>
      {checkedAt > 0 && (
        <p className="ml-auto text-xs opacity-75">
          Checked {new Date(checkedAt).toLocaleTimeString()} · every {REFRESH_MS / 1000} s
        </p>
      )}
    </div>
  );
}

export default function HealthPage() {
  const ready = useReadiness();
  const live = useLiveness();
  const info = useServerInfo();
  const metrics = useMetrics();
  const stats = useQuery({
    queryKey: ['health', 'stats'],
    queryFn: () => call(api.GET('/api/v1/stats')),
    refetchInterval: REFRESH_MS,
  });
  const snap = metrics.data;
  const summary = snap
    ? summarizeMetrics(snap.scrape, {
        previous: snap.previous?.scrape,
        intervalSeconds: snap.previous ? (snap.at - snap.previous.at) / 1000 : 0,
        nowMs: snap.at,
      })
    : undefined;
  const refreshing = ready.isFetching || metrics.isFetching;

  return (
    <>
      <PageHeader
        title="Health"
        description="This Switchyard instance: its components, its process and its traffic."
        actions={
          <Button
            icon={<RefreshCw className={cn('size-4', refreshing && 'animate-spin')} />}
            onClick={() => {
              void ready.refetch();
              void live.refetch();
              void metrics.refetch();
              void stats.refetch();
            }}
          >
            Refresh now
          </Button>
        }
      />
      <div className="space-y-6">
        <Overall
          ok={ready.data ? ready.data.status === 'ok' : ready.isError ? false : undefined}
          checkedAt={ready.dataUpdatedAt}
        />
        <div className="grid gap-6 lg:grid-cols-2">
          <ComponentsCard ready={ready.data} error={ready.error} loading={ready.isPending} />
          <Card title="Process">
            <dl className="grid grid-cols-[auto_1fr] gap-x-6 gap-y-2 text-sm">
              <dt className="text-slate-500 dark:text-slate-400">Liveness</dt>
              <dd className="font-medium">
                {live.isPending ? (
                  'Checking…'
                ) : live.data?.ok ? (
                  <span className="text-emerald-700 dark:text-emerald-400">Live · answered in {live.data.ms} ms</span>
                ) : (
                  <span className="text-red-700 dark:text-red-400">Not answering</span>
                )}
              </dd>
              <dt className="text-slate-500 dark:text-slate-400">Version</dt>
              <dd className="font-medium">{info.data?.version ?? '—'}</dd>
              <dt className="text-slate-500 dark:text-slate-400">Node.js</dt>
              <dd className="font-medium">{summary?.nodeVersion ?? '—'}</dd>
              <dt className="text-slate-500 dark:text-slate-400">Uptime</dt>
              <dd className="font-medium">{formatUptime(summary?.uptimeSeconds)}</dd>
              <dt className="text-slate-500 dark:text-slate-400">Requests served</dt>
              <dd className="font-medium">{formatNumber(summary?.requestsTotal)}</dd>
            </dl>
          </Card>
        </div>
        <section aria-labelledby="metrics-heading">
          <h2 id="metrics-heading" className="mb-3 text-sm font-semibold">
            Key metrics <span className="font-normal text-slate-500 dark:text-slate-400">from /metrics</span>
          </h2>
          {metrics.isPending ? (
            <Loading label="Reading metrics…" />
          ) : !summary ? (
            <ErrorState error={metrics.error} title="Metrics could not be read." onRetry={() => metrics.refetch()} />
          ) : (
            <MetricsGrid
              m={summary}
              backlog={
                stats.data
                  ? { runs: stats.data.runs.byStatus.queued, jobs: stats.data.jobs.byStatus.queued }
                  : undefined
              }
            />
          )}
        </section>
      </div>
    </>
  );
}
