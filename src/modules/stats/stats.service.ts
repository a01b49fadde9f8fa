import { eq, sql } from 'drizzle-orm';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { RUN_STATUSES, type RunStatus, runs } from '../workflows/workflows.table.ts';

/**
 * Runs of the tenant by status. Read here from the `runs` table rather than through the workflows
 * module's exports, which do not offer a counter yet.
 */
export async function countRunsByStatus(db: Database, tenantId: string): Promise<Record<RunStatus, number>> {
  const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])) as Record<RunStatus, number>;
  const rows = await inTenant(db, tenantId, (tx) =>
    tx
      .select({ status: runs.status, count: sql<number>`count(*)::int` })
      .from(runs)
      .where(eq(runs.tenantId, tenantId))
      .groupBy(runs.status),
  );
  for (const r of rows) counts[r.status] = Number(r.count);
  return counts;
}
