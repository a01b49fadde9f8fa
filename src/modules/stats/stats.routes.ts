import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { countItemsByStatus, ITEM_STATUSES } from '../items/index.ts';

const StatsSchema = z
  .object({
    items: z.object({
      total: z.number().int(),
      byStatus: z.object(
        Object.fromEntries(ITEM_STATUSES.map((s) => [s, z.number().int()])) as Record<
          (typeof ITEM_STATUSES)[number],
          z.ZodNumber
        >,
      ),
    }),
    generatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Stats' });

/** Counts for the dashboard's home cards. Jobs and runs join when the engine lands. */
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
        const byStatus = await countItemsByStatus(deps.db, getRequestContext(req).tenantId);
        const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
        return { items: { total, byStatus }, generatedAt: new Date().toISOString() };
      },
    );
  };
