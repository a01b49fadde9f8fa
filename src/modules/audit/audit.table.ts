import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/index.ts';

export interface AuditChanges {
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Append-only: the service exposes no update or delete (retention is a later cleanup job). */
export const auditLogs = pgTable(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    changes: jsonb('changes').$type<AuditChanges>().notNull(),
    requestId: text('request_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    /** W3C trace context of the request that made the change: event-triggered runs continue it. */
    traceContext: text('trace_context'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('audit_logs_tenant_id_idx').on(t.tenantId, t.id),
    index('audit_logs_tenant_target_idx').on(t.tenantId, t.targetType, t.targetId),
    index('audit_logs_tenant_action_idx').on(t.tenantId, t.action),
  ],
);

export type AuditRow = typeof auditLogs.$inferSelect;
