import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { usageThisMonth } from '../ai/index.ts';
import { countItemsByStatus, ITEM_STATUSES } from '../items/index.ts';
import { countJobsByStatus, JOB_STATUSES } from '../jobs/index.ts';
import { RUN_STATUSES } from '../workflows/workflows.table.ts';
import { RUN_SERIES_RANGES, type RunSeriesRange, runsTimeseries } from './runs-timeseries.ts';
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

const RANGES = Object.keys(RUN_SERIES_RANGES) as [RunSeriesRange, ...RunSeriesRange[]];

const RunsTimeseriesQuery = z.strictObject({
  range: z.enum(RANGES).default('24h').describe('24h: hourly buckets; 7d, 14d, 30d: daily buckets (UTC)'),
});

const RunsTimeseriesSchema = z
  .object({
    range: z.enum(RANGES),
    bucket: z.enum(['hour', 'day']),
    from: z.iso.datetime().describe('Start of the first bucket (inclusive)'),
    to: z.iso.datetime().describe('End of the last bucket (exclusive); the last bucket is the current one'),
    buckets: z.array(
      z.object({
        start: z.iso.datetime(),
        succeeded: z.number().int(),
        failed: z.number().int(),
        cancelled: z.number().int(),
        active: z.number().int().describe('Still queued, running or waiting'),
        total: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'RunsTimeseries' });

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

    app.get(
      '/stats/runs-timeseries',
      {
        config: { permission: 'stats:read' },
        schema: {
          tags: ['stats'],
          summary: 'Runs per hour or day, by outcome',
          description:
            'Runs created in each UTC bucket of the range, every bucket present (zeros included), oldest first.',
          querystring: RunsTimeseriesQuery,
          response: { 200: RunsTimeseriesSchema, ...problems(400) },
        },
      },
      async (req) =>
        runsTimeseries(deps.db, getRequestContext(req).tenantId, req.query.range, (deps.now ?? (() => new Date()))()),
    );
  };
