import { index, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.table.ts';
import { workflows } from '../workflows/workflows.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

export const INSIGHT_KINDS = [
  'failure_rate_anomaly',
  'latency_anomaly',
  'failing_step',
  'retry_hotspot',
  'slow_step',
] as const;
export type InsightKind = (typeof INSIGHT_KINDS)[number];

export const INSIGHT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type InsightSeverity = (typeof INSIGHT_SEVERITIES)[number];

/**
 * What the hourly insights pass found in a workflow's run history. Append-only: an insight is a
 * finding at a point in time, not a live status. `dedupe_key` names the finding (an anomaly by
 * the bucket it began in, a hot spot by step and UTC day), so a pass that sees the same thing
 * again inserts nothing.
 */
export const insights = pgTable(
  'insights',
  {
    /** `ins_…` */
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: INSIGHT_KINDS }).notNull(),
    severity: text('severity', { enum: INSIGHT_SEVERITIES }).notNull(),
    title: text('title').notNull(),
    /** The figures behind the finding (baseline, scores, step, counts); see the module README. */
    details: jsonb('details').notNull(),
    /** The history the finding was computed from. */
    windowStart: ts('window_start').notNull(),
    windowEnd: ts('window_end').notNull(),
    dedupeKey: text('dedupe_key').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('insights_dedupe_idx').on(t.tenantId, t.dedupeKey),
    index('insights_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('insights_workflow_created_idx').on(t.workflowId, t.createdAt, t.id),
  ],
);
