import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { InsightListSchema, ListInsightsQuery } from './insights.dto.ts';
import { type InsightsDeps, listInsights } from './insights.service.ts';

/** HTTP adapter for insights. Reading them needs what reading workflows needs. */
export const insightsRoutes =
  (deps: Pick<InsightsDeps, 'db'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/insights',
      {
        config: { permission: 'workflows:read' },
        schema: {
          tags: ['insights'],
          summary: 'List insights about workflows, newest first',
          description:
            'What the hourly insights pass found in run history: failure-rate and latency anomalies, steps that fail runs, retry hot spots, slow steps. Cursor-paginated; filter by `workflowId`, `kind`, `severity`.',
          querystring: ListInsightsQuery,
          response: { 200: InsightListSchema, ...problems(400) },
        },
      },
      async (req) => listInsights(deps.db, getRequestContext(req), req.query),
    );
  };
