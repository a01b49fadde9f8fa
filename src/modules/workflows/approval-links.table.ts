import { index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/tenants.table.ts';
import { runs } from './workflows.table.ts';

/**
 * The links an approval step mails to the people in its `notify` list: one per recipient, bound to
 * one attempt of one step. Only the token's SHA-256 is stored; the token itself exists in the
 * email alone. A link is live while that attempt waits undecided and `expires_at` is ahead; any
 * decision (through a link or the API) ends the wait and so every link of it.
 */
export const approvalLinks = pgTable(
  'approval_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    tenantId: text('tenant_id')
      .notNull()
      .references(() => tenants.id, { onDelete: 'cascade' }),
    runId: text('run_id')
      .notNull()
      .references(() => runs.id, { onDelete: 'cascade' }),
    stepId: text('step_id').notNull(),
    attempt: integer('attempt').notNull(),
    /** The email address the link was sent to: the actor a decision through it is audited as. */
    recipient: text('recipient').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
  },
  (t) => [index('approval_links_run_idx').on(t.runId, t.stepId, t.attempt)],
);
