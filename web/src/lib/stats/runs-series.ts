// What the home page charts and cards compute from the stats API's answers.

export interface RunBucket {
  start: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  active: number;
  total: number;
}

/** The tick label of a bucket: "14:00" for hours, "Mar 9" for days, in the viewer's time zone. */
export function bucketLabel(startIso: string, unit: 'hour' | 'day', locale?: string): string {
  const d = new Date(startIso);
  return unit === 'hour'
    ? new Intl.DateTimeFormat(locale, { hour: '2-digit', minute: '2-digit' }).format(d)
    : new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }).format(d);
}

/**
 * Share of finished runs that succeeded, 0–1; undefined before any run finished. Cancelled runs
 * count as finished-not-succeeded only when asked: a person stopping a run is not a failure.
 */
export function successRate(
  counts: { succeeded: number; failed: number; cancelled?: number },
  opts: { cancelledIsFailure?: boolean } = {},
): number | undefined {
  const finished = counts.succeeded + counts.failed + (opts.cancelledIsFailure ? (counts.cancelled ?? 0) : 0);
  return finished === 0 ? undefined : counts.succeeded / finished;
}

/** "97.5 %", "100 %", "—". */
export function formatPercent(share: number | undefined): string {
  if (share === undefined || !Number.isFinite(share)) return '—';
  const pct = share * 100;
  return `${pct === 100 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

/** Totals of a series, for the chart's caption ("38 runs, 3 failed"). */
export function seriesTotals(buckets: readonly RunBucket[]) {
  return buckets.reduce(
    (t, b) => ({
      succeeded: t.succeeded + b.succeeded,
      failed: t.failed + b.failed,
      cancelled: t.cancelled + b.cancelled,
      active: t.active + b.active,
      total: t.total + b.total,
    }),
    { succeeded: 0, failed: 0, cancelled: 0, active: 0, total: 0 },
  );
}
