import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

/**
 * The PostgreSQL queue adapter's messages (`postgres-queue.ts`). A message is `waiting` (ready,
 * or delayed while `run_at` is in the future), `active` (leased to a consumer until
 * `lease_until`) or `dead` (out of attempts). A finished message is deleted. `attempts` counts
 * deliveries and doubles as the fencing token: only the holder of the current delivery can
 * complete, fail or renew it.
 */
export const queueJobs = pgTable(
  'queue_jobs',
  {
    id: text('id').primaryKey(),
    queue: text('queue').notNull(),
    payload: jsonb('payload').notNull(),
    state: text('state', { enum: ['waiting', 'active', 'dead'] })
      .notNull()
      .default('waiting'),
    priority: integer('priority').notNull().default(0),
    runAt: timestamp('run_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(3),
    backoff: jsonb('backoff'),
    idempotencyKey: text('idempotency_key'),
    leaseUntil: timestamp('lease_until', { withTimezone: true, mode: 'date', precision: 3 }),
    workerId: text('worker_id'),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  },
  (t) => [
    index('queue_jobs_claim_idx')
      .on(t.queue, t.priority, t.runAt, t.id)
      .where(sql`state = 'waiting'`),
    index('queue_jobs_lease_idx')
      .on(t.leaseUntil)
      .where(sql`state = 'active'`),
    uniqueIndex('queue_jobs_idempotency_idx')
      .on(t.queue, t.idempotencyKey)
      .where(sql`idempotency_key is not null`),
    check('queue_jobs_state_check', sql`state in ('waiting', 'active', 'dead')`),
    check('queue_jobs_attempts_check', sql`attempts >= 0 and max_attempts >= 1`),
  ],
);

/** Cron schedules: the maintenance loop enqueues each tick once, whichever process gets there. */
export const queueSchedules = pgTable(
  'queue_schedules',
  {
    queue: text('queue').notNull(),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull().default('UTC'),
    payload: jsonb('payload').notNull(),
    nextRunAt: timestamp('next_run_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.queue, t.name] }), index('queue_schedules_next_idx').on(t.nextRunAt)],
);
