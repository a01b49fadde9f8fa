import { useSearchParams } from 'react-router';
import { lazy, Suspense } from 'react';
import { cn } from '../../lib/cn';
import { formatNumber } from '../../lib/format';
import { bucketLabel, formatPercent, seriesTotals, successRate } from '../../lib/stats/runs-series';
import { ErrorState, Spinner } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { type SeriesRange, useRunsSeries } from './queries';
import { type Point, SERIES } from './runs-series-style';

const RunsBarChart = lazy(() => import('./runs-bar-chart'));

const RANGES: { value: SeriesRange; label: string; short: string }[] = [
  { value: '24h', label: 'Last 24 hours', short: '24 h' },
  { value: '7d', label: 'Last 7 days', short: '7 d' },
  { value: '14d', label: 'Last 14 days', short: '14 d' },
  { value: '30d', label: 'Last 30 days', short: '30 d' },
];

/** Runs and failures over time; the range is in the URL (?range=) so a link shows the same chart. */
export function RunsChart() {
  const [params, setParams] = useSearchParams();
  const range = (RANGES.find((r) => r.value === params.get('range'))?.value ?? '14d') as SeriesRange;
  const series = useRunsSeries(range);
  const data: Point[] = (series.data?.buckets ?? []).map((b) => ({
    ...b,
    label: bucketLabel(b.start, series.data?.bucket ?? 'day'),
  }));
  const totals = seriesTotals(data);
  const rangeLabel = RANGES.find((r) => r.value === range)?.label ?? '';

  return (
    <Card
      title={
        <span className="flex items-center gap-2">
          Runs and failures {series.isFetching && <Spinner className="size-3.5" />}
        </span>
      }
      actions={
        <div
          role="group"
          aria-label="Time range"
          className="flex rounded-md border border-slate-300 dark:border-slate-700"
        >
          {RANGES.map((r) => (
            <button
              key={r.value}
              type="button"
              aria-pressed={r.value === range}
              aria-label={r.label}
              onClick={() =>
                setParams(
                  (p) => {
                    const next = new URLSearchParams(p);
                    next.set('range', r.value);
                    return next;
                  },
                  { replace: true },
                )
              }
              className={cn(
                'px-2 py-1 text-xs font-medium whitespace-nowrap first:rounded-l-md sm:px-2.5 last:rounded-r-md focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:outline-none',
                r.value === range
                  ? 'bg-indigo-600 text-white'
                  : 'text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800',
              )}
            >
              {r.short}
            </button>
          ))}
        </div>
      }
    >
      {series.isError ? (
        <ErrorState error={series.error} onRetry={() => series.refetch()} />
      ) : (
        <>
          <p className="mb-3 text-sm text-slate-600 dark:text-slate-300" aria-live="polite">
            {totals.total === 0 && !series.isPending ? (
              <>{rangeLabel}: no runs.</>
            ) : (
              <>
                {rangeLabel}: <strong className="tabular-nums">{formatNumber(totals.total)}</strong> run
                {totals.total === 1 ? '' : 's'},{' '}
                <strong className="text-red-600 tabular-nums dark:text-red-400">{formatNumber(totals.failed)}</strong>{' '}
                failed · {formatPercent(successRate(totals))} success
              </>
            )}
          </p>
          <div className="h-56 text-slate-500 sm:h-64 dark:text-slate-400" aria-hidden>
            {series.isPending ? (
              <div className="grid h-full place-items-center">
                <Spinner />
              </div>
            ) : totals.total === 0 ? (
              <div className="grid h-full place-items-center rounded-md border border-dashed border-slate-300 px-6 text-center text-sm dark:border-slate-700">
                Runs of your workflows show here, hour by hour or day by day, failures in red.
              </div>
            ) : (
              <Suspense
                fallback={
                  <div className="grid h-full place-items-center">
                    <Spinner />
                  </div>
                }
              >
                <RunsBarChart data={data} />
              </Suspense>
            )}
          </div>
          {totals.total > 0 && (
            <ul className="mt-3 flex flex-wrap gap-x-4 gap-y-1 text-xs text-slate-600 dark:text-slate-300">
              {SERIES.map((s) => (
                <li key={s.key} className="flex items-center gap-1.5">
                  <span className="size-2.5 rounded-sm" style={{ background: s.color }} />
                  {s.label} <span className="tabular-nums">{formatNumber(totals[s.key])}</span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </Card>
  );
}
