import { sql } from 'drizzle-orm';
import { check, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A background job (seed 001's jobs API). The row is the truth; the queue only carries its id. */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: JOB_STATUSES }).notNull().default('queued'),
    priority: integer('priority').notNull().default(0),
    runAt: ts('run_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    progress: integer('progress').notNull().default(0),
    result: jsonb('result'),
    error: jsonb('error'),
    idempotencyKey: text('idempotency_key'),
    messageId: text('message_id'),
    createdBy: text('created_by').notNull(),
    /** W3C trace context of the request that submitted the job: its execution continues that trace. */
    traceContext: text('trace_context'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('jobs_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('jobs_tenant_status_idx').on(t.tenantId, t.status),
    uniqueIndex('jobs_idempotency_idx')
      .on(t.tenantId, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
    check('jobs_status_check', sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
    check('jobs_progress_check', sql`progress between 0 and 100`),
  ],
);

/** Files produced by jobs (reports), downloadable by the tenant. Object storage comes later. */
export const files = pgTable(
  'files',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    content: bytea('content').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [index('files_tenant_idx').on(t.tenantId, t.createdAt)],
);
