import { useSearchParams } from 'react-router';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { cn } from '../../lib/cn';
import { formatNumber } from '../../lib/format';
import { bucketLabel, formatPercent, type RunBucket, seriesTotals, successRate } from '../../lib/stats/runs-series';
import { ErrorState, Spinner } from '../../ui/feedback';
import { Card } from '../../ui/layout';
import { type SeriesRange, useRunsSeries } from './queries';

const RANGES: { value: SeriesRange; label: string; short: string }[] = [
  { value: '24h', label: 'Last 24 hours', short: '24 h' },
  { value: '7d', label: 'Last 7 days', short: '7 d' },
  { value: '14d', label: 'Last 14 days', short: '14 d' },
  { value: '30d', label: 'Last 30 days', short: '30 d' },
];

/** Outcomes stacked bottom-up, failures on top where the eye lands. */
const SERIES = [
  { key: 'succeeded', label: 'Succeeded', color: '#10b981' },
  { key: 'cancelled', label: 'Cancelled', color: '#94a3b8' },
  { key: 'active', label: 'In progress', color: '#0ea5e9' },
  { key: 'failed', label: 'Failed', color: '#ef4444' },
] as const;

type Point = RunBucket & { label: string };

function ChartTooltip({ active, payload }: { active?: boolean; payload?: readonly { payload?: Point }[] }) {
  const point = payload?.[0]?.payload;
  if (!active || !point) return null;
  return (
    <div className="rounded-md border border-slate-200 bg-white px-3 py-2 text-xs shadow-lg dark:border-slate-700 dark:bg-slate-900">
      <p className="mb-1 font-semibold">{new Date(point.start).toLocaleString()}</p>
      {SERIES.map((s) => (
        <p key={s.key} className="flex items-center gap-2">
          <span className="size-2 rounded-sm" style={{ background: s.color }} />
          {s.label}: <span className="tabular-nums">{formatNumber(point[s.key])}</span>
        </p>
      ))}
    </div>
  );
}

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
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={data} margin={{ top: 4, right: 4, bottom: 0, left: -24 }}>
                  <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.15} />
                  <XAxis
                    dataKey="label"
                    tick={{ fill: 'currentColor', fontSize: 11 }}
                    tickLine={false}
                    axisLine={false}
                    interval="preserveStartEnd"
                    minTickGap={12}
                  />
                  <YAxis
                    allowDecimals={false}
                    tick={{ fill: 'currentColor', fontSize: 11 }}
                    tickLine={false}
                    axisLine={false}
                  />
                  <Tooltip content={<ChartTooltip />} cursor={{ fill: 'currentColor', fillOpacity: 0.08 }} />
                  {SERIES.map((s) => (
                    <Bar
                      key={s.key}
                      dataKey={s.key}
                      name={s.label}
                      stackId="runs"
                      fill={s.color}
                      isAnimationActive={false}
                    />
                  ))}
                </BarChart>
              </ResponsiveContainer>
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
