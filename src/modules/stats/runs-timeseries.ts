import { sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';

/**
 * The ranges the dashboard charts, each a fixed number of UTC buckets ending with the current
 * (partial) one. Fixed sizes keep the answer bounded whatever the caller asks: at most 30 rows.
 */
export const RUN_SERIES_RANGES = {
  '24h': { unit: 'hour', count: 24 },
  '7d': { unit: 'day', count: 7 },
  '14d': { unit: 'day', count: 14 },
  '30d': { unit: 'day', count: 30 },
} as const;
export type RunSeriesRange = keyof typeof RUN_SERIES_RANGES;

export interface RunSeriesBucket {
  start: string;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Still queued, running or waiting. */
  active: number;
  total: number;
}

export interface RunSeries {
  range: RunSeriesRange;
  bucket: 'hour' | 'day';
  from: string;
  to: string;
  buckets: RunSeriesBucket[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The first instant after the bucket that holds `now`, so the current hour or day is the last bucket. */
function endOfBucket(now: Date, unit: 'hour' | 'day'): number {
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  return Math.floor(now.getTime() / step) * step + step;
}

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;

/**
 * Runs created in each bucket of the range, by outcome. One grouped statement under the tenant's
 * row-level security, bounded by the `runs(tenant_id, created_at)` index: its cost is one index
 * range scan of the tenant's runs in the window. Runs count in the bucket they were created in
 * (not finished in), so a bucket's bar never moves to another bucket as its runs end.
 */
export async function runsTimeseries(
  db: Database,
  tenantId: string,
  range: RunSeriesRange,
  now: Date,
): Promise<RunSeries> {
  const { unit, count } = RUN_SERIES_RANGES[range];
  const step = unit === 'hour' ? HOUR_MS : DAY_MS;
  const to = endOfBucket(now, unit);
  const from = to - count * step;
  const [fromIso, toIso] = [new Date(from).toISOString(), new Date(to).toISOString()];
  // `unit` comes from the constant table above, never from the request.
  const trunc = sql.raw(`'${unit}'`);
  const rows = await inTenant(db, tenantId, async (tx) =>
    rowsOf<{ t: string | number; succeeded: number; failed: number; cancelled: number; active: number }>(
      await tx.execute(sql`
        select (extract(epoch from date_trunc(${trunc}, created_at at time zone 'UTC')) * 1000)::bigint as t,
          count(*) filter (where status = 'succeeded')::int as succeeded,
          count(*) filter (where status = 'failed')::int as failed,
          count(*) filter (where status = 'cancelled')::int as cancelled,
          count(*) filter (where status in ('queued', 'running', 'waiting'))::int as active
        from runs
        where tenant_id = ${tenantId} and created_at >= ${fromIso}::timestamptz and created_at < ${toIso}::timestamptz
        group by 1`),
    ),
  );
  const byStart = new Map(rows.map((r) => [Number(r.t), r]));
  // Empty buckets are filled here so a chart gets every bar, in order.
  const buckets = Array.from({ length: count }, (_, i): RunSeriesBucket => {
    const start = from + i * step;
    const r = byStart.get(start);
    const [succeeded, failed, cancelled, active] = [
      Number(r?.succeeded ?? 0),
      Number(r?.failed ?? 0),
      Number(r?.cancelled ?? 0),
      Number(r?.active ?? 0),
    ];
    return {
      start: new Date(start).toISOString(),
      succeeded,
      failed,
      cancelled,
      active,
      total: succeeded + failed + cancelled + active,
    };
  });
  return { range, bucket: unit, from: fromIso, to: toIso, buckets };
}
