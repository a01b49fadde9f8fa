import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { countItemsByStatus, ITEM_STATUSES } from '../items/index.ts';
import { countJobsByStatus, JOB_STATUSES } from '../jobs/index.ts';
import { RUN_STATUSES } from '../workflows/workflows.table.ts';
import { countRunsByStatus } from './stats.service.ts';

const counter = <S extends string>(statuses: readonly S[]) =>
  z.object({
    total: z.number().int(),
    byStatus: z.object(Object.fromEntries(statuses.map((s) => [s, z.number().int()])) as Record<S, z.ZodNumber>),
  });

const StatsSchema = z
  .object({
    items: counter(ITEM_STATUSES),
    jobs: counter(JOB_STATUSES),
    runs: counter(RUN_STATUSES),
    generatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Stats' });

const withTotal = <S extends string>(byStatus: Record<S, number>) => ({
  total: Object.values<number>(byStatus).reduce((a, b) => a + b, 0),
  byStatus,
});

/** Counts for the dashboard's home cards: items, jobs and workflow runs by status. */
export const statsRoutes =
  (deps: { db: Database }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/stats',
      {
        config: { permission: 'stats:read' },
        schema: { tags: ['stats'], summary: 'Counts for the dashboard', response: { 200: StatsSchema } },
      },
      async (req) => {
        const tenantId = getRequestContext(req).tenantId;
        const [items, jobs, runs] = await Promise.all([
          countItemsByStatus(deps.db, tenantId),
          countJobsByStatus(deps.db, tenantId),
          countRunsByStatus(deps.db, tenantId),
        ]);
        return {
          items: withTotal(items),
          jobs: withTotal(jobs),
          runs: withTotal(runs),
          generatedAt: new Date().toISOString(),
        };
      },
    );
  };
