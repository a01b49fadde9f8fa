import { sql } from 'drizzle-orm';
import type { ActorContext } from '../../../platform/context.ts';
import { inTenant } from '../../../platform/db/tenant-scope.ts';
import { recordAudit } from '../../audit/index.ts';
import { getSettingValue } from '../../settings/index.ts';
import { CleanupPayload } from '../jobs.dto.ts';
import { type JobContext, type JobHandler, parsePayload } from './handler.ts';

const BATCH = 1_000;

type Target = 'runs' | 'jobs' | 'auditLogs' | 'files';

/**
 * The ids a target would lose, as SQL. Finished runs and jobs age from when they finished; audit
 * entries and report files from their creation. Every statement names the tenant (and runs under
 * its row-level security); `self`, the cleanup job, is never among the jobs.
 */
function doomed(target: Target, tenantId: string, days: number, self: string) {
  const cutoff = sql`now() - make_interval(days => ${days}::int)`;
  switch (target) {
    case 'runs':
      return sql`select id from runs where tenant_id = ${tenantId}
        and status in ('succeeded', 'failed', 'cancelled') and coalesce(finished_at, created_at) < ${cutoff}`;
    case 'jobs':
      return sql`select id from jobs where tenant_id = ${tenantId} and id <> ${self}
        and status in ('succeeded', 'failed', 'cancelled') and coalesce(finished_at, created_at) < ${cutoff}`;
    case 'auditLogs':
      return sql`select id from audit_logs where tenant_id = ${tenantId} and created_at < ${cutoff}`;
    case 'files':
      return sql`select id from files where tenant_id = ${tenantId} and created_at < ${cutoff}`;
  }
}

const TABLE: Record<Target, string> = { runs: 'runs', jobs: 'jobs', auditLogs: 'audit_logs', files: 'files' };

const rowsOf = <T>(res: unknown) => (res as { rows: T[] }).rows;

async function count(ctx: JobContext, target: Target, days: number): Promise<number> {
  const res = await inTenant(ctx.db, ctx.tenantId, (tx) =>
    tx.execute(sql`select count(*)::int as n from (${doomed(target, ctx.tenantId, days, ctx.jobId)}) d`),
  );
  return Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
}

/** Deletes in batches of 1,000, one short transaction each, checking for cancellation between. */
async function purge(ctx: JobContext, target: Target, days: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const res = await inTenant(ctx.db, ctx.tenantId, (tx) =>
      tx.execute(sql`with d as (
          delete from ${sql.identifier(TABLE[target])} where tenant_id = ${ctx.tenantId} and id in (
            ${doomed(target, ctx.tenantId, days, ctx.jobId)} limit ${BATCH}
          ) returning 1
        ) select count(*)::int as n from d`),
    );
    const n = Number(rowsOf<{ n: number }>(res)[0]?.n ?? 0);
    deleted += n;
    if (n < BATCH) return deleted;
    await ctx.checkpoint();
  }
}

/**
 * `cleanup`: applies the tenant's retention settings. Deletes finished runs (with their step
 * attempts) older than `retention.runDays`, finished jobs other than itself older than
 * `retention.jobDays`, report files older than `retention.jobDays` and audit entries older than
 * `retention.auditLogDays`. With `dryRun` it only counts. A real purge leaves one audit entry,
 * `retention.purged`, with the counts.
 */
export const cleanup: JobHandler = async (payload, ctx) => {
  const p = parsePayload(CleanupPayload, payload);
  const days = await inTenant(ctx.db, ctx.tenantId, async (tx) => ({
    runs: await getSettingValue(tx, ctx.tenantId, 'retention.runDays'),
    jobs: await getSettingValue(tx, ctx.tenantId, 'retention.jobDays'),
    auditLogs: await getSettingValue(tx, ctx.tenantId, 'retention.auditLogDays'),
  }));
  const plan: [Target, number][] = [
    ['runs', days.runs],
    ['jobs', days.jobs],
    ['files', days.jobs],
    ['auditLogs', days.auditLogs],
  ];
  const counts: Record<Target, number> = { runs: 0, jobs: 0, files: 0, auditLogs: 0 };
  for (const [i, [target, d]] of plan.entries()) {
    await ctx.checkpoint(Math.floor((i / plan.length) * 100));
    counts[target] = p.dryRun ? await count(ctx, target, d) : await purge(ctx, target, d);
  }
  const result = { dryRun: p.dryRun, retentionDays: days, deleted: counts };
  if (p.dryRun) return { result };
  return {
    commit: async (tx) => {
      const system: ActorContext = {
        tenantId: ctx.tenantId,
        actor: { type: 'system', id: 'jobs' },
        requestId: undefined,
        ip: undefined,
        userAgent: undefined,
      };
      await recordAudit(tx, system, {
        action: 'retention.purged',
        targetType: 'job',
        targetId: ctx.jobId,
        after: { deleted: counts, retentionDays: days },
      });
      return result;
    },
  };
};
