import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import { inTenant } from '../../platform/db/tenant-scope.ts';
import { problems } from '../../platform/http/openapi.ts';
import { getRequestContext } from '../../platform/http/request-context.ts';
import { idPattern } from '../../platform/ids.ts';
import { cursorParam, limitParam, safeText } from '../../platform/validation.ts';
import { getAuditLog, listAuditLogs } from './audit.service.ts';

const token = safeText({ min: 1, max: 200 });

const AuditLogSchema = z
  .object({
    id: z.string(),
    actor: z.object({ type: z.string(), id: z.string() }),
    action: z.string(),
    target: z.object({ type: z.string(), id: z.string() }),
    changes: z.object({
      before: z.record(z.string(), z.unknown()).nullable().optional(),
      after: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
    requestId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'AuditLog' });

const ListAuditQuery = z
  .strictObject({
    limit: limitParam,
    cursor: cursorParam.optional(),
    action: token.optional().describe('e.g. item.updated'),
    actorId: token.optional(),
    targetType: token.optional().describe('e.g. item, setting'),
    targetId: token.optional(),
    requestId: token.optional(),
    from: z.iso.datetime({ offset: true }).optional().describe('Inclusive lower bound on createdAt'),
    to: z.iso.datetime({ offset: true }).optional().describe('Inclusive upper bound on createdAt'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'from must not be after to',
    path: ['from'],
  });

export const auditRoutes =
  (deps: { db: Database }): FastifyPluginAsyncZod =>
  async (app) => {
    const tags = ['audit'];
    app.get(
      '/audit-logs',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          summary: 'List audit log entries, newest first',
          querystring: ListAuditQuery,
          response: {
            200: z.object({ data: z.array(AuditLogSchema), nextCursor: z.string().nullable() }),
            ...problems(400),
          },
        },
      },
      async (req) => {
        const { tenantId } = getRequestContext(req);
        return inTenant(deps.db, tenantId, (tx) => listAuditLogs(tx, tenantId, req.query));
      },
    );
    app.get(
      '/audit-logs/:id',
      {
        config: { permission: 'audit:read' },
        schema: {
          tags,
          summary: 'Get one audit log entry',
          params: z.strictObject({ id: z.string().regex(idPattern('aud'), 'is not an audit log id (aud_…)') }),
          response: { 200: AuditLogSchema, ...problems(400, 404) },
        },
      },
      async (req) => {
        const { tenantId } = getRequestContext(req);
        return inTenant(deps.db, tenantId, (tx) => getAuditLog(tx, tenantId, req.params.id));
      },
    );
  };
