import { sql } from 'drizzle-orm';
import type { Transaction } from '../../platform/db/database.ts';
import { HOUR_MS, INSIGHT_RULES, type TenantHistory } from './detect.ts';

/**
 * Reads one tenant's run history for the insights pass: four aggregate statements inside the
 * tenant's transaction (row-level security applies), each bounded by `runs(tenant_id,
 * created_at)` — the pass costs one index range scan of the tenant's last week of runs and one of
 * its last day joined to their step attempts.
 */

/** Steps that wait (for time, a person or a sub-run) are slow by design: not slow steps. */
const WAITING_KINDS = sql.raw(`('delay', 'approval', 'workflow')`);

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function readTenantHistory(tx: Transaction, tenantId: string, end: Date): Promise<TenantHistory> {
  const start = new Date(end.getTime() - INSIGHT_RULES.lookbackHours * HOUR_MS);
  const hotStart = new Date(end.getTime() - INSIGHT_RULES.hotWindowHours * HOUR_MS);
  const [from, to, hot] = [start.toISOString(), end.toISOString(), hotStart.toISOString()];

  const buckets = rowsOf<{
    workflow_id: string;
    t: string | number;
    finished: number;
    failed: number;
    succeeded: number;
    p50_ms: string | number | null;
  }>(
    await tx.execute(sql`
      select workflow_id, (extract(epoch from date_trunc('hour', created_at)) * 1000)::bigint as t,
        count(*) filter (where status in ('succeeded', 'failed'))::int as finished,
        count(*) filter (where status = 'failed')::int as failed,
        count(*) filter (where status = 'succeeded' and started_at is not null)::int as succeeded,
        percentile_cont(0.5) within group (order by extract(epoch from finished_at - started_at) * 1000)
          filter (where status = 'succeeded' and started_at is not null) as p50_ms
      from runs
      where tenant_id = ${tenantId} and created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz
      group by 1, 2`),
  );

  // A tenant with no runs in the week (most of them, each hour) costs this one statement.
  if (buckets.length === 0) return { end, buckets: [], steps: [], runFailures: [], attemptErrors: [] };

  // Attempts executed here (carried-over ones have no worker), skipped and compensation rows left out.
  const steps = rowsOf<{
    workflow_id: string;
    step_id: string;
    step_type: string;
    runs: number;
    retries: number;
    timed: number;
    p50_ms: string | number | null;
    p95_ms: string | number | null;
  }>(
    await tx.execute(sql`
      select r.workflow_id, a.step_id, min(a.step_type) as step_type,
        count(distinct a.run_id)::int as runs,
        count(*) filter (where a.attempt > 1)::int as retries,
        count(*) filter (where a.status = 'succeeded' and a.finished_at is not null
          and a.step_type not in ${WAITING_KINDS})::int as timed,
        percentile_cont(0.5) within group (order by extract(epoch from a.finished_at - a.started_at) * 1000)
          filter (where a.status = 'succeeded' and a.finished_at is not null
            and a.step_type not in ${WAITING_KINDS}) as p50_ms,
        percentile_cont(0.95) within group (order by extract(epoch from a.finished_at - a.started_at) * 1000)
          filter (where a.status = 'succeeded' and a.finished_at is not null
            and a.step_type not in ${WAITING_KINDS}) as p95_ms
      from runs r join step_attempts a on a.run_id = r.id
      where r.tenant_id = ${tenantId} and r.created_at >= ${hot}::timestamptz and r.created_at < ${to}::timestamptz
        and a.worker_id is not null and a.status in ('succeeded', 'failed', 'running', 'waiting')
      group by 1, 2`),
  );

  const runFailures = rowsOf<{ workflow_id: string; step_id: string; code: string; n: number }>(
    await tx.execute(sql`
      select workflow_id, error->>'stepId' as step_id, coalesce(error->>'code', 'STEP_FAILED') as code, count(*)::int as n
      from runs
      where tenant_id = ${tenantId} and created_at >= ${hot}::timestamptz and created_at < ${to}::timestamptz
        and status = 'failed' and error->>'stepId' is not null
      group by 1, 2, 3`),
  );

  const attemptErrors = rowsOf<{ workflow_id: string; step_id: string; code: string; n: number }>(
    await tx.execute(sql`
      select r.workflow_id, a.step_id, coalesce(a.error->>'code', 'STEP_FAILED') as code, count(*)::int as n
      from runs r join step_attempts a on a.run_id = r.id
      where r.tenant_id = ${tenantId} and r.created_at >= ${hot}::timestamptz and r.created_at < ${to}::timestamptz
        and a.status = 'failed'
      group by 1, 2, 3`),
  );

  const errors = (rows: typeof runFailures) =>
    rows.map((r) => ({ workflowId: r.workflow_id, stepId: r.step_id, code: r.code, n: Number(r.n) }));
  return {
    end,
    buckets: buckets.map((b) => ({
      workflowId: b.workflow_id,
      t: Number(b.t),
      finished: Number(b.finished),
      failed: Number(b.failed),
      succeeded: Number(b.succeeded),
      p50Ms: num(b.p50_ms),
    })),
    steps: steps.map((s) => ({
      workflowId: s.workflow_id,
      stepId: s.step_id,
      stepType: s.step_type,
      runs: Number(s.runs),
      retries: Number(s.retries),
      timed: Number(s.timed),
      p50Ms: num(s.p50_ms),
      p95Ms: num(s.p95_ms),
    })),
    runFailures: errors(runFailures),
    attemptErrors: errors(attemptErrors),
  };
}
