import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { tenants } from '../tenants/index.ts';

/**
 * Every email the platform sends is first written here, in the transaction that decides to send
 * it (an outbox). Until SMTP delivery lands (notifications issue) this table is the mailbox: the
 * CLI (`switchyard admin outbox`) and the operator API read it in embedded mode.
 */
export const emailOutbox = pgTable(
  'email_outbox',
  {
    id: text('id').primaryKey(),
    tenantId: text('tenant_id').references(() => tenants.id, { onDelete: 'cascade' }),
    toAddress: text('to_address').notNull(),
    subject: text('subject').notNull(),
    textBody: text('text_body').notNull(),
    /** What the mail is for, e.g. `invitation`, `verify_email`, `reset_password`. */
    kind: text('kind').notNull(),
    status: text('status', { enum: ['pending', 'sent', 'failed'] })
      .notNull()
      .default('pending'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date', precision: 3 }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date', precision: 3 }),
  },
  (t) => [index('email_outbox_to_idx').on(t.toAddress), index('email_outbox_status_idx').on(t.status)],
);
