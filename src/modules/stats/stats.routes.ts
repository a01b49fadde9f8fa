import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { usageThisMonth } from '../ai/index.ts';
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
    ai: z
      .object({
        month: z.string().describe('YYYY-MM, UTC'),
        calls: z.number().int(),
        inputTokens: z.number().int(),
        outputTokens: z.number().int(),
        costUsd: z.number().describe('At list prices; models without a listed price count as 0 (`priced: false`)'),
        byModel: z.array(
          z.object({
            provider: z.string(),
            model: z.string(),
            calls: z.number().int(),
            inputTokens: z.number().int(),
            outputTokens: z.number().int(),
            costUsd: z.number(),
            priced: z.boolean(),
          }),
        ),
      })
      .describe("This month's AI usage"),
    generatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Stats' });

const withTotal = <S extends string>(byStatus: Record<S, number>) => ({
  total: Object.values<number>(byStatus).reduce((a, b) => a + b, 0),
  byStatus,
});

/** Counts for the dashboard's home cards: items, jobs and workflow runs by status, and this month's AI usage. */
export const statsRoutes =
  (deps: { db: Database; now?: () => Date }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/stats',
      {
        config: { permission: 'stats:read' },
        schema: { tags: ['stats'], summary: 'Counts for the dashboard', response: { 200: StatsSchema } },
      },
      async (req) => {
        const tenantId = getRequestContext(req).tenantId;
        const [items, jobs, runs, ai] = await Promise.all([
          countItemsByStatus(deps.db, tenantId),
          countJobsByStatus(deps.db, tenantId),
          countRunsByStatus(deps.db, tenantId),
          usageThisMonth({ db: deps.db, now: deps.now ?? (() => new Date()) }, tenantId),
        ]);
        return {
          items: withTotal(items),
          jobs: withTotal(jobs),
          runs: withTotal(runs),
          ai: {
            month: ai.month,
            calls: ai.calls,
            inputTokens: ai.inputTokens,
            outputTokens: ai.outputTokens,
            costUsd: ai.costUsd,
            byModel: ai.byModel,
          },
          generatedAt: new Date().toISOString(),
        };
      },
    );
  };
