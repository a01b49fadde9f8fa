import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.table.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date', precision: 3 });

/** AAD of a workflow's sealed webhook secret: the sealed value cannot be moved to another row. */
export const webhookSecretAad = (workflowId: string) => `webhook:${workflowId}`;

export const workflows = pgTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    active: boolean('active').notNull().default(false),
    /** The newest version; runs pin the version they started on. */
    currentVersion: integer('current_version').notNull().default(1),
    /** `/hooks/<key>`: unguessable, per workflow. */
    webhookKey: text('webhook_key').notNull(),
    /** HMAC secret for signed webhooks, sealed with the key ring; null = no signature check. */
    webhookSecret: text('webhook_secret'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('workflows_webhook_key_idx').on(t.webhookKey),
    index('workflows_tenant_idx').on(t.tenantId, t.createdAt, t.id),
  ],
);

export const workflowVersions = pgTable(
  'workflow_versions',
  {
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    definition: jsonb('definition').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workflowId, t.version] })],
);

export const RUN_STATUSES = ['queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * A run is the truth about one execution: its status, where it waits, and who holds it. A worker
 * advances a run only while it holds the lease; `lease_epoch` is the fencing token every write
 * checks, so a worker that lost its lease (paused, partitioned) can no longer commit.
 */
export const runs = pgTable(
  'runs',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    workflowId: text('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    status: text('status', { enum: RUN_STATUSES }).notNull(),
    triggerType: text('trigger_type').notNull(),
    input: jsonb('input').notNull(),
    output: jsonb('output'),
    error: jsonb('error'),
    /** Why a queued run is not running yet (e.g. the concurrency limit). */
    queuedReason: text('queued_reason'),
    leaseOwner: text('lease_owner'),
    leaseEpoch: integer('lease_epoch').notNull().default(0),
    leaseUntil: ts('lease_until'),
    /** Not to be advanced before (a retry back-off or a delay step). */
    wakeAt: ts('wake_at'),
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    idempotencyKey: text('idempotency_key'),
    parentRunId: text('parent_run_id'),
    parentStepId: text('parent_step_id'),
    /** Re-run of a failed run: steps that succeeded there are copied, not executed again. */
    rerunOf: text('rerun_of'),
    /** W3C trace context of what started the run (`traceparent[;tracestate]`): each pass continues that trace. */
    traceContext: text('trace_context'),
    startedAt: ts('started_at'),
    finishedAt: ts('finished_at'),
    createdAt: ts('created_at').notNull().defaultNow(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('runs_tenant_created_idx').on(t.tenantId, t.createdAt, t.id),
    index('runs_workflow_created_idx').on(t.workflowId, t.createdAt, t.id),
    index('runs_tenant_status_idx').on(t.tenantId, t.status),
    // The claim's concurrency check counts a workflow's running runs: without this it scans the backlog.
    index('runs_workflow_status_idx').on(t.workflowId, t.status),
    // Live runs by when they are due (the later of wake-up and lease end): the workers' claim
    // (`table` dispatch) and the sweep read it in order, so a backlog is never sorted.
    index('runs_due_idx')
      .on(
        sql`greatest(coalesce(${t.wakeAt}, '-infinity'::timestamptz), coalesce(${t.leaseUntil}, '-infinity'::timestamptz))`,
        t.createdAt,
        t.id,
      )
      .where(sql`status in ('queued', 'running', 'waiting')`),
    uniqueIndex('runs_idempotency_idx')
      .on(t.workflowId, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
    check('runs_status_check', sql`status in ('queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled')`),
  ],
);

export const ATTEMPT_STATUSES = ['running', 'succeeded', 'failed', 'waiting', 'skipped', 'compensated'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** One execution of one step of a run. Pure steps are written with their successors' commit. */
export const stepAttempts = pgTable(
  'step_attempts',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    attempt: integer('attempt').notNull(),
    status: text('status', { enum: ATTEMPT_STATUSES }).notNull(),
    stepType: text('step_type').notNull(),
    output: jsonb('output'),
    error: jsonb('error'),
    branch: text('branch'),
    /** What a waiting step waits for (delay until, approval…). */
    waitState: jsonb('wait_state'),
    logs: jsonb('logs'),
    workerId: text('worker_id'),
    leaseEpoch: integer('lease_epoch').notNull(),
    startedAt: ts('started_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    uniqueIndex('step_attempts_run_step_attempt_idx').on(t.runId, t.stepId, t.attempt),
    check(
      'step_attempts_status_check',
      sql`status in ('running', 'succeeded', 'failed', 'waiting', 'skipped', 'compensated')`,
    ),
  ],
);

/** Where the event relay has read up to, per source (e.g. `audit`): an id in that source's order. */
export const eventCursors = pgTable('event_cursors', {
  name: text('name').primaryKey(),
  position: text('position').notNull(),
  updatedAt: ts('updated_at').notNull().defaultNow(),
});
